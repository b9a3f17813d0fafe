"""The base class of every ensemble method and the result :func:`~compete.ensemble.combine` returns.

An ensemble is fitted on out-of-fold (OOF) predictions of level-1 models — a dict ``label → array`` —
and predicts from predictions of the same models (OOF rows or test rows). Methods that learn from the
target (``learns = True``: hill climbing, stacking) are scored by :func:`cross_fit` over the run's own
folds, so their reported score never comes from their training fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from compete.errors import ModelError
from compete.scoring.metrics import Metric

__all__ = ["Ensemble", "EnsembleResult", "Folds", "Preds", "cross_fit", "restrict_folds", "take"]

Preds = dict[str, np.ndarray]
Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class EnsembleResult:
    """What :func:`~compete.ensemble.combine` returns.

    Attributes
    ----------
    oof : ndarray
        The ensemble's out-of-fold predictions (NaN on rows it could not predict honestly).
    test : ndarray
        The ensemble's test predictions, from a final fit on every usable OOF row.
    score : float
        The honest out-of-fold score of ``oof`` (for learning methods, cross-fitted over the folds).
    weights : dict or None
        Weight of each level-1 model in the final blend (None for stacking).
    info : dict
        Method details: single-model scores, fold weights, the in-sample fit score, ...
    """

    oof: np.ndarray
    test: np.ndarray
    score: float
    weights: dict[str, float] | None
    info: dict[str, Any] = field(default_factory=dict)
    model: Any = None  # the final fit on every usable OOF row: what predicts new rows


class Ensemble(BaseEstimator):  # type: ignore[misc]
    """Combines level-1 predictions; subclasses fill ``_fit`` and ``_predict``.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
    metric : Metric, optional
        The run's metric in model space (needed by methods that search, such as hill climbing).
    params : dict, optional
        Method parameters; unknown keys raise :class:`~compete.errors.ModelError`.
    random_state : int
        Seed of anything random in the method.

    Examples
    --------
    >>> import numpy as np
    >>> from compete.ensemble import ENSEMBLES
    >>> ens = ENSEMBLES.get("mean")(task="regression").fit({"a": np.ones(3), "b": np.zeros(3)}, np.ones(3))
    >>> ens.predict({"a": np.ones(2), "b": np.zeros(2)}).tolist()
    [0.5, 0.5]
    """

    name: ClassVar[str] = "base"
    learns: ClassVar[bool] = False
    allowed: ClassVar[dict[str, Any]] = {}

    def __init__(self, task: str = "binary", metric: Metric | None = None,
                 params: dict[str, Any] | None = None, random_state: int = 0) -> None:  # fmt: skip
        self.task = task
        self.metric = metric
        self.params = params
        self.random_state = random_state

    @property
    def p(self) -> dict[str, Any]:
        """``allowed`` defaults overridden by ``params`` (unknown keys rejected)."""
        given = dict(self.params or {})
        unknown = sorted(set(given) - set(self.allowed))
        if unknown:
            ok = ", ".join(sorted(self.allowed)) or "(none)"
            raise ModelError(f"ensemble {self.name!r}: unknown parameter(s) {unknown}; allowed: {ok}")
        return {**self.allowed, **given}

    @classmethod
    def param_problems(cls, params: dict[str, Any], labels: Sequence[str]) -> list[tuple[str, str]]:
        """``(parameter, what is wrong with it)`` for each parameter this method cannot take, found
        without any data (the spec load reports the first); ``labels`` are the run's model labels.

        A parameter must be one of :attr:`allowed` and of its default's type (``weights``: a table
        of non-negative numbers over the model labels, with a positive sum).
        """
        out = []
        for key, value in params.items():
            if key not in cls.allowed:
                ok = ", ".join(sorted(cls.allowed)) or "(none)"
                out.append((key, f"unknown parameter for method {cls.name!r}; allowed: {ok}"))
            elif key == "weights":
                out += [(key, msg) for msg in _weight_problems(value, labels)]
            elif not _same_kind(value, cls.allowed[key]):
                want = type(cls.allowed[key]).__name__
                out.append((key, f"got {value!r}; method {cls.name!r} takes a {_KINDS.get(want, want)} here "
                                 f"(default {cls.allowed[key]!r})"))  # fmt: skip
        return out

    def fit(
        self, oof: Preds, y: np.ndarray, X: pd.DataFrame | None = None, folds: Folds | None = None
    ) -> Ensemble:
        """Fit on OOF predictions ``oof`` of the rows with targets ``y`` (``folds``: positions in them)."""
        self.labels_ = list(oof)
        self._fit(oof, np.asarray(y), X, folds)
        return self

    def predict(self, preds: Preds, X: pd.DataFrame | None = None) -> np.ndarray:
        """Combine ``preds`` (same labels as in fit) into one prediction array."""
        if not hasattr(self, "labels_"):
            raise ModelError(f"ensemble {self.name!r} is not fitted yet; call fit first")
        return np.asarray(self._predict({k: preds[k] for k in self.labels_}, X), dtype=float)

    def weights(self) -> dict[str, float] | None:
        """Weight of each level-1 model, or None when the method has none."""
        return None

    def _fit(self, oof: Preds, y: np.ndarray, X: pd.DataFrame | None, folds: Folds | None) -> None:
        """Default: nothing to learn."""

    def _predict(self, preds: Preds, X: pd.DataFrame | None) -> np.ndarray:
        raise NotImplementedError


_KINDS = {"int": "whole number", "float": "number", "str": "string", "bool": "true/false", "dict": "table",
          "list": "array"}  # fmt: skip


def _same_kind(value: Any, default: Any) -> bool:
    """Whether ``value`` has the type of ``default`` (an int is a float; a bool is neither)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return default is None or isinstance(value, type(default))


