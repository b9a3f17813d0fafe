"""Stop a library's training when a wall-clock deadline passes (``--time-budget``).

Each callback ends boosting cleanly: the model keeps the rounds it has (and, with early stopping,
its best round so far), so a fold cut short still predicts.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["lightgbm_deadline", "xgboost_deadline", "catboost_deadline"]


def lightgbm_deadline(deadline: float) -> Any:
    """A LightGBM callback that stops training at ``deadline`` (``time.monotonic()`` seconds)."""
    import lightgbm as lgb

    def callback(env: Any) -> None:
        if time.monotonic() > deadline:
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list or [])

    callback.order = 50  # type: ignore[attr-defined]
    return callback


def xgboost_deadline(deadline: float) -> Any:
    """An XGBoost ``TrainingCallback`` that stops training at ``deadline``."""
    import xgboost as xgb

    class Deadline(xgb.callback.TrainingCallback):  # type: ignore[misc]
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            return time.monotonic() > deadline

    return Deadline()


def catboost_deadline(deadline: float) -> Any:
    """A CatBoost callback object that stops training at ``deadline`` (CPU only)."""

    class Deadline:
        def after_iteration(self, info: Any) -> bool:
            return time.monotonic() <= deadline

    return Deadline()
