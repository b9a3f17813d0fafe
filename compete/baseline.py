"""Baseline engines: another AutoML library's leaderboard on the competition, recorded as the bar to beat.

PyCaret 3.3.2 pins pandas < 2.2 and scikit-learn 1.4, so it lives in its own virtual environment
(``bench/peers/setup pycaret`` makes ``bench/.venvs/pycaret``). :func:`run_baseline` runs a small
worker script (:data:`PYCARET_WORKER`) with that environment's Python: PyCaret's ``setup`` with the
spec's fold scheme and seed, then ``compare_models`` sorted by the competition's metric. The
leaderboard comes back as JSON, is written into a run folder and recorded in the ledger with
``kind = "baseline"``, next to compete's own runs.

PyCaret cross-validates on its own training split (``train_size = 0.7``, its default), so its CV
scores are on 70% of the rows; rmsle targets are modelled as log1p(y), so its RMSE column is RMSLE.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compete.errors import CompeteError, RunError, SpecError
from compete.spec import Spec

__all__ = ["BaselineResult", "ENGINES", "PYTHON_ENV", "find_python", "run_baseline", "pycaret_config"]

ENGINES = ("pycaret",)
PYTHON_ENV = "COMPETE_PYCARET_PYTHON"
SORT = {"auc": "AUC", "accuracy": "Accuracy", "f1": "F1", "mcc": "MCC", "rmse": "RMSE", "rmsle": "RMSE", "mae": "MAE",
        "r2": "R2", "mape": "MAPE"}  # fmt: skip
STRATEGY = {"stratified": "stratifiedkfold", "kfold": "kfold", "group": "groupkfold", "time": "timeseries"}

PYCARET_WORKER = r"""
import json, sys
import numpy as np, pandas as pd
cfg = json.loads(sys.argv[1])
read = pd.read_parquet if cfg["train"].endswith(".parquet") else pd.read_csv
kw = {} if cfg["train"].endswith(".parquet") else {"na_values": cfg["na_values"] or None}
df = read(cfg["train"], **kw)
df = df[df[cfg["target"]].notna()].drop(columns=[cfg["id"], *cfg["ignore"]], errors="ignore")
if cfg["log_target"]:
    df[cfg["target"]] = np.log1p(df[cfg["target"]].astype(float))
if cfg["task"] == "regression":
    from pycaret import regression as pc
else:
    from pycaret import classification as pc
import pycaret
extra = {"fold_groups": cfg["group"]} if cfg["group"] else {}
if cfg["fold_strategy"] == "timeseries":
    extra.update(data_split_shuffle=False, fold_shuffle=False)
pc.setup(data=df, target=cfg["target"], session_id=cfg["seed"], fold=cfg["folds"],
         fold_strategy=cfg["fold_strategy"], verbose=False, html=False, **extra)
kw = {"budget_time": cfg["budget_minutes"]} if cfg["budget_minutes"] else {}
pc.compare_models(sort=cfg["sort"], verbose=False, **kw)
board = pc.pull().reset_index(names="key")
with open(cfg["out"], "w") as fh:
    json.dump({"engine": "pycaret", "version": pycaret.__version__, "sort": cfg["sort"],
               "leaderboard": json.loads(board.to_json(orient="records"))}, fh)
"""


@dataclass
class BaselineResult:
    """A baseline's leaderboard as recorded in the ledger.

    Examples
    --------
    >>> r = BaselineResult("20260101-000000-0001", "pycaret", "auc", "AUC", [{"Model": "Ridge", "AUC": 0.9}])
    >>> r.best, r.cv_score
    ('Ridge', 0.9)
    """

    run_id: str
    engine: str
    metric: str
    column: str
    leaderboard: list[dict[str, Any]]
    version: str = ""
    wall_s: float = 0.0
    path: Path | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> str:
        return (
            str(self.leaderboard[0].get("Model", self.leaderboard[0].get("key", "")))
            if self.leaderboard
            else ""
        )

    @property
    def cv_score(self) -> float | None:
        value = self.leaderboard[0].get(self.column) if self.leaderboard else None
        return None if value is None else float(value)


def find_python(python: str | Path | None = None) -> Path:
    """The PyCaret environment's Python: ``python``, else ``$COMPETE_PYCARET_PYTHON``; error if neither is there."""
    given = python if python is not None else os.environ.get(PYTHON_ENV)
    how = (
        f"pass --python PATH or set {PYTHON_ENV} to the Python of a venv with PyCaret 3.3.2; "
        "create one with `bench/peers/setup pycaret` (then use bench/.venvs/pycaret/bin/python)"
    )
    if not given:
        raise CompeteError(f"no PyCaret environment given; {how}")
    path = Path(given)
    if not path.is_file() or not os.access(path, os.X_OK):
        source = "--python" if python is not None else PYTHON_ENV
        raise CompeteError(f"{source} = {str(given)!r} is not an executable file; {how}")
    return path


