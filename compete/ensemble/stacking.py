"""Stacking: a level-2 model trained on the level-1 OOF predictions (optionally with the original features).

The meta-model is any registered model (``linear``: logistic / ridge, ``lightgbm``, ...). Its features
are the level-1 predictions — log-odds for binary, log-probabilities for multiclass, values for
regression — plus, when :func:`~compete.ensemble.combine` gets ``X``/``X_test``, the original columns.
:func:`~compete.ensemble.combine` gives the meta-model its own CV over the OOF rows with the run's
folds, so the reported score is the meta-model's out-of-fold score, never its training fit.

With ``levels = 3`` several level-2 models (``level2``) are each cross-fitted over the run's folds
(restricted to the rows the stack is fitted on) and the level-3 model (``meta``) is trained on their
out-of-fold predictions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from compete.ensemble.base import Ensemble, Folds, Preds
from compete.ensemble.registry import ENSEMBLES
from compete.errors import ModelError

__all__ = ["StackingEnsemble", "meta_frame"]

EPS = 1e-6


def meta_frame(preds: Preds, task: str, X: pd.DataFrame | None = None) -> pd.DataFrame:
    """The meta-model's features: transformed level-1 predictions, then the original columns of ``X``."""
    cols: dict[str, np.ndarray] = {}
    for label, a in preds.items():
        name = "p_" + re.sub(r"\W", "_", label)
        if a.ndim == 2:
            logs = np.log(np.clip(a, EPS, 1.0))
            cols.update({f"{name}_{k}": logs[:, k] for k in range(a.shape[1])})
        elif task == "binary":
            p = np.clip(a, EPS, 1 - EPS)
            cols[name] = np.log(p) - np.log1p(-p)
        else:
            cols[name] = a.astype(float)
    frame = pd.DataFrame(cols)
    if X is None:
        return frame
    clash = sorted(set(frame.columns) & set(X.columns))
    if clash:
        raise ModelError(f"stacking: original feature(s) {clash} clash with prediction columns; rename them")
    return pd.concat([frame, X.reset_index(drop=True)], axis=1)


def _model(name: str, params: dict[str, Any] | None, task: str, seed: int) -> Any:
    from compete.models import MODELS, make_model

    # a meta-model has no validation part to stop on: the model's own small, fixed capacity
    # (``meta_params``: one thread, as its data are a few columns), under the spec's parameters
    merged = {**getattr(MODELS.get(name, where="stacking meta"), "meta_params", {}), **(params or {})}
    return make_model(name, task, merged, device="cpu", random_state=seed)


@ENSEMBLES.register("stacking")
class StackingEnsemble(Ensemble):
    """A meta-model over level-1 predictions; optional level 3.

    Parameters (``params``)
    -----------------------
    meta : str, default "linear"
        The level-2 model (with ``levels = 3``: the level-3 model).
    meta_params : dict
        Parameters of ``meta`` (over the model's ``meta_params``).
    levels : {2, 3}
    level2 : list of str, default ["linear", "lightgbm"]
        With ``levels = 3``, the level-2 models, each cross-fitted over the run's folds.
    level2_params : dict
        ``name → params`` for the level-2 models.
    features : bool, default False
        Ask the caller for the original features: :func:`~compete.ensemble.combine` then requires
        ``X``/``X_test`` (the runner passes its typed frames). Frames given are always used.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.arange(20.0); oof = {"a": y + 1, "b": y * 2}
    >>> StackingEnsemble(task="regression").fit(oof, y).predict({"a": [3.0], "b": [4.0]}).round(0).tolist()
    [2.0]
    """

    name = "stacking"
    learns = True
    allowed: ClassVar[dict[str, Any]] = {
        "meta": "linear", "meta_params": {}, "levels": 2, "level2": ["linear", "lightgbm"], "level2_params": {},
        "features": False,
    }  # fmt: skip

    @classmethod
    def param_problems(cls, params: dict[str, Any], labels: Sequence[str]) -> list[tuple[str, str]]:
        """As :meth:`Ensemble.param_problems`, and ``levels`` 2 or 3, ``meta``/``level2`` registered
        models, ``level2_params`` only for the ``level2`` models."""
        from compete.models import MODELS

        out = super().param_problems(params, labels)
        if out:
            return out
        p = {**cls.allowed, **params}
        if p["levels"] not in (2, 3):
            out.append(("levels", f"got {p['levels']!r}; allowed: 2 or 3"))
        for key, names in (("meta", [p["meta"]]), ("level2", p["level2"])):
            unknown = [n for n in names if n not in MODELS]
            if unknown:
                out.append((key, f"got {unknown[0]!r}; models: {', '.join(MODELS.names())}"))
        extra = sorted(set(p["level2_params"]) - set(p["level2"]))
        if extra:
            out.append(("level2_params", f"names {extra[0]!r}, not one of level2 = {p['level2']}"))
        return out

    def _fit(self, oof: Preds, y: np.ndarray, X: pd.DataFrame | None, folds: Folds | None) -> None:
        p = self.p
        if p["levels"] not in (2, 3):
            raise ModelError(f"stacking: levels = {p['levels']!r}; allowed: 2 or 3")
        frame = meta_frame(oof, self.task, X)
        if p["levels"] == 3:
            self.level2_, l2 = self._fit_level2(frame, y, folds, p)
            rows = ~np.isnan(np.stack([v.reshape(len(v), -1).sum(axis=1) for v in l2.values()])).any(axis=0)
            frame, y = meta_frame({k: v[rows] for k, v in l2.items()}, self.task), y[rows]
        self.meta_ = _model(p["meta"], p["meta_params"], self.task, self.random_state).fit(frame, y)

    def _fit_level2(self, frame: pd.DataFrame, y: np.ndarray, folds: Folds | None,
                    p: dict[str, Any]) -> tuple[dict[str, Any], Preds]:  # fmt: skip
        if not folds:
            raise ModelError("stacking with levels = 3 needs the run's folds to cross-fit level 2")
        models: dict[str, Any] = {}
        oofs: dict[str, Any] = {}
        for name in p["level2"]:
            params = p["level2_params"].get(name)
            out: np.ndarray | None = None
            for tr, va in folds:
                m = _model(name, params, self.task, self.random_state).fit(frame.iloc[tr], y[tr])
                pred = m.predict_raw(frame.iloc[va])
                out = np.full((len(y),) + pred.shape[1:], np.nan) if out is None else out
                out[va] = pred
            oofs[name] = out
            models[name] = _model(name, params, self.task, self.random_state).fit(frame, y)
        return models, oofs

    def _predict(self, preds: Preds, X: pd.DataFrame | None) -> np.ndarray:
        frame = meta_frame({k: np.asarray(v, dtype=float) for k, v in preds.items()}, self.task, X)
        if hasattr(self, "level2_"):
            frame = meta_frame({k: m.predict_raw(frame) for k, m in self.level2_.items()}, self.task)
        return self.meta_.predict_raw(frame)
