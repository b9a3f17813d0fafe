"""Checking a submission file and scoring it against an answer key (the local leaderboard).

The answer key has the id column and the true target (``answers.csv``). Labels are compared in the
competition's own values; probability columns are scored against the encoded truth.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compete.data.target import TargetCodec
from compete.errors import DataError
from compete.scoring.metrics import get_metric
from compete.spec import Spec
from compete.submission.build import class_columns, validate_submission

__all__ = ["check_submission", "score_submission", "score_files", "score_answers", "encode_labels"]


def check_submission(sub: pd.DataFrame, sample: pd.DataFrame, id_col: str, *, task: str, needs: str,
                     labels: np.ndarray | None = None, nonnegative: bool = False) -> None:  # fmt: skip
    """Raise :class:`DataError` with the reason unless ``sub`` is a valid submission for ``sample``.

    Checks the columns (names and order), row count, ids and their order, missing values, that
    probability and regression columns hold finite numbers, probabilities in [0, 1], label columns
    holding training labels only, and (rmsle) no negative values.
    """
    if list(sub.columns) != list(sample.columns):
        raise DataError(
            f"submission columns {list(sub.columns)} differ from sample_submission's {list(sample.columns)}"
        )
    values = [c for c in sub.columns if c != id_col]
    if needs != "label":
        sub = sub.assign(**{col: _numbers(sub[col], needs) for col in values})
    validate_submission(
        sub, sample, id_col, labels=labels if needs == "label" else None, proba=needs == "proba"
    )
    if nonnegative and (sub[values] < 0).any().any():
        raise DataError("submission has negative predictions; rmsle scores log1p(prediction): clip them at 0")


def _numbers(col: pd.Series, needs: str) -> pd.Series:
    numbers = pd.to_numeric(col, errors="coerce")
    bad = col[numbers.isna() & col.notna()]
    if len(bad):
        what = "probabilities" if needs == "proba" else "values"
        raise DataError(
            f"submission column {col.name!r} holds non-numbers (e.g. {bad.iloc[0]!r}); the metric scores {what}"
        )
    if np.isinf(numbers).any():
        raise DataError(
            f"submission column {col.name!r} holds infinite values; every prediction must be finite"
        )
    return numbers


def score_answers(sub: pd.DataFrame, answers: Path, spec: Any, codec: Any) -> float:
    """The score of ``sub`` against the answer-key file ``answers`` (``--answers`` or the data folder's)."""
    from compete.data.files import read_table

    if not answers.is_file():
        raise DataError(
            f"--answers {answers}: no such file; point it at a csv with {spec.id!r} and {spec.target!r}"
        )
    key = read_table(answers)
    if spec.id not in key.columns:
        raise DataError(
            f"{answers}: the answer key has no id column {spec.id!r}; columns are {list(key.columns)}"
        )
    return float(score_submission(sub, key, spec, codec))


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
    y = encode_labels(codec, truth)
    per_class = class_columns(sub, spec.id, codec.classes_)
    if per_class is not None:
        return metric.score(y, merged[per_class].to_numpy(dtype=float))
    col = next(c for c in sub.columns if c != spec.id)
    if metric.needs == "label":
        return float(metric.fn(y, encode_labels(codec, merged[col])))
    return metric.score(y, merged[col].to_numpy(dtype=float))


def encode_labels(codec: TargetCodec, values: pd.Series) -> np.ndarray:
    """Labels as the competition writes them (``values``) → the codec's class codes 0..K-1."""
    lookup = {str(c): i for i, c in enumerate(codec.classes_)}
    codes = values.astype(str).map(lookup)
    if codes.isna().any():
        bad = values[codes.isna()].iloc[0]
        raise DataError(f"label {bad!r} is not one of the training labels {list(lookup)}")
    return codes.to_numpy(dtype=int)


def score_files(submission: str | Path, answers: str | Path, spec: Spec, train_target: pd.Series) -> float:
    """Score a submission file against an answer-key file."""
    from compete.data.files import read_table

    codec = TargetCodec(spec.task, get_metric(spec.metric), spec.positive).fit(train_target)
    return score_submission(read_table(Path(submission)), read_table(Path(answers)), spec, codec)
