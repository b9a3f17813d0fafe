"""Hill climbing: Caruana et al.'s ensemble selection with replacement, on OOF predictions.

Start from the best single model; at each step add (with replacement) the model whose addition
improves the metric most; stop when no addition improves it or after ``n_iter`` steps. The weights
are the selection counts. The blend learns from the target, so :func:`~compete.ensemble.combine`
scores it by cross-fitting over the run's folds (weights found on the other folds' OOF rows) and
finds the final weights, used for test, on every OOF row.

References: Caruana, Niculescu-Mizil, Crew & Ksikes, "Ensemble Selection from Libraries of Models",
ICML 2004.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from compete.ensemble._blend import weighted_mean
from compete.ensemble.base import Ensemble, Folds, Preds
from compete.ensemble.registry import ENSEMBLES
from compete.errors import ModelError

__all__ = ["HillClimbEnsemble"]


@ENSEMBLES.register("hill_climb")
class HillClimbEnsemble(Ensemble):
    """Greedy forward selection with replacement; never worse on its fitting rows than the best model.

    Parameters (``params``)
    -----------------------
    n_iter : int, default 100
        Most models added after the first.
    tolerance : float, default 0.0
        An addition must improve the metric by more than this.

    Attributes
    ----------
    counts_ : dict
        How many times each model was selected.
    path_ : list of (label, score)
        The selection order and the score after each step (the first entry is the best single model).

    Examples
    --------
    >>> import numpy as np
    >>> from compete.scoring.metrics import get_metric
    >>> y = np.array([0.0, 1.0, 2.0]); oof = {"a": y + 1, "b": y - 1, "c": y * 0}
    >>> HillClimbEnsemble(task="regression", metric=get_metric("rmse")).fit(oof, y).weights()
    {'a': 0.5, 'b': 0.5, 'c': 0.0}
    """

    name = "hill_climb"
    learns = True
    allowed: ClassVar[dict[str, Any]] = {"n_iter": 100, "tolerance": 0.0}

    def weights(self) -> dict[str, float]:
        total = sum(self.counts_.values())
        return {k: c / total for k, c in self.counts_.items()}

    def _fit(self, oof: Preds, y: np.ndarray, X: pd.DataFrame | None, folds: Folds | None) -> None:
        if self.metric is None:
            raise ModelError("ensemble 'hill_climb' needs the run's metric; pass metric=...")
        p = self.p
        arrays = list(oof.values())
        singles = [self.metric.score(y, a) for a in arrays]
        best = self._best(singles)
        counts = np.zeros(len(arrays), dtype=int)
        counts[best] = 1
        total, score = arrays[best].astype(float).copy(), singles[best]
        self.path_ = [(self.labels_[best], score)]
        for _ in range(int(p["n_iter"])):
            n = counts.sum()
            trial = [self.metric.score(y, (total + a) / (n + 1)) for a in arrays]
            pick = self._best(trial)
            if not self._improves(trial[pick], score, float(p["tolerance"])):
                break
            counts[pick] += 1
            total += arrays[pick]
            score = trial[pick]
            self.path_.append((self.labels_[pick], score))
        self.counts_ = dict(zip(self.labels_, map(int, counts)))
        self.fit_score_ = score

    def _best(self, scores: list[float]) -> int:
        s = np.asarray(scores) * (self.metric.sign if self.metric else 1.0)
        return int(np.nanargmax(s))

    def _improves(self, new: float, old: float, tol: float) -> bool:
        assert self.metric is not None
        return self.metric.sign * (new - old) > tol

    def _predict(self, preds: Preds, X: pd.DataFrame | None) -> np.ndarray:
        w = np.array([self.counts_[k] for k in self.labels_], dtype=float)
        return weighted_mean(list(preds.values()), w / w.sum())
