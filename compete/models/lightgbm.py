"""LightGBM: categories passed natively (pandas ``category`` columns), GPU through ``device_type="gpu"``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from compete.models.base import Model
from compete.models.registry import MODELS
from compete.models.timing import lightgbm_deadline

__all__ = ["LightGBMModel"]


@MODELS.register("lightgbm")
class LightGBMModel(Model):
    """LightGBM with early stopping.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": np.arange(200.0)}); y = (X.a > 100).astype(int)
    >>> LightGBMModel(task="binary", params={"n_estimators": 20}).fit(X, y).predict(X[:2]).tolist()
    [0, 0]
    """

    name = "lightgbm"
    threads_param = "n_jobs"
    rounds_param = "n_estimators"
    fast_params: ClassVar[dict[str, Any]] = {"learning_rate": 0.1}
    # AutoGluon's two other LightGBM defaults: randomised split points (LightGBMXT), and larger leaves
    # grown from fewer rows (LightGBMLarge); each blends with the plain one more than another seed does
    portfolio: ClassVar[dict[str, dict[str, Any]]] = {
        "xt": {"extra_trees": True},
        "large": {"num_leaves": 128, "min_child_samples": 3, "colsample_bytree": 0.9},
    }
    meta_params: ClassVar[dict[str, Any]] = {
        "n_estimators": 200, "learning_rate": 0.05, "num_leaves": 7, "min_child_samples": 50, "subsample": 0.8,
        "colsample_bytree": 1.0, "reg_lambda": 5.0, "n_jobs": 1,
    }  # fmt: skip
    EVAL_METRIC: ClassVar[dict[str, str]] = {"binary": "binary_logloss", "multiclass": "multi_logloss",
                                             "regression": "l2"}  # fmt: skip

    @classmethod
    def round_callback(cls, task: str, check: Callable[[int, float], bool]) -> dict[str, Any] | None:
        metric = cls.EVAL_METRIC[task]

        def callback(env: Any) -> None:
            import lightgbm as lgb

            for _, name, value, *_ in env.evaluation_result_list or ():
                if name.removeprefix("valid ") == metric and check(env.iteration, value):
                    raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

        callback.order = 40  # type: ignore[attr-defined]
        return {"callbacks": [callback]}

    @classmethod
    def default_params(cls, task: str) -> dict[str, Any]:
        return {
            "n_estimators": 5000,
            "learning_rate": 0.03,
            "num_leaves": 31,
            "min_child_samples": 20,
            "subsample": 0.8,
            "subsample_freq": 1,
            "colsample_bytree": 0.7,
            "reg_lambda": 1.0,
            "max_bin": 255,
            "cat_smooth": 10.0,
            "min_data_per_group": 50,
            "verbosity": -1,
            "n_jobs": -1,
        }

    @classmethod
    def fit_errors(cls) -> tuple[type[Exception], ...]:
        import lightgbm as lgb

        return (*super().fit_errors(), lgb.basic.LightGBMError)

    @classmethod
    def search_space(cls, trial: Any, task: str) -> dict[str, Any]:
        """Optuna search space for ``compete tune``; rounds stay at the default, early stopping ends them."""
        return {
            "learning_rate": trial.suggest_float("learning_rate", 0.005, 0.2, log=True),
            "num_leaves": trial.suggest_int("num_leaves", 8, 256, log=True),
            "min_child_samples": trial.suggest_int("min_child_samples", 5, 200, log=True),
            "min_child_weight": trial.suggest_float("min_child_weight", 1e-3, 10.0, log=True),
            "subsample": trial.suggest_float("subsample", 0.5, 1.0),
            "colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
            "reg_alpha": trial.suggest_float("reg_alpha", 1e-8, 10.0, log=True),
            "reg_lambda": trial.suggest_float("reg_lambda", 1e-8, 10.0, log=True),
            "cat_smooth": trial.suggest_float("cat_smooth", 1.0, 100.0, log=True),
            "cat_l2": trial.suggest_float("cat_l2", 1.0, 50.0, log=True),
            "min_data_per_group": trial.suggest_int("min_data_per_group", 10, 200, log=True),
            "max_cat_threshold": trial.suggest_int("max_cat_threshold", 8, 64, log=True),
        }

    def _estimator(self, params: dict[str, Any], device: str) -> Any:
        import lightgbm as lgb

        extra: dict[str, Any] = {"device_type": "gpu"} if device == "gpu" else {}
        cls = lgb.LGBMRegressor if self.task == "regression" else lgb.LGBMClassifier
        return cls(random_state=self.random_state, **extra, **params)

    def _fit(self, X: pd.DataFrame, y: np.ndarray, valid: Any, weight: Any,
             params: dict[str, Any], device: str) -> Any:  # fmt: skip
        import lightgbm as lgb

        params = dict(params)
        callbacks = list(params.pop("callbacks", []))
        if self._deadline is not None:
            callbacks.append(lightgbm_deadline(self._deadline))
        est = self._estimator(params, device)
        kwargs: dict[str, Any] = {"sample_weight": weight}
        if valid is not None:
            kwargs["eval_X"], kwargs["eval_y"] = (valid[0],), (valid[1],)
            callbacks.append(lgb.early_stopping(self.early_stopping_rounds, verbose=False))
        est.fit(X, y, callbacks=callbacks, **kwargs)
        self.best_iteration_ = est.best_iteration_ or None
        return est

    requires = ("lightgbm",)
    native_suffix = ".txt"

    def _save_native(self, path: Path) -> None:
        self.model_.booster_.save_model(str(path))  # up to the best round when early stopping found one

    def _load_native(self, path: Path) -> Any:
        import lightgbm as lgb

        return lgb.Booster(model_file=str(path))  # it keeps the pandas categories it was trained with

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        import lightgbm as lgb

        if isinstance(self.model_, lgb.Booster):  # loaded from its file: P(1), (n, K) or values
            return np.asarray(self.model_.predict(X))
        if self.task == "regression":
            return self.model_.predict(X)
        return self.model_.predict_proba(X)
