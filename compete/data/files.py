"""Finding and reading a competition's files: train, test, sample_submission, extra tables.

Every problem a competitor can hit with the files raises :class:`~compete.errors.DataError` naming the
file or column and saying what to do; nothing is written before the data has passed these checks.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from compete.errors import DataError
from compete.spec import Spec

__all__ = [
    "CompetitionData",
    "bool_spelling",
    "resolve_data_dir",
    "find_table",
    "read_table",
    "join_table",
    "load_competition",
    "check_target_present",
    "NA_TOKENS",
    "MIN_TRAIN_ROWS",
]

SUFFIXES = (".csv", ".csv.gz", ".parquet")
# Tokens read as missing on top of pandas' defaults ("", "NA", "NaN", "null", ...): UCI's "?".
NA_TOKENS = ("?",)
# The fewest train rows with a target a run accepts; cross-validation also needs 2 rows per fold, so
# the floor is max(MIN_TRAIN_ROWS, 2 * cv.folds). Rows whose target is missing do not count.
MIN_TRAIN_ROWS = 10


@dataclass
class CompetitionData:
    """The raw frames of one competition, validated against its spec.

    ``notes`` holds what loading changed and the user should hear (e.g. train rows left out because
    their target is missing); the runner shows them.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    sample: pd.DataFrame
    folder: Path
    notes: list[str] = field(default_factory=list)
    label_text: dict[str, str] = field(default_factory=dict)  # True/False as sample_submission spells them

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
    """Read a csv / csv.gz / parquet file; ``?`` and the spec's ``na_values`` read as missing.

    A csv is parsed on every core (:func:`compete.data.reader.read_csv_fast`), with pandas' values.

    A csv header that repeats a column name is refused (pandas would rename the repeat ``x.1``).
    """
    import pyarrow as pa

    from compete.data.reader import read_csv_fast

    try:
        if path.name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        else:
            _check_header(path)
            frame = read_csv_fast(path, NA_TOKENS + na_values)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; re-download it") from None
    except (pa.ArrowInvalid, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        if "Empty CSV file" in str(exc):
            raise DataError(f"{path}: the file is empty; re-download it") from None
        raise DataError(f"{path}: cannot be read as a table ({_first_line(exc)}); check the file") from None
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no rows; re-download it")
    return frame


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _check_header(path: Path) -> None:
    """Refuse a csv whose header names one column twice (read as text, before pandas renames it)."""
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False).iloc[0]
    repeats = [(name, n) for name, n in Counter(header.tolist()).items() if n > 1 and name]
    if repeats:
        name, n = repeats[0]
        raise DataError(
            f"{path}: column {name!r} appears {n} times in the header; give each column its own name "
            "in the file's first line"
        )


def load_competition(spec: Spec, folder: Path) -> CompetitionData:
    """Read train, test and sample_submission, join extra tables, and check them against the spec.

    Train rows without a target are left out (said in ``notes``); too few rows left is an error.
    """
    na = spec.schema.na_values
    paths = {role: find_table(folder, spec.file(role)) for role in ("train", "test", "sample_submission")}
    train, test, sample = (read_table(paths[r], na) for r in ("train", "test", "sample_submission"))
    for join in spec.joins:
        train, test = join_table(find_table(folder, join.file), join.on, {"train": train, "test": test}, na)
    notes: list[str] = []
    train = _usable_train(spec, train, paths["train"], notes)
    _check_ids(spec, test, sample, paths)
    _check_columns(spec, train, test, paths)
    test = _align_ignored(spec, train, test)
    spelling = bool_spelling(paths["sample_submission"], sample)
    return CompetitionData(train.reset_index(drop=True), test.reset_index(drop=True), sample, folder, notes,
                           spelling)  # fmt: skip


def bool_spelling(path: Path, sample: pd.DataFrame) -> dict[str, str]:
    r"""How a csv's boolean label column writes ``True`` and ``False`` when not as Python does
    (``true``/``false``, ``TRUE``/``FALSE``): pandas reads them all as booleans, and a submission must
    write them back as the competition spells them. Empty when there is nothing to respell.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = path.write_text("id,label\n1,false\n")
    >>> bool_spelling(path, pd.read_csv(path))
    {'True': 'true', 'False': 'false'}
    """
    bools = [c for c in sample.columns if pd.api.types.is_bool_dtype(sample[c])]
    if not bools or path.name.endswith(".parquet"):
        return {}
    raw = pd.read_csv(path, usecols=bools[:1], dtype=str, nrows=1).iloc[0, 0]
    if raw.islower():
        return {"True": "true", "False": "false"}
    return {"True": "TRUE", "False": "FALSE"} if raw.isupper() else {}


def join_table(path: Path, on: tuple[str, ...] | list[str], frames: dict[str, pd.DataFrame],
               na: tuple[str, ...] = ()) -> list[pd.DataFrame]:  # fmt: skip
    """Each of ``frames`` (by name) left-joined with the table at ``path`` on ``on`` (a ``[[join]]``):
    the keys must be columns of every frame and of the table, and unique in the table."""
    extra = read_table(path, na)
    for name, frame in (*frames.items(), (path.name, extra)):
        missing = [k for k in on if k not in frame.columns]
        if missing:
            raise DataError(
                f"join with {path.name}: key {missing[0]!r} is not a column of {name}; fix join.on"
            )
    if extra.duplicated(list(on)).any():
        raise DataError(f"{path}: join key {list(on)} is not unique; a join table needs one row per key")
    return [frame.merge(extra, on=list(on), how="left") for frame in frames.values()]


