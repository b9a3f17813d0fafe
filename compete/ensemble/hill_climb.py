"""Hill climbing: Caruana et al.'s ensemble selection with replacement, on OOF predictions.

Start from the best single model; at each step add (with replacement) the model whose addition
improves the metric most; stop when no addition improves it or after ``n_iter`` steps. The weights
are the selection counts. The blend learns from the target, so :func:`~compete.ensemble.combine`
scores it by cross-fitting over the run's folds (weights found on the other folds' OOF rows) and
finds the final weights, used for test, on every OOF row.

With ``bags`` > 1 the selection runs on that many bootstrap samples of the rows and the weights are the
mean of the bags' weights (bagged ensemble selection). On a small table one greedy pass settles on the
few fits that happen to suit these rows' noise; the bags spread the weight over the fits that keep
being chosen. The bootstrap rows come from ``random_state``.

References: Caruana, Niculescu-Mizil, Crew & Ksikes, "Ensemble Selection from Libraries of Models",
ICML 2004; Caruana, Munson & Niculescu-Mizil, "Getting the Most Out of Ensemble Selection", ICDM 2006.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    bags : int, default 1
        Bootstrap samples of the rows to select on, their weights averaged (the module's docstring).

    Attributes
    ----------
    weights_ : ndarray
        Each model's weight (the selection counts' share, averaged over the bags).
    path_ : list of (label, score)
        The selection order and the score after each step (the first entry is the best single model);
        with ``bags`` > 1, that of the first bag.

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
    allowed: ClassVar[dict[str, Any]] = {"n_iter": 100, "tolerance": 0.0, "bags": 1}

    @classmethod
    def param_problems(cls, params: dict[str, Any], labels: Sequence[str]) -> list[tuple[str, str]]:
        """As :meth:`Ensemble.param_problems`, and ``bags`` at least 1."""
        out = super().param_problems(params, labels)
        bags = params.get("bags", 1)
        if isinstance(bags, int) and not isinstance(bags, bool) and bags < 1:
            out.append(("bags", _too_few_bags(bags)))
        return out

    def weights(self) -> dict[str, float]:
        return {k: float(w) for k, w in zip(self.labels_, self.weights_)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle, also a blend saved before ``weights_`` (a run's ``predictor.joblib`` from an older
        compete), which kept the selection ``counts_`` per label."""
        counts = state.pop("counts_", None)
        if "weights_" not in state and counts is not None:
            c = np.array([counts[k] for k in state["labels_"]], dtype=float)
            state["weights_"] = c / c.sum()
        super().__setstate__(state)

    def _fit(self, oof: Preds, y: np.ndarray, X: pd.DataFrame | None, folds: Folds | None) -> None:
        if self.metric is None:
            raise ModelError("ensemble 'hill_climb' needs the run's metric; pass metric=...")
        bags = int(self.p["bags"])
        if bags < 1:
            raise ModelError(f"ensemble 'hill_climb': bags {_too_few_bags(bags)}")
        stack = np.stack([np.asarray(a, dtype=np.float64) for a in oof.values()])
        rng = np.random.default_rng(self.random_state)
        total = np.zeros(len(stack))
        for b in range(bags):  # one bag: every row once, as it is
            rows = rng.integers(0, len(y), len(y)) if bags > 1 else np.arange(len(y))
            counts, path = self._select(stack[:, rows], y[rows])
            total += counts / counts.sum()
            if b == 0:
                self.path_ = path
        self.weights_ = total / bags

    def _select(self, stack: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, list[tuple[str, float]]]:
        """One greedy pass over the candidates ``stack`` (first axis: the models): the selection counts
        and the path."""
        assert self.metric is not None
        p = self.p
        singles = self.metric.score_many(y, stack)
        best = self._best(singles)
        counts = np.zeros(len(stack), dtype=int)
        counts[best] = 1
        total, score = stack[best].copy(), float(singles[best])
        path = [(self.labels_[best], score)]
        for _ in range(int(p["n_iter"])):
            n = counts.sum()
            trial = self.metric.score_many(y, (total + stack) / (n + 1))
            pick = self._best(trial)
            if not self._improves(float(trial[pick]), score, float(p["tolerance"])):
                break
            counts[pick] += 1
            total += stack[pick]
            score = float(trial[pick])
            path.append((self.labels_[pick], score))
        return counts, path

    def _best(self, scores: np.ndarray) -> int:
        s = np.asarray(scores) * (self.metric.sign if self.metric else 1.0)
        return int(np.nanargmax(s))

    def _improves(self, new: float, old: float, tol: float) -> bool:
        assert self.metric is not None
        return self.metric.sign * (new - old) > tol

    def _predict(self, preds: Preds, X: pd.DataFrame | None) -> np.ndarray:
        return weighted_mean(list(preds.values()), self.weights_)


def _too_few_bags(bags: int) -> str:
    return f"got {bags}; give 1 (no bagging) or more bootstrap bags, e.g. bags = 20"