def _weight_problems(value: Any, labels: Sequence[str]) -> list[str]:
    if not isinstance(value, dict):
        return [f"got {value!r}; write a table of model label = weight, e.g. {{lightgbm = 2, xgboost = 1}}"]
    unknown = sorted(set(value) - set(labels))
    if unknown:
        return [f"names unknown model(s) {unknown}; models: {', '.join(labels)}"]
    bad = [v for v in value.values() if isinstance(v, bool) or not isinstance(v, int | float) or v < 0]
    if bad or sum(value.values()) <= 0:
        return [f"got {value!r}; weights must be numbers >= 0 with a positive sum"]
    return []


def take(preds: Preds, rows: np.ndarray) -> Preds:
    """The rows ``rows`` of every prediction array."""
    return {k: v[rows] for k, v in preds.items()}


def restrict_folds(folds: Folds, rows: np.ndarray) -> Folds:
    """The folds re-expressed as positions within ``rows``; folds left with no train or valid row are dropped."""
    top = max([int(np.max(rows, initial=-1))] + [int(np.max(a, initial=-1)) for f in folds for a in f])
    pos = np.full(top + 1, -1)
    pos[rows] = np.arange(len(rows))
    out = []
    for tr, va in folds:
        tr2, va2 = pos[tr], pos[va]
        tr2, va2 = tr2[tr2 >= 0], va2[va2 >= 0]
        if len(tr2) and len(va2):
            out.append((tr2, va2))
    return out


def cross_fit(make: Callable[[], Ensemble], oof: Preds, y: np.ndarray, folds: Folds,
              X: pd.DataFrame | None = None) -> tuple[np.ndarray, list[Ensemble]]:  # fmt: skip
    """Out-of-fold predictions of the ensemble itself: fit on each fold's train rows, predict its valid rows.

    ``folds`` are positions in the rows of ``oof``/``y`` (see :func:`restrict_folds`); rows no fold
    validates stay NaN. The inner folds handed to each fit are the other folds, so a level-3 stack
    sees only out-of-fold level-2 predictions. Returns the predictions and the fitted fold ensembles.
    """
    first = next(iter(oof.values()))
    out = np.full(first.shape, np.nan)
    fitted = []
    for k, (tr, va) in enumerate(folds):
        inner = restrict_folds([f for j, f in enumerate(folds) if j != k], tr)
        Xtr = None if X is None else X.iloc[tr]
        ens = make().fit(take(oof, tr), y[tr], Xtr, inner)
        out[va] = ens.predict(take(oof, va), None if X is None else X.iloc[va])
        fitted.append(ens)
    return out, fitted
