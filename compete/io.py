"""Finding and reading a competition's files: train, test, sample_submission, extra tables.

Every problem a competitor can hit with the files raises :class:`~compete.errors.DataError` naming the
file or column and saying what to do; nothing is written before the data has passed these checks.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from compete.errors import DataError
from compete.spec import Spec

__all__ = ["CompetitionData", "resolve_data_dir", "find_table", "read_table", "load_competition", "NA_TOKENS"]

SUFFIXES = (".csv", ".csv.gz", ".parquet")
# Tokens read as missing on top of pandas' defaults ("", "NA", "NaN", "null", ...): UCI's "?".
NA_TOKENS = ("?",)


@dataclass
class CompetitionData:
    """The raw frames of one competition, validated against its spec."""

    train: pd.DataFrame
    test: pd.DataFrame
    sample: pd.DataFrame
    folder: Path

    @property
    def answers_path(self) -> Path | None:
        return _existing(self.folder, "answers")


def resolve_data_dir(
    spec: Spec, data_root: str | Path | None = None, data_dir: str | Path | None = None
) -> Path:
    """Where competition ``spec`` keeps its files.

    ``data_dir`` (one competition's folder) wins; else ``<data_root>/<spec.data or spec.name>`` where
    the root is ``data_root``, else ``$COMPETE_DATA_ROOT``, else ``./data``. A root or folder given on
    the command line always wins over the folder written in the spec.
    """
    if data_dir is not None:
        folder = Path(data_dir)
        if not folder.is_dir():
            raise DataError(f"--data-dir {folder}: no such folder; point it at the folder holding train.csv")
        return folder
    explicit = data_root is not None or "COMPETE_DATA_ROOT" in os.environ
    root = Path(data_root if data_root is not None else os.environ.get("COMPETE_DATA_ROOT", "data"))
    sub = Path(spec.data or spec.name)
    if sub.is_absolute() and not explicit:
        return sub
    if not root.is_dir() and not spec.generate:
        raise DataError(
            f"data root {root} does not exist; pass --data-root DIR (or set COMPETE_DATA_ROOT) "
            f"to the folder that holds {sub.name}/"
        )
    return root / sub.name if sub.is_absolute() else root / sub


def _existing(folder: Path, stem: str) -> Path | None:
    if Path(stem).suffix in (".csv", ".gz", ".parquet"):
        return folder / stem if (folder / stem).is_file() else None
    for suffix in SUFFIXES:
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    return None


def find_table(folder: Path, stem: str) -> Path:
    """``folder/stem`` with a .csv, .csv.gz or .parquet suffix; a clear error when none exists."""
    path = _existing(folder, stem)
    if path is None:
        tried = ", ".join(f"{stem}{s}" for s in SUFFIXES) if not Path(stem).suffix else stem
        raise DataError(
            f"{folder}: missing file {stem} (looked for {tried}); put the competition's files there"
        )
    return path


def read_table(path: Path, na_values: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a csv / csv.gz / parquet file; ``?`` and the spec's ``na_values`` read as missing."""
    try:
        if path.name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, na_values=list(NA_TOKENS + na_values), low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; re-download it") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path}: cannot be read as a table ({exc}); check the file") from None
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no rows; re-download it")
    return frame


def load_competition(spec: Spec, folder: Path) -> CompetitionData:
    """Read train, test and sample_submission, join extra tables, and check them against the spec."""
    na = spec.schema.na_values
    paths = {role: find_table(folder, spec.file(role)) for role in ("train", "test", "sample_submission")}
    train, test, sample = (read_table(paths[r], na) for r in ("train", "test", "sample_submission"))
    for join in spec.joins:
        train, test = _join(folder, join.file, join.on, train, test, na)
    _check_target(spec, train, paths["train"])
    _check_ids(spec, test, sample, paths)
    _check_columns(spec, train, test, paths)
    train = _drop_missing_targets(spec, train, paths["train"])
    return CompetitionData(train.reset_index(drop=True), test.reset_index(drop=True), sample, folder)


