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

from compete.errors import DataError, SpecError
from compete.io import find_table, read_table
from compete.metrics import DEFAULT_METRIC, get_metric
from compete.spec import TASKS, spec_from_dict

__all__ = ["InitResult", "init_competition", "infer_settings"]


@dataclass
class InitResult:
    """The spec written and why each setting was chosen."""

    path: Path
    settings: dict[str, str]
    reasons: dict[str, str] = field(default_factory=dict)


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
    settings, reasons = infer_settings(folder, target=target, id=id, metric=metric, task=task)
    settings["data"] = str(folder.resolve())
    text = _toml(settings, reasons)
    spec_from_dict(_parse(text), name=name, source=str(path))  # validate before writing
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return InitResult(path, settings, reasons)


def infer_settings(folder: Path, *, target: str | None = None, id: str | None = None, metric: str | None = None,
                   task: str | None = None) -> tuple[dict[str, str], dict[str, str]]:  # fmt: skip
    """Guess id, target, task, metric and CV scheme from the files; given values win."""
    train, test, sample = (read_table(find_table(folder, s)) for s in ("train", "test", "sample_submission"))
    reasons: dict[str, str] = {}
    id_col = id or _infer_id(train, test, sample, reasons)
    target_col = target or _infer_target(train, test, sample, id_col, reasons)
    if target_col not in train.columns:
        raise DataError(f"{folder}/train: target {target_col!r} is not a column; pass --target COLUMN")
    task = task or _infer_task(train[target_col], reasons)
    if task not in TASKS:
        raise SpecError(f"--task {task!r} is not known; use one of: {', '.join(TASKS)}")
    metric = metric or _infer_metric(task, sample, id_col, reasons)
    get_metric(metric, where="--metric").check_task(task, where="--metric")
    scheme = "kfold" if task == "regression" else "stratified"
    reasons.setdefault(
        "cv", f"{scheme} 5-fold ({'regression' if scheme == 'kfold' else 'keeps class shares'})"
    )
    return {"task": task, "target": target_col, "id": id_col, "metric": metric, "scheme": scheme}, reasons


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


def _infer_metric(task: str, sample: pd.DataFrame, id_col: str, reasons: dict[str, str]) -> str:
    cols = [c for c in sample.columns if c != id_col]
    if task != "regression" and len(cols) == 1:
        if task == "multiclass" or not pd.api.types.is_numeric_dtype(sample[cols[0]]):
            reasons["metric"] = "sample_submission holds class labels in one column: accuracy"
            return "accuracy"
    reasons["metric"] = f"the default for {task}"
    return DEFAULT_METRIC[task]


def _toml(s: dict[str, str], reasons: dict[str, str]) -> str:
    def line(key: str, value: str) -> str:
        why = f"  # {reasons[key]}" if key in reasons else ""
        return f"{key} = {_quote(value)}{why}"

    return "\n".join([
        f"# Written by `compete init` on {time.strftime('%Y-%m-%d')}; edit freely.",
        line("task", s["task"]), line("target", s["target"]), line("id", s["id"]),
        line("metric", s["metric"]), f"data = {_quote(s['data'])}", "",
        "[cv]", f"scheme = {_quote(s['scheme'])}  # {reasons.get('cv', '')}", "folds = 5", "seed = 42", "",
    ])  # fmt: skip


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _parse(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)
