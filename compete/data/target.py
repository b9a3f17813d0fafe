"""Encoding the target for models, and decoding predictions back to the competition's values.

Classification labels become 0..K-1 (sorted; for binary the spec's ``positive`` label, else the
larger one, is 1). Regression targets scored by rmsle are modelled as ``log1p(y)`` so the models
optimise the metric, and predictions are turned back with ``expm1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from compete.errors import DataError
from compete.scoring.metrics import Metric, get_metric

__all__ = ["TargetCodec"]


class TargetCodec:
    """Target ↔ model space.

    Examples
    --------
    >>> codec = TargetCodec("binary", get_metric("auc")).fit(pd.Series([">50K", "<=50K", ">50K"]))
    >>> codec.encode(pd.Series([">50K", "<=50K"])).tolist(), codec.classes_.tolist()
    ([1, 0], ['<=50K', '>50K'])
    """

    def __init__(self, task: str, metric: Metric, positive: str = "") -> None:
        self.task = task
        self.metric = metric
        self.positive = positive

    def fit(self, y: pd.Series) -> TargetCodec:
        if self.task == "regression":
            self.classes_ = np.array([])
            if self.log_target and (pd.to_numeric(y) < 0).any():
                raise DataError(f"target {y.name!r} has negative values; rmsle needs values >= 0; use rmse")
            return self
        classes = sorted(pd.unique(y.dropna()), key=_sort_key)
        if self.metric.name == "qwk" and any(_sort_key(c)[0] for c in classes):
            shown = ", ".join(repr(c) for c in classes[:5])
            raise DataError(
                f"metric 'qwk' weighs each class by its distance from the true one, so the classes need an "
                f"order, but target {y.name!r} holds labels that are not numbers ({shown}); write the "
                "ratings as numbers (0, 1, 2, ...) in train.csv, or choose a metric without an order "
                "(accuracy, mcc, logloss)"
            )
        if self.task == "binary" and self.positive:
            match = [c for c in classes if str(c) == self.positive]
            if not match:
                raise DataError(
                    f"positive = {self.positive!r} is not a value of target {y.name!r}: {classes}"
                )
            classes = [c for c in classes if c is not match[0]] + match
        self.classes_ = np.array(classes, dtype=object)
        return self

    @property
    def log_target(self) -> bool:
        return self.task == "regression" and self.metric.log_target

    def encode(self, y: pd.Series) -> np.ndarray:
        if self.task == "regression":
            values = pd.to_numeric(y).to_numpy(dtype=float)
            return np.log1p(values) if self.log_target else values
        lookup = {c: i for i, c in enumerate(self.classes_)}
        return y.map(lookup).to_numpy(dtype=int)

    def decode_values(self, pred: np.ndarray) -> np.ndarray:
        """Regression predictions back to the target's scale."""
        return np.clip(np.expm1(pred), 0, None) if self.log_target else pred

    def decode_labels(self, codes: np.ndarray) -> np.ndarray:
        """Encoded labels back to the original class values."""
        return self.classes_[np.asarray(codes, dtype=int)]

    def model_metric(self) -> Metric:
        """The metric as scored in model space (rmsle on values = rmse on log1p values)."""
        return get_metric("rmse") if self.log_target else self.metric


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (bool, np.bool_)):
        return (0, int(value))
    if isinstance(value, (int, float, np.number)):
        return (0, float(value))
    return (1, str(value))
