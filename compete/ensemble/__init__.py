"""Ensembles over out-of-fold predictions: mean, rank, geometric, hill climbing, stacking.

Each method is one module that registers itself in :data:`ENSEMBLES`; :func:`combine` is the entry
point of the runner and of ``compete ensemble``. Bagging and boosting are model wrappers fitted inside
the fold loop (:mod:`compete.models.bagging`, :mod:`compete.models.boosting`).
"""

from __future__ import annotations

from compete.ensemble import geometric, hill_climb, mean, rank, stacking  # noqa: F401  (registration)
from compete.ensemble.base import Ensemble, EnsembleResult
from compete.ensemble.combine import check_inputs, combine
from compete.ensemble.registry import ENSEMBLES

__all__ = ["ENSEMBLES", "Ensemble", "EnsembleResult", "check_inputs", "combine"]
