"""Boosting as a model: each stage is fitted on what the previous stages got wrong.

Classification is AdaBoost-style (SAMME): a stage's weighted error on the training part sets its
weight ``alpha = learning_rate * (log((1 - err) / err) + log(K - 1))``, and the rows it misclassified are
up-weighted by ``exp(alpha)`` for the next stage; the prediction is the alpha-weighted average of the
stages' probabilities. Regression is residual boosting: stage 0 fits ``y``, each next stage fits the
residual of the sum so far, added with ``learning_rate``. Everything is fitted on a fold's training
part only; the validation part feeds the base models' early stopping (with residual targets).

``base`` may be a list (stage ``s`` uses ``base[s % len(base)]``), e.g. ``["linear", "lightgbm"]``:
a linear fit, then trees on its residuals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from compete.errors import ModelError
from compete.models.bagging import base_libraries, base_model, check_params, member_seeds, pad
from compete.models.base import Model
from compete.models.registry import MODELS

__all__ = ["BoostingModel"]


def _stage(params: dict[str, Any], s: int) -> tuple[str, dict[str, Any] | None]:
    bases, bp = params["base"], params["base_params"] or {}
    name = bases[s % len(bases)] if isinstance(bases, list) else bases
    return name, (bp[s % len(bp)] if isinstance(bp, list) else bp)


@MODELS.register("boost")
class BoostingModel(Model):
    """A sequence of base models, AdaBoost-reweighted (classification) or on residuals (regression).

    Parameters (``params``): ``base`` (a registered model name or a list of them, default "lightgbm"),
    ``base_params`` (a table, or a list of tables matching ``base``), ``n_stages`` (3), ``learning_rate`` (1.0).

    Attributes
    ----------
    stages_ : list of (weight, Model)

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": np.arange(100.0)}); y = np.sin(X.a / 10) + X.a / 50
    >>> m = BoostingModel(task="regression", params={"base": ["linear", "random_forest"], "n_stages": 2})
    >>> [type(s).__name__ for _, s in m.fit(X, y).stages_]
    ['LinearModel', 'RandomForestModel']
    """

    name = "boost"

    def libraries(self) -> tuple[str, ...]:
        return base_libraries(self.params)

    @classmethod
    def default_params(cls, task: str) -> dict[str, Any]:
        return {"base": "lightgbm", "base_params": {}, "n_stages": 3, "learning_rate": 1.0}

    @property
    def stages_(self) -> list[tuple[float, Model]]:
        return self.model_  # type: ignore[no-any-return]

    def _fit(self, X: pd.DataFrame, y: np.ndarray, valid: Any, weight: Any,
             params: dict[str, Any], device: str) -> Any:  # fmt: skip
        check_params(self.name, params, self.default_params(self.task))
        if int(params["n_stages"]) < 1 or not float(params["learning_rate"]) > 0:
            raise ModelError(
                f"model 'boost': n_stages = {params['n_stages']!r}, learning_rate = {params['learning_rate']!r}; "
                "use n_stages >= 1 and learning_rate > 0"
            )
        seeds = member_seeds(self.random_state, int(params["n_stages"]))
        self.best_iteration_ = None
        if self.task == "regression":
            return self._fit_residual(X, y, valid, weight, params, device, seeds)
        return self._fit_adaboost(X, y, valid, weight, params, device, seeds)

    def _fit_residual(self, X: pd.DataFrame, y: np.ndarray, valid: Any, weight: Any,
                      params: dict[str, Any], device: str, seeds: list[int]) -> list:  # fmt: skip
        total = np.zeros(len(y))
        Xv, yv = (None, None) if valid is None else valid
        total_v = np.zeros(0 if yv is None else len(yv))
        stages = []
        for s, seed in enumerate(seeds):
            name, bp = _stage(params, s)
            rv = None if yv is None else yv - total_v
            m = base_model(self, name, bp, seed, device)
            m.fit(X, y - total, X_valid=Xv, y_valid=rv, sample_weight=weight)
            step = 1.0 if s == 0 else float(params["learning_rate"])
            total = total + step * m.predict_raw(X)
            if Xv is not None:
                total_v = total_v + step * m.predict_raw(Xv)
            stages.append((step, m))
        return stages

    def _fit_adaboost(self, X: pd.DataFrame, y: np.ndarray, valid: Any, weight: Any,
                      params: dict[str, Any], device: str, seeds: list[int]) -> list:  # fmt: skip
        k = self.n_classes_
        w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float).copy()
        stages: list[tuple[float, Model]] = []
        for s, seed in enumerate(seeds):
            name, bp = _stage(params, s)
            Xv, yv = (None, None) if valid is None else valid
            m = base_model(self, name, bp, seed, device)
            m.fit(X, y, X_valid=Xv, y_valid=yv, sample_weight=w / w.mean())
            miss = self._labels(m.predict_raw(X)) != y
            err = float(np.clip(np.sum(w * miss) / np.sum(w), 1e-10, None))
            if err >= 1 - 1 / k and stages:
                break  # no better than chance: the stage would only add noise
            alpha = float(params["learning_rate"]) * (np.log(max(1 - err, 1e-10) / err) + np.log(k - 1))
            stages.append((max(alpha, 1e-10), m))
            if err <= 1e-10:
                break  # a perfect fit of the training part leaves nothing to reweight
            w = w * np.exp(alpha * miss)
        return stages

    def _labels(self, out: np.ndarray) -> np.ndarray:
        return out.argmax(axis=1) if out.ndim == 2 else (out >= 0.5).astype(int)

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        total = sum(a * pad(m.predict_raw(X), self.n_classes_, self.task) for a, m in self.model_)
        if self.task == "regression":
            return np.asarray(total)
        return np.asarray(total) / sum(a for a, _ in self.model_)
