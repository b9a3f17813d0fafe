"""Model adapters, one module per library; each registers itself in :data:`MODELS`.

Adding a model is one file: subclass :class:`Model`, fill ``default_params``, ``_fit`` and
``_predict``, register it, and import the module here.
"""

from __future__ import annotations

from compete.models import bagging, boosting, catboost, forest, lightgbm, linear, xgboost  # noqa: F401  (registration)
from compete.models.base import Model
from compete.models.registry import MODELS

__all__ = ["MODELS", "Model", "make_model"]


def make_model(name: str, task: str, params: dict | None = None, device: str = "cpu",
               random_state: int = 0, time_limit: float | None = None) -> Model:  # fmt: skip
    """Build the registered model ``name``; an unknown name lists the known ones."""
    cls = MODELS.get(name, where="models")
    model = cls(task=task, params=params, device=device, random_state=random_state)
    if time_limit is not None and "time_limit" in model.get_params():
        model.set_params(time_limit=time_limit)
    return model
