"""XGBoost: ``enable_categorical`` with the hist method, GPU through ``device="cuda"``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from compete.models.base import Model
from compete.models.registry import MODELS
from compete.models.timing import xgboost_deadline

__all__ = ["XGBoostModel"]


@MODELS.register("xgboost")
class XGBoostModel(Model):
    """XGBoost (``tree_method="hist"``) with native categorical splits and early stopping.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": np.arange(200.0)}); y = X.a * 2
    >>> m = XGBoostModel(task="regression", params={"n_estimators": 50}).fit(X, y)
    >>> m.device_
    'cpu'
    """

    name = "xgboost"
    threads_param = "n_jobs"
    rounds_param = "n_estimators"
    rounds_offset = 1  # best_iteration counts from 0

    fast_params: ClassVar[dict[str, Any]] = {"learning_rate": 0.1}
    meta_params: ClassVar[dict[str, Any]] = {"n_estimators": 200, "learning_rate": 0.05, "max_depth": 3,
                                              "min_child_weight": 5.0, "n_jobs": 1}  # fmt: skip
    EVAL_METRIC: ClassVar[dict[str, str]] = {
        "binary": "logloss",
        "multiclass": "mlogloss",
        "regression": "rmse",
    }

    @classmethod
    def round_callback(cls, task: str, check: Callable[[int, float], bool]) -> dict[str, Any] | None:
        import xgboost as xgb

        metric = cls.EVAL_METRIC[task]

        class Callback(xgb.callback.TrainingCallback):  # type: ignore[misc]
            def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
                first: dict[str, Any] = next(iter(evals_log.values()), {})
                scores = first.get(metric, [])
                return bool(scores) and check(epoch, float(scores[-1]))

        return {"callbacks": [Callback()]}

    @classmethod
    def default_params(cls, task: str) -> dict[str, Any]:
        return {
            "n_estimators": 5000,
            "learning_rate": 0.03,
            "max_depth": 6,
            "min_child_weight": 1.0,
            "subsample": 0.8,
            "colsample_bytree": 0.7,
            "reg_lambda": 1.0,
            "max_cat_to_onehot": 4,
            "max_bin": 256,
            "n_jobs": -1,
        }

    @classmethod
    def fit_errors(cls) -> tuple[type[Exception], ...]:
        import xgboost as xgb

        return (*super().fit_errors(), xgb.core.XGBoostError)

    @classmethod
    def search_space(cls, trial: Any, task: str) -> dict[str, Any]:
        """Optuna search space for ``compete tune``; rounds stay at the default, early stopping ends them."""
        return {
            "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.2, log=True),
            "max_depth": trial.suggest_int("max_depth", 3, 12),
            "min_child_weight": trial.suggest_float("min_child_weight", 0.1, 50.0, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "reg_alpha": trial.suggest_float("reg_alpha", 1e-8, 10.0, log=True),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-8, 10.0, log=True),
            "gamma": trial.suggest_float("gamma", 1e-8, 5.0, log=True),
            "max_cat_to_onehot": trial.suggest_int("max_cat_to_onehot", 1, 16, log=True),
            "max_cat_threshold": trial.suggest_int("max_cat_threshold", 8, 64, log=True),
        }

    def _fit(self, X: pd.DataFrame, y: np.ndarray, valid: Any, weight: Any,
             params: dict[str, Any], device: str) -> Any:  # fmt: skip
        import xgboost as xgb

        cls = xgb.XGBRegressor if self.task == "regression" else xgb.XGBClassifier
        es = {"early_stopping_rounds": self.early_stopping_rounds} if valid is not None else {}
        params = dict(params)
        callbacks = list(params.pop("callbacks", None) or [])
        if self._deadline is not None:
            callbacks.append(xgboost_deadline(self._deadline))
        est = cls(
            callbacks=callbacks or None,
            tree_method="hist",
            device="cuda" if device == "gpu" else "cpu",
            enable_categorical=True,
            random_state=self.random_state,
            **es,
            **params,
        )
        est.fit(X, y, sample_weight=weight, eval_set=[valid] if valid is not None else None, verbose=False)
        est.set_params(callbacks=None)  # the fit's hooks (deadline, tuning's reports) are not the model's
        self.best_iteration_ = getattr(est, "best_iteration", None) if valid is not None else None
        return est

    requires = ("xgboost",)
    native_suffix = ".ubj"

    def _save_native(self, path: Path) -> None:
        self.model_.save_model(str(path))  # UBJSON: trees, categories and the best iteration

    def _load_native(self, path: Path) -> Any:
        import xgboost as xgb

        model = xgb.XGBRegressor() if self.task == "regression" else xgb.XGBClassifier()
        model.load_model(str(path))
        return model

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.task == "regression":
            return self.model_.predict(X)
        return self.model_.predict_proba(X)
