"""Splitters built from the spec's ``[cv]`` table: the same folds for every model of a run.

``group`` with ``group_period`` (a datetime ``group`` column) keeps each calendar hour, day, week,
month or year whole within one fold: the way to validate on unseen days when the test set is made
of other days (bike-sharing: train days 1-19, test days 20+).

Folds are positional index arrays ``(train_idx, valid_idx)``. With ``kfold``, ``stratified`` and
``group`` every row is validated exactly once. ``time`` is forward chaining on the time column: fold k
trains on the earliest blocks and validates the next one, so the first block is never validated and
its out-of-fold predictions stay NaN (scores use validated rows only).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from compete.errors import DataError
from compete.spec import GROUP_PERIODS, CVSpec

__all__ = ["Folds", "make_folds", "folds_signature"]

Folds = list[tuple[np.ndarray, np.ndarray]]


def make_folds(cv: CVSpec, y: np.ndarray, frame: pd.DataFrame, task: str) -> Folds:
    """Folds for ``len(y)`` rows; ``frame`` holds the raw training columns (for group/time columns)."""
    n = len(y)
    if n < cv.folds:
        raise DataError(f"train has {n} rows, fewer than cv.folds = {cv.folds}; lower cv.folds")
    idx = np.arange(n)
    if cv.scheme == "time":
        return _time_folds(_column(frame, cv.time, "cv.time"), cv.folds)
    if cv.scheme == "group":
        groups = _column(frame, cv.group, "cv.group")
        return _group_folds(_period(groups, cv.group_period) if cv.group_period else groups, y, cv, task)
    if cv.scheme == "stratified":
        strata = y if task != "regression" else _quantile_bins(y, cv.folds)
        _check_strata(strata, cv.folds)
        from sklearn.model_selection import StratifiedKFold

        split = StratifiedKFold(cv.folds, shuffle=True, random_state=cv.seed).split(idx, strata)
        return [(tr, va) for tr, va in split]
    from sklearn.model_selection import KFold

    return [(tr, va) for tr, va in KFold(cv.folds, shuffle=True, random_state=cv.seed).split(idx)]


def _column(frame: pd.DataFrame, name: str, key: str) -> pd.Series:
    if name not in frame.columns:
        raise DataError(f"{key} = {name!r} is not a column of train; fix the spec")
    return frame[name]


def _check_strata(strata: np.ndarray, folds: int) -> None:
    counts = pd.Series(strata).value_counts()
    if counts.min() < folds:
        raise DataError(
            f"class {counts.idxmin()} has only {counts.min()} rows, fewer than cv.folds = {folds}; "
            'lower cv.folds or use cv.scheme = "kfold"'
        )


def _quantile_bins(y: np.ndarray, folds: int) -> np.ndarray:
    bins = min(10, max(2, len(y) // (folds * 2)))
    return pd.qcut(pd.Series(y).rank(method="first"), bins, labels=False).to_numpy()


def _period(values: pd.Series, period: str) -> pd.Series:
    """The calendar ``period`` of each value of a datetime (or date-like text) column."""
    if pd.api.types.is_numeric_dtype(values):
        raise DataError(
            f"cv.group_period = {period!r} needs cv.group = {values.name!r} to hold dates, but it holds "
            "numbers; name a datetime column, or drop group_period to group by the values themselves"
        )
    times = _as_times(values)
    if times.isna().any():
        raise DataError(
            f"cv.group_period = {period!r} needs cv.group = {values.name!r} to hold dates; "
            f"{int(times.isna().sum())} values are missing or not dates (e.g. {values[times.isna()].iloc[0]!r})"
        )
    return times.dt.to_period(GROUP_PERIODS[period]).astype(str)


def _group_folds(groups: pd.Series, y: np.ndarray, cv: CVSpec, task: str) -> Folds:
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    if groups.isna().any():
        raise DataError(f"cv.group = {cv.group!r} has missing values; every row needs a group")
    if groups.nunique() < cv.folds:
        raise DataError(
            f"cv.group = {cv.group!r} has {groups.nunique()} groups, fewer than cv.folds = {cv.folds}"
        )
    codes = pd.factorize(groups)[0]
    idx = np.arange(len(y))
    if task == "regression":
        split = GroupKFold(cv.folds, shuffle=True, random_state=cv.seed).split(idx, y, codes)
    else:
        split = StratifiedGroupKFold(cv.folds, shuffle=True, random_state=cv.seed).split(idx, y, codes)
    return [(tr, va) for tr, va in split]


def _as_times(values: pd.Series) -> pd.Series:
    """A time column as cv reads it: numbers as they are, anything else parsed as dates (NaT if not)."""
    if pd.api.types.is_numeric_dtype(values):
        return values
    return pd.to_datetime(values, errors="coerce", format="mixed")


def _time_folds(times: pd.Series, folds: int) -> Folds:
    t = _as_times(times)
    if pd.isna(t).any():
        raise DataError(f"cv.time = {times.name!r} has missing or unparseable values; fix the column")
    order = np.argsort(np.asarray(t), kind="stable")
    blocks = np.array_split(order, folds + 1)
    return [(np.sort(np.concatenate(blocks[: k + 1])), np.sort(blocks[k + 1])) for k in range(folds)]


def folds_signature(folds: Folds) -> str:
    """A short hash identifying the folds: runs with the same signature can be blended."""
    h = hashlib.sha1()
    for _, valid in folds:
        h.update(np.asarray(valid, dtype=np.int64).tobytes())
        h.update(b"|")
    return h.hexdigest()[:16]
