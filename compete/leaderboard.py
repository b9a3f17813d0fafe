"""Scoring a submission against an answer key, exactly as a leaderboard would.

The answer key has the id column and the true target (``answers.csv``). Labels are compared in the
competition's own values; probability columns are scored against the encoded truth.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from compete.errors import DataError
from compete.metrics import get_metric
from compete.spec import Spec
from compete.submission import class_columns
from compete.target import TargetCodec

__all__ = ["score_submission", "score_files"]


def score_submission(sub: pd.DataFrame, answers: pd.DataFrame, spec: Spec, codec: TargetCodec) -> float:
    """The competition metric of ``sub`` against ``answers`` (rows matched by id)."""
    metric = get_metric(spec.metric)
    target = spec.target if spec.target in answers.columns else answers.columns[-1]
    merged = answers[[spec.id, target]].merge(sub, on=spec.id, how="left", suffixes=("__true", ""))
    if len(merged) != len(answers) or merged.drop(columns=[spec.id, target]).isna().any().any():
        raise DataError(f"the submission lacks predictions for some ids of the answer key ({spec.id!r})")
    truth = merged[f"{target}__true"] if f"{target}__true" in merged.columns else merged[target]
    if spec.task == "regression":
        col = next(c for c in sub.columns if c != spec.id)
        return metric.score(truth.to_numpy(dtype=float), merged[col].to_numpy(dtype=float))
    y = _encode(codec, truth)
    per_class = class_columns(sub, spec.id, codec.classes_)
    if per_class is not None:
        return metric.score(y, merged[per_class].to_numpy(dtype=float))
    col = next(c for c in sub.columns if c != spec.id)
    if metric.needs == "label":
        return float(metric.fn(y, _encode(codec, merged[col])))
    return metric.score(y, merged[col].to_numpy(dtype=float))


def _encode(codec: TargetCodec, values: pd.Series) -> np.ndarray:
    lookup = {str(c): i for i, c in enumerate(codec.classes_)}
    codes = values.astype(str).map(lookup)
    if codes.isna().any():
        bad = values[codes.isna()].iloc[0]
        raise DataError(f"label {bad!r} is not one of the training labels {list(lookup)}")
    return codes.to_numpy(dtype=int)


def score_files(submission: str | Path, answers: str | Path, spec: Spec, train_target: pd.Series) -> float:
    """Score a submission file against an answer-key file."""
    from compete.io import read_table

    codec = TargetCodec(spec.task, get_metric(spec.metric), spec.positive).fit(train_target)
    return score_submission(read_table(Path(submission)), read_table(Path(answers)), spec, codec)