def _usable_train(spec: Spec, train: pd.DataFrame, path: Path, notes: list[str]) -> pd.DataFrame:
    """Train's rows with a target, checked: enough of them, and target values that fit the task."""
    check_target_present(train, spec.target, path)
    train = _drop_missing_targets(spec, train, path, notes)
    _check_rows(spec, len(train), path)
    _check_target_values(spec, train[spec.target], path)
    return train


def check_target_present(train: pd.DataFrame, target: str, path: Path) -> None:
    """Raise :class:`DataError` when ``target`` is not a column of ``train`` or holds no value at all."""
    if target not in train.columns:
        raise DataError(
            f"{path}: target column {target!r} is missing; columns are {_names(train.columns)}; "
            "fix `target` in the spec"
        )
    if train[target].isna().all():
        raise DataError(
            f"{path}: target column {target!r} has no values (all {len(train)} rows are missing); "
            "fill it in, or name the column to predict with `target` in the spec (init: --target)"
        )


def _drop_missing_targets(spec: Spec, train: pd.DataFrame, path: Path, notes: list[str]) -> pd.DataFrame:
    missing = train[spec.target].isna()
    n = int(missing.sum())
    if n:
        rows = "1 row has" if n == 1 else f"{n} rows have"
        notes.append(
            f"{path.name}: {rows} no target {spec.target!r}; they are left out ({len(train) - n} rows remain)"
        )
        train = train[~missing]
    return train


def _check_rows(spec: Spec, n: int, path: Path) -> None:
    need = max(MIN_TRAIN_ROWS, 2 * spec.cv.folds)
    if n < need:
        rows = "1 row has" if n == 1 else f"{n} rows have"
        raise DataError(
            f"{path}: {rows} a target, too few to cross-validate with {spec.cv.folds} folds: need at least "
            f"{need} rows ({MIN_TRAIN_ROWS} or more, 2 per fold); add rows or check the file"
        )


def _check_target_values(spec: Spec, target: pd.Series, path: Path) -> None:
    y = target.dropna()
    if spec.task == "regression":
        if not pd.api.types.is_numeric_dtype(y):
            bad = y[pd.to_numeric(y, errors="coerce").isna()].iloc[0]
            raise DataError(
                f"{path}: target {spec.target!r} must be numeric for a regression task, found {_show(bad)}; "
                'set task = "binary" or "multiclass", or clean the column'
            )
    elif y.nunique() < 2:
        raise DataError(
            f"{path}: target {spec.target!r} has one class only ({_show(y.iloc[0])}); nothing to learn"
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
        dupes = frame[spec.id][frame[spec.id].duplicated()]
        if len(dupes):
            raise DataError(
                f"{paths[role]}: id {spec.id!r} is duplicated ({len(dupes)} repeats, "
                f"e.g. {_show(dupes.iloc[0])}); each row of {paths[role].name} needs its own id"
            )
    _check_same_ids(spec.id, test, sample, paths)


def _check_same_ids(id_col: str, test: pd.DataFrame, sample: pd.DataFrame, paths: dict[str, Path]) -> None:
    """sample_submission and test must hold the same ids; their order may differ (sample's is kept)."""
    extra = sample[id_col][~sample[id_col].isin(test[id_col])]
    if len(extra):
        raise DataError(
            f"{paths['sample_submission']}: {len(extra)} ids are not in test (first: {_first(extra)}); "
            f"the two files must describe the same rows: use the sample_submission that came with "
            f"{paths['test'].name}"
        )
    lacking = test[id_col][~test[id_col].isin(sample[id_col])]
    if len(lacking):
        raise DataError(
            f"{paths['sample_submission']}: {len(lacking)} test ids are not in sample_submission "
            f"(first: {_first(lacking)}); it has {len(sample)} rows, {paths['test'].name} has {len(test)}, "
            "and a submission needs one row per test row: re-download sample_submission"
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


def _align_ignored(spec: Spec, train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Test gains, all missing, the ignored columns only train has, so both frames share one layout."""
    lacking = [c for c in spec.schema.ignore if c in train.columns and c not in test.columns]
    return test.reindex(columns=[*test.columns, *lacking]) if lacking else test


def _show(value: object) -> str:
    """``repr`` of a cell, numpy scalars as plain Python values (240, not np.int64(240))."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _first(values: pd.Series, k: int = 3) -> str:
    shown = ", ".join(str(v) for v in values.iloc[:k])
    return shown + (", ..." if len(values) > k else "")


def _names(columns: Iterable[object]) -> str:
    cols = list(columns)
    shown = ", ".join(repr(c) for c in cols[:12])
    return shown + (f", ... ({len(cols)} in all)" if len(cols) > 12 else "")