def free_text(spec: Spec, train: Path) -> list[str]:
    """Feature columns that compete's schema inference calls free text (mostly distinct strings).

    PyCaret 3.3.2 cannot use them: with titanic's ``Name`` (one value per passenger) among its features
    its random forest predicts one class in every fold (accuracy 0.6164, the majority rate; 0.8043
    without ``Name``), and so do its decision tree, AdaBoost and naive Bayes. compete turns such a
    column into text features; the baseline leaves it out.
    """
    from compete.data.files import read_table
    from compete.data.schema import infer_schema

    frame = read_table(train, tuple(spec.schema.na_values))
    features = frame.drop(columns=[c for c in (spec.id, spec.target, *spec.schema.ignore) if c in frame])
    kinds = infer_schema(features, features.iloc[:0], spec.schema).kinds  # the train file only
    return [col for col, kind in kinds.items() if kind == "text"]


def pycaret_config(spec: Spec, train: Path, out: Path, budget_s: float | None = None) -> dict[str, Any]:
    """The worker's settings for ``spec``: fold scheme, seed, sort column, target transform, and the
    columns to leave out (the spec's ``ignore`` and :func:`free_text`)."""
    if spec.metric not in SORT:
        raise SpecError(
            f"metric = {spec.metric!r} has no PyCaret leaderboard column; "
            f"the pycaret baseline supports {', '.join(SORT)}"
        )
    return {"train": str(train), "target": spec.target, "id": spec.id, "task": spec.task,
            "sort": SORT[spec.metric], "log_target": spec.metric == "rmsle", "folds": spec.cv.folds,
            "fold_strategy": STRATEGY[spec.cv.scheme], "group": spec.cv.group or "", "seed": spec.seed,
            "na_values": list(spec.schema.na_values), "ignore": [*spec.schema.ignore, *free_text(spec, train)],
            "budget_minutes": budget_s / 60 if budget_s else None, "out": str(out)}  # fmt: skip


def run_baseline(
    competition: str,
    engine: str = "pycaret",
    *,
    python: str | Path | None = None,
    competitions_dir: str | Path = "competitions",
    data_root: str | Path | None = None,
    data_dir: str | Path | None = None,
    runs_dir: str | Path = "runs",
    budget_s: float | None = None,
) -> BaselineResult:
    """Run ``engine``'s model comparison on ``competition`` and record its leaderboard in the ledger.

    The engine sees the raw training file only (never the test file); it cross-validates with the
    spec's fold scheme, fold count and seed inside its own training split.
    """
    from compete.data.files import find_table, resolve_data_dir
    from compete.spec import find_spec, load_spec

    if engine not in ENGINES:
        raise CompeteError(f"--engine {engine!r} is not a baseline engine; known: {', '.join(ENGINES)}")
    exe = find_python(python)
    spec = load_spec(find_spec(competition, competitions_dir))
    train = find_table(resolve_data_dir(spec, data_root, data_dir), spec.file("train"))
    from compete.records.runs import new_run_id, staged_run

    run_id = new_run_id()
    with staged_run(runs_dir, spec.name, run_id) as tmp:
        cfg = pycaret_config(spec, train.resolve(), tmp / "leaderboard.json", budget_s)
        start = time.perf_counter()
        _call_worker(exe, cfg, tmp / "baseline.log")
        wall = time.perf_counter() - start
        got = json.loads((tmp / "leaderboard.json").read_text())
    result = BaselineResult(run_id, engine, spec.metric, cfg["sort"], got["leaderboard"], str(got.get("version", "")),
                            wall, Path(runs_dir) / spec.name / run_id)  # fmt: skip
    _record(spec, result, runs_dir)
    return result


def _call_worker(exe: Path, cfg: dict[str, Any], log: Path) -> None:
    with open(log, "w") as out:
        code = subprocess.run(
            [str(exe), "-c", PYCARET_WORKER, json.dumps(cfg)], stdout=out, stderr=subprocess.STDOUT
        )
    if code.returncode != 0 or not Path(cfg["out"]).is_file():
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        raise RunError(
            f"the PyCaret worker ({exe}) exited with code {code.returncode} and no leaderboard; "
            f"its last lines: {' | '.join(tail) or '(none)'}; is PyCaret 3.3.2 installed there?"
        )


def _record(spec: Spec, result: BaselineResult, runs_dir: str | Path) -> None:
    from compete.records.runs import record_run
    from compete.scoring.metrics import get_metric

    models = [str(row.get("Model", row.get("key", ""))) for row in result.leaderboard]
    record_run(runs_dir, {
        "run_id": result.run_id, "competition": spec.name, "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "metric": spec.metric, "greater_is_better": int(get_metric(spec.metric).greater_is_better),
        "cv_score": result.cv_score, "final": f"{result.engine}:{result.best}", "models": json.dumps(models),
        "folds": f"{result.engine} {STRATEGY[spec.cv.scheme]} {spec.cv.folds} folds on its 70% train split",
        "seed": spec.seed, "device": "cpu", "wall_s": result.wall_s, "path": str(result.path), "submission": None,
        "kind": "baseline", "note": f"{result.engine} {result.version} compare_models sorted by {result.column}",
    })  # fmt: skip
