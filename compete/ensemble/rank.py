"""Rank averaging: average the models' rank orders, then map the ranks back onto the mean's values.

Ranking metrics (AUC, average precision) see only the order, so averaging ranks makes models with
differently calibrated outputs count equally. The averaged ranks are mapped onto the sorted values of
the plain mean (a monotone map, so the order — and AUC — is that of the rank average) so the output
stays on the probability or target scale and other metrics (logloss, rmse) remain meaningful.
Multiclass rows are renormalised to sum to one after the per-class mapping.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from compete.ensemble._blend import fixed_weights, renormalize, weighted_mean
from compete.ensemble.base import Ensemble, Preds
from compete.ensemble.registry import ENSEMBLES

__all__ = ["RankEnsemble", "rank_blend"]


def rank_blend(arrays: list[np.ndarray], w: np.ndarray) -> np.ndarray:
    """Weighted rank average of ``arrays``, mapped per column onto the weighted mean's sorted values."""
    from scipy.stats import rankdata

    mean = weighted_mean(arrays, w)
    # rounded, so equal rank sums reached in a different float order stay ties
    ranks = np.round(weighted_mean([rankdata(a, axis=0) for a in arrays], w), 9)
    if mean.ndim == 1:
        return _map_ranks(ranks, mean)
    return renormalize(np.column_stack([_map_ranks(ranks[:, j], mean[:, j]) for j in range(mean.shape[1])]))


def _map_ranks(ranks: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The sorted ``values`` placed in the order of ``ranks``; tied ranks share their mean value."""
    order = np.argsort(ranks, kind="stable")
    placed = np.empty_like(values, dtype=float)
    placed[order] = np.sort(values)
    _, group = np.unique(ranks, return_inverse=True)
    return (np.bincount(group, weights=placed) / np.bincount(group))[group]


@ENSEMBLES.register("rank")
class RankEnsemble(Ensemble):
    """Rank averaging (for AUC); ranks are taken within the rows predicted (OOF rows, or test rows).

    Examples
    --------
    >>> import numpy as np
    >>> ens = RankEnsemble(task="binary").fit({"a": np.array([.1, .2, .9]), "b": np.array([.3, .2, .1])}, np.ones(3))
    >>> ens.predict({"a": np.array([.1, .2, .9]), "b": np.array([.2, .3, .1])}).round(3).tolist()
    [0.15, 0.5, 0.25]
    >>> ens.predict({"a": np.array([.1, .2, .9]), "b": np.array([.5, .2, .1])}).round(3).tolist()  # all tied
    [0.333, 0.333, 0.333]
    """

    name = "rank"
    allowed: ClassVar[dict[str, Any]] = {"weights": None}

    def weights(self) -> dict[str, float]:
        return dict(zip(self.labels_, map(float, fixed_weights(self.labels_, self.p["weights"], self.name))))

    def _predict(self, preds: Preds, X: pd.DataFrame | None) -> np.ndarray:
        w = fixed_weights(self.labels_, self.p["weights"], self.name)
        return rank_blend(list(preds.values()), w)