def _join(folder: Path, file: str, on: tuple[str, ...], train: pd.DataFrame, test: pd.DataFrame,
          na: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    path = find_table(folder, file)
    extra = read_table(path, na)
    for name, frame in (("train", train), ("test", test), (path.name, extra)):
        missing = [k for k in on if k not in frame.columns]
        if missing:
            raise DataError(
                f"join with {path.name}: key {missing[0]!r} is not a column of {name}; fix join.on"
            )
    if extra.duplicated(list(on)).any():
        raise DataError(f"{path}: join key {list(on)} is not unique; a join table needs one row per key")
    return train.merge(extra, on=list(on), how="left"), test.merge(extra, on=list(on), how="left")


def _check_target(spec: Spec, train: pd.DataFrame, path: Path) -> None:
    if spec.target not in train.columns:
        raise DataError(
            f"{path}: target column {spec.target!r} is missing; columns are {_names(train.columns)}; "
            "fix `target` in the spec"
        )
    y = train[spec.target].dropna()
    if spec.task == "regression":
        if not pd.api.types.is_numeric_dtype(y):
            bad = y[pd.to_numeric(y, errors="coerce").isna()].iloc[0]
            raise DataError(
                f"{path}: target {spec.target!r} must be numeric for a regression task, found {bad!r}; "
                'set task = "binary" or "multiclass", or clean the column'
            )
    elif y.nunique() < 2:
        raise DataError(
            f"{path}: target {spec.target!r} has one class only ({y.iloc[0]!r}); nothing to learn"
        )
    elif spec.task == "binary" and y.nunique() > 2:
        raise DataError(
            f'{path}: target {spec.target!r} has {y.nunique()} classes but task = "binary"; '
            'set task = "multiclass"'
        )


def _check_ids(spec: Spec, test: pd.DataFrame, sample: pd.DataFrame, paths: dict[str, Path]) -> None:
    for role, frame in (("test", test), ("sample_submission", sample)):
        if spec.id not in frame.columns:
            raise DataError(
                f"{paths[role]}: id column {spec.id!r} is missing; columns are {_names(frame.columns)}; "
                "fix `id` in the spec"
            )
    dupes = test[spec.id][test[spec.id].duplicated()]
    if len(dupes):
        raise DataError(
            f"{paths['test']}: id {spec.id!r} is duplicated ({len(dupes)} repeats, e.g. {dupes.iloc[0]!r}); "
            "each test row needs its own id"
        )
    missing = ~sample[spec.id].isin(test[spec.id])
    if missing.any():
        raise DataError(
            f"{paths['sample_submission']}: {int(missing.sum())} ids are not in test "
            f"(e.g. {sample[spec.id][missing].iloc[0]!r}); the two files must describe the same rows"
        )


def _check_columns(spec: Spec, train: pd.DataFrame, test: pd.DataFrame, paths: dict[str, Path]) -> None:
    skip = {spec.target, spec.id, *spec.schema.ignore}
    train_cols = [c for c in train.columns if c not in skip]
    test_cols = [c for c in test.columns if c not in skip]
    missing = [c for c in train_cols if c not in test.columns]
    extra = [c for c in test_cols if c not in train.columns]
    if missing:
        raise DataError(
            f"{paths['test']}: lacks train columns {_names(missing)}; a model cannot use what test lacks: "
            "add them to schema.ignore in the spec"
        )
    if extra:
        raise DataError(
            f"{paths['test']}: has columns train lacks: {_names(extra)}; add them to schema.ignore in the spec"
        )


def _drop_missing_targets(spec: Spec, train: pd.DataFrame, path: Path) -> pd.DataFrame:
    missing = train[spec.target].isna()
    if missing.any():
        warnings.warn(
            f"{path}: {int(missing.sum())} rows have no target {spec.target!r}; they are left out",
            stacklevel=2,
        )
        train = train[~missing]
    return train


def _names(columns: Iterable[object]) -> str:
    cols = list(columns)
    shown = ", ".join(repr(c) for c in cols[:12])
    return shown + (f", ... ({len(cols)} in all)" if len(cols) > 12 else "")
