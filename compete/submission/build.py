"""Submission files: aligned to sample_submission, validated, written atomically.

The columns are exactly sample_submission's, in its order; the ids are its ids, in its order. What
goes in the target column(s) follows the metric: probabilities for probability metrics, class labels
in their original values for label metrics, values for regression. Multiclass supports both layouts
competitions use: one label column, or one probability column per class named by the labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from compete.data.target import TargetCodec
from compete.errors import DataError
from compete.scoring.metrics import Metric
from compete.scoring.thresholds import Threshold, apply_threshold

__all__ = [
    "build_submission",
    "spelled",
    "check_layout",
    "validate_submission",
    "class_columns",
]


def class_columns(sample: pd.DataFrame, id_col: str, classes: np.ndarray) -> list[str] | None:
    """The per-class probability columns of ``sample`` (in class order), or None for one target column."""
    others = [c for c in sample.columns if c != id_col]
    names = {str(c): c for c in others}
    if len(others) >= 2 and len(classes) and all(str(k) in names for k in classes):
        return [names[str(k)] for k in classes]
    return None


def spelled(labels: np.ndarray, label_text: dict[str, str] | None) -> np.ndarray:
    """``labels`` written as the competition spells them (``label_text``: ``{"True": "true", ...}``,
    from :func:`compete.data.files.bool_spelling`); unchanged when there is nothing to respell."""
    if not label_text:
        return labels
    return np.array([label_text.get(str(v), v) for v in labels], dtype=object)


def build_submission(sample: pd.DataFrame, test_ids: pd.Series, pred: np.ndarray, *, id_col: str,
                     codec: TargetCodec, metric: Metric, threshold: Threshold | None = None,
                     label_text: dict[str, str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Turn test predictions (model space, in test row order) into sample_submission's layout.

    The target column's name is sample_submission's; label metrics use ``threshold`` (chosen on OOF
    predictions, see :mod:`compete.scoring.thresholds`), else 0.5 or the argmax, and write labels as the
    sample spells them (``label_text``, see :func:`spelled`).
    """
    order = pd.Index(test_ids).get_indexer(sample[id_col])
    pred = np.asarray(pred)[order]
    out = sample[[id_col]].copy()
    per_class = class_columns(sample, id_col, codec.classes_) if codec.task == "multiclass" else None
    if per_class is not None:
        for j, col in enumerate(per_class):
            out[col] = pred[:, j]
        return out[list(sample.columns)]
    if len(sample.columns) != 2:
        raise DataError(
            f"sample_submission has columns {list(sample.columns)}; expected {id_col!r} plus one target column, "
            "or one probability column per class"
        )
    col = next(c for c in sample.columns if c != id_col)
    if codec.task == "regression":
        out[col] = codec.decode_values(pred)
    elif metric.needs == "label":
        out[col] = spelled(codec.decode_labels(apply_threshold(pred, threshold)), label_text)
    elif pred.ndim == 2:
        raise DataError(
            f"metric {metric.name!r} scores class probabilities but sample_submission has one column {col!r}; "
            "add one column per class to sample_submission or use a label metric"
        )
    else:
        out[col] = pred
    return out


def check_layout(sample: pd.DataFrame, test_ids: pd.Series, *, id_col: str, codec: TargetCodec,
                 metric: Metric) -> None:  # fmt: skip
    """Fail before any training when sample_submission's layout cannot hold what the metric needs."""
    k = len(codec.classes_)
    dummy = np.full((len(test_ids), k), 1.0 / k) if codec.task == "multiclass" else np.zeros(len(test_ids))
    build_submission(sample, test_ids, dummy, id_col=id_col, codec=codec, metric=metric)


def validate_submission(sub: pd.DataFrame, sample: pd.DataFrame, id_col: str, *,
                        labels: np.ndarray | None = None, proba: bool = False) -> None:  # fmt: skip
    """Raise :class:`DataError` unless ``sub`` matches ``sample`` (columns, ids, order, values)."""
    if list(sub.columns) != list(sample.columns):
        raise DataError(
            f"submission columns {list(sub.columns)} differ from sample_submission's {list(sample.columns)}"
        )
    if len(sub) != len(sample):
        raise DataError(f"submission has {len(sub)} rows, sample_submission has {len(sample)}")
    if not sub[id_col].astype(str).equals(sample[id_col].astype(str)):
        raise DataError(
            f"submission ids differ from sample_submission's ids or their order (column {id_col!r})"
        )
    values = sub.drop(columns=[id_col])
    if values.isna().any().any():
        bad = values.columns[values.isna().any()][0]
        raise DataError(f"submission column {bad!r} has missing values; every row needs a prediction")
    if proba and ((values < 0) | (values > 1)).any().any():
        raise DataError("submission probabilities must lie in [0, 1]")
    if labels is not None:
        allowed = {str(v) for v in labels}
        for col in values.columns:
            unknown = sorted({str(v) for v in values[col]} - allowed)
            if unknown:
                raise DataError(
                    f"submission column {col!r} has labels not in the training labels: {unknown[:5]}"
                )
