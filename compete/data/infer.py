"""``compete init``: write a competition spec from the files alone.

The id and target come from sample_submission.csv (its first column is the id, the rest name the
target), else from the columns train has and test lacks. The task follows from the target's values,
the metric from the task and the submission's layout. Every guess is returned with its reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from compete.data.files import check_target_present, find_table, read_table
from compete.data.schema import Schema, infer_schema
from compete.errors import DataError, SpecError
from compete.scoring.metrics import DEFAULT_METRIC, get_metric
from compete.spec import TASKS, SchemaSpec, spec_from_dict

__all__ = ["InitResult", "init_competition", "infer_settings"]

ROLES = ("train", "test", "sample_submission")


@dataclass
class InitResult:
    """The spec written, why each setting was chosen, and every column's type with its reason.

    ``columns`` holds one ``{"column", "type", "reason"}`` dict per column of train and test; the type
    is id, target, numeric, categorical, datetime, text, id-like or ignored.
    """

    path: Path
    settings: dict[str, str]
    reasons: dict[str, str] = field(default_factory=dict)
    columns: list[dict[str, str]] = field(default_factory=list)


@dataclass
class _Files:
    frames: dict[str, pd.DataFrame]
    paths: dict[str, Path]


def init_competition(name: str, data_dir: str | Path, *, competitions_dir: str | Path = "competitions",
                     target: str | None = None, id: str | None = None, metric: str | None = None,
                     task: str | None = None, force: bool = False) -> InitResult:  # fmt: skip
    """Infer a spec for the files in ``data_dir`` and write ``<competitions_dir>/<name>/competition.toml``."""
    path = Path(competitions_dir) / name / "competition.toml"
    if path.exists() and not force:
        raise SpecError(f"{path} already exists; pass --force to overwrite it")
    folder = Path(data_dir)
    if not folder.is_dir():
        raise DataError(f"--data-dir {folder}: no such folder; point it at the folder holding train.csv")
    files = _read(folder)
    settings, reasons, schema = _infer(files, target=target, id=id, metric=metric, task=task)
    settings["data"] = str(folder.resolve())
    columns, ignore = _columns(files, settings["id"], settings["target"], schema)
    text = _toml(settings, reasons, ignore)
    spec_from_dict(_parse(text), name=name, source=str(path))  # validate before writing
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return InitResult(path, settings, reasons, columns)


def infer_settings(folder: Path, *, target: str | None = None, id: str | None = None, metric: str | None = None,
                   task: str | None = None) -> tuple[dict[str, str], dict[str, str]]:  # fmt: skip
    """Guess id, target, task, metric and CV scheme from the files; given values win."""
    settings, reasons, _ = _infer(_read(folder), target=target, id=id, metric=metric, task=task)
    return settings, reasons


def _read(folder: Path) -> _Files:
    paths = {role: find_table(folder, role) for role in ROLES}
    return _Files({role: read_table(paths[role]) for role in ROLES}, paths)


def _infer(files: _Files, *, target: str | None, id: str | None, metric: str | None,
           task: str | None) -> tuple[dict[str, str], dict[str, str], Schema]:  # fmt: skip
    """The settings and why, and the schema of the feature columns train and test share (inferred
    once: the folds read its datetime columns, the printed table every column)."""
    train, test, sample = (files.frames[r] for r in ROLES)
    reasons: dict[str, str] = {}
    id_col = id or _infer_id(train, test, sample, reasons)
    target_col = target or _infer_target(train, test, sample, id_col, reasons)
    if target_col not in train.columns:
        raise DataError(
            f"{files.paths['train']}: target {target_col!r} is not a column; pass --target COLUMN"
        )
    check_target_present(train, target_col, files.paths["train"])
    task = task or _infer_task(train[target_col], reasons)
    if task not in TASKS:
        raise SpecError(f"--task {task!r} is not known; use one of: {', '.join(TASKS)}")
    metric = metric or _infer_metric(task, sample, id_col, train[target_col], reasons)
    get_metric(metric, where="--metric").check_task(task, where="--metric")
    settings = {"task": task, "target": target_col, "id": id_col, "metric": metric}
    common = [c for c in train.columns if c in test.columns and c not in (id_col, target_col)]
    schema = infer_schema(train[common], test[common], SchemaSpec())
    split = _time_split(train, test, schema.columns("datetime"))
    if split is not None:
        cv, reasons["cv"] = split
        return {**settings, **cv}, reasons, schema
    scheme = "kfold" if task == "regression" else "stratified"
    reasons.setdefault(
        "cv", f"{scheme} 5-fold ({'regression' if scheme == 'kfold' else 'keeps class shares'})"
    )
    return {**settings, "scheme": scheme}, reasons, schema


def _time_split(
    train: pd.DataFrame, test: pd.DataFrame, dated: list[str]
) -> tuple[dict[str, str], str] | None:
    """Folds that mirror how train and test were split in time, from the first of the ``dated``
    columns (typed datetime by the schema) that both files fill: test rows all later than the
    training rows validate forward in time (``time``); test rows on calendar days the training rows
    never reach, between them (bike-sharing: days 1-19 of each month to train, 20 on to test), hold
    out whole days (``group`` by day). None when neither holds: a random split of rows, which k-fold
    mirrors. Features only, no target.

    >>> hours = pd.date_range("2024-01-01", periods=24 * 40, freq="h")
    >>> days = pd.Series(hours.day)
    >>> train, test = pd.DataFrame({"t": hours[days < 20]}), pd.DataFrame({"t": hours[days >= 20]})
    >>> _time_split(train, test, ["t"])[0]
    {'scheme': 'group', 'group': 't', 'group_period': 'day'}
    >>> _time_split(pd.DataFrame({"t": hours[:500]}), pd.DataFrame({"t": hours[500:]}), ["t"])[0]
    {'scheme': 'time', 'time': 't'}
    """
    for col in dated:
        a = pd.to_datetime(train[col], errors="coerce", format="mixed").dropna()
        b = pd.to_datetime(test[col], errors="coerce", format="mixed").dropna()
        if len(a) < 0.9 * len(train) or len(b) < 0.9 * len(test) or b.empty:
            continue
        if b.min() > a.max():
            return {"scheme": "time", "time": str(col)}, (
                f"time on {col!r}: every test row comes after the last training row, so each fold trains on "
                "earlier rows and validates on the next ones"
            )
        train_days, test_days = set(a.dt.normalize()), set(b.dt.normalize())
        shared = len(test_days & train_days) / len(test_days)
        if len(train_days) >= 10 and shared <= 0.05 and b.min() < a.max():
            return {"scheme": "group", "group": str(col), "group_period": "day"}, (
                f"group on {col!r} by day: the test rows fall on {len(test_days)} days between the training "
                f"days, {shared:.0%} of them in train, so each fold holds out whole days"
            )
    return None


def _columns(
    files: _Files, id_col: str, target: str, schema: Schema
) -> tuple[list[dict[str, str]], list[str]]:
    """Every column's type and reason (``schema``: the shared columns'), and the columns to ignore
    because only train or test has them."""
    train, test = files.frames["train"], files.frames["test"]
    features = [c for c in train.columns if c not in (id_col, target)]
    common = [c for c in features if c in test.columns]
    only_train = [c for c in features if c not in common]
    only_test = [c for c in test.columns if c not in train.columns and c not in (id_col, target)]
    rows = [
        {"column": str(id_col), "type": "id", "reason": "identifies the rows; not a feature"},
        {"column": str(target), "type": "target", "reason": "the column to predict"},
        *schema.describe(),
        *_ignored(only_train, "in train only (test lacks it)"),
        *_ignored(only_test, "in test only (train lacks it)"),
    ]
    return rows, [str(c) for c in only_train + only_test]


def _ignored(columns: list[str], reason: str) -> list[dict[str, str]]:
    return [{"column": str(c), "type": "ignored", "reason": reason} for c in columns]


def _infer_id(train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame, reasons: dict[str, str]) -> str:
    first = sample.columns[0]
    if first in test.columns:
        reasons["id"] = "first column of sample_submission, also in test"
        return str(first)
    unique = [c for c in test.columns if test[c].is_unique and c in train.columns]
    if unique:
        reasons["id"] = "a column of train and test whose test values are all distinct"
        return str(unique[0])
    raise DataError(
        "cannot tell the id column: sample_submission's first column is not in test; pass --id COLUMN"
    )


def _infer_target(train: pd.DataFrame, test: pd.DataFrame, sample: pd.DataFrame, id_col: str,
                  reasons: dict[str, str]) -> str:  # fmt: skip
    named = [c for c in sample.columns if c != id_col and c in train.columns and c not in test.columns]
    if len(named) == 1:
        reasons["target"] = "named by sample_submission, in train but not in test"
        return str(named[0])
    only_train = [c for c in train.columns if c not in test.columns and c != id_col]
    if len(only_train) == 1:
        reasons["target"] = "the one column train has and test lacks"
        return str(only_train[0])
    raise DataError(f"cannot tell the target: columns only in train are {only_train}; pass --target COLUMN")


def _infer_task(y: pd.Series, reasons: dict[str, str]) -> str:
    values = y.dropna()
    n = values.nunique()
    if n == 2:
        reasons["task"] = (
            f"the target has two values ({', '.join(map(str, sorted(values.unique(), key=str)))})"
        )
        return "binary"
    numeric = pd.api.types.is_numeric_dtype(values)
    whole = numeric and bool((values == values.round()).all())
    if not numeric or (whole and n <= 10):
        reasons["task"] = f"the target has {n} {'labels' if not numeric else 'whole-number values'}"
        return "multiclass"
    reasons["task"] = f"the target is numeric with {n} distinct values"
    return "regression"


def _infer_metric(task: str, sample: pd.DataFrame, id_col: str, y: pd.Series, reasons: dict[str, str]) -> str:
    """A label metric when sample_submission's one value column holds labels, else the task's default."""
    cols = [c for c in sample.columns if c != id_col]
    if task != "regression" and len(cols) == 1:
        layout, what = _layout(sample[cols[0]], y)
        where = f"sample_submission's {cols[0]!r} holds {what}"
        if layout == "labels" or task == "multiclass":
            why = (
                "class labels" if layout == "labels" else "one column holds only class labels for multiclass"
            )
            reasons["metric"] = f"{where}: {why}, so accuracy"
            return "accuracy"
        default = DEFAULT_METRIC[task]
        reasons["metric"] = f"{where}: probabilities, so {default}; pass --metric accuracy to submit labels"
        return default
    reasons["metric"] = f"the default for {task}"
    return DEFAULT_METRIC[task]


def _layout(values: pd.Series, y: pd.Series) -> tuple[str, str]:
    """What one submission column holds: ``("labels" | "probabilities", description)``.

    Booleans, text, and whole numbers that are all target values are labels (titanic's 0); fractions
    (0.5) and anything undecided are probabilities.
    """
    v = values.dropna()
    if v.empty:
        return "probabilities", "no values"
    if pd.api.types.is_bool_dtype(v):
        return "labels", f"booleans ({_few(v)})"
    if not pd.api.types.is_numeric_dtype(v):
        return "labels", f"text ({_few(v)})"
    if (v != v.round()).any():
        return "probabilities", f"fractions ({_few(v[v != v.round()])})"
    if v.isin(y.dropna().unique()).all():
        return "labels", f"whole numbers that are target values ({_few(v)})"
    return "probabilities", f"whole numbers that are not target values ({_few(v)})"


def _few(values: pd.Series) -> str:
    return ", ".join(str(x) for x in pd.unique(values)[:3])


def _toml(s: dict[str, str], reasons: dict[str, str], ignore: list[str]) -> str:
    def line(key: str, value: str) -> str:
        why = f"  # {reasons[key]}" if key in reasons else ""
        return f"{key} = {_quote(value)}{why}"

    listed = ", ".join(map(_quote, ignore))
    schema = ["[schema]", f"ignore = [{listed}]  # only one of train and test has them", ""]
    return "\n".join([
        f"# Written by `compete init` on {time.strftime('%Y-%m-%d')}; edit freely.",
        line("task", s["task"]), line("target", s["target"]), line("id", s["id"]),
        line("metric", s["metric"]), f"data = {_quote(s['data'])}", "",
        "[cv]", f"scheme = {_quote(s['scheme'])}  # {reasons.get('cv', '')}",
        *(f"{key} = {_quote(s[key])}" for key in ("group", "group_period", "time") if key in s),
        "folds = 5", "seed = 42", "",
        *(schema if ignore else []),
    ])  # fmt: skip


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _parse(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)
