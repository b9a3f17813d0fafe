"""Run records: one folder per run and one row per run in an SQLite ledger.

``<runs>/<competition>/<run-id>/`` holds ``spec.json`` (the resolved spec), ``schema.json`` (each
column's type and why, as inferred or set), ``oof.parquet`` and
``test.parquet`` (predictions in model space, one column per model, plus ``y`` and ``fold`` in the
OOF file), ``scores.json``, ``submission.csv`` and ``run.log``. A run is written into a hidden
temporary folder and renamed into place at the end, so a failed run leaves nothing half-written.

The ledger ``<runs>/ledger.sqlite`` carries its schema version in ``PRAGMA user_version``
(:data:`SCHEMA_VERSION`; compete 0.1.0 wrote none, which reads as 0). Opening an older ledger
migrates it: a table gains the columns it lacks (``ALTER TABLE ... ADD COLUMN``; older rows read
``NULL`` there) and the version is raised. A ledger of a newer compete is refused rather than
written with a schema this one does not know.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import RunError

__all__ = ["RunRecord", "new_run_id", "staged_run", "record_run", "list_runs", "load_run", "ledger", "pred_frame",
           "frame_preds", "ensure_table", "SCHEMA_VERSION", "find_run"]  # fmt: skip

LEDGER = "ledger.sqlite"
COLUMNS = {
    "run_id": "TEXT PRIMARY KEY", "competition": "TEXT", "created": "TEXT", "metric": "TEXT",
    "greater_is_better": "INTEGER", "cv_score": "REAL", "cv_std": "REAL", "final": "TEXT", "models": "TEXT",
    "folds": "TEXT", "seed": "INTEGER", "device": "TEXT", "wall_s": "REAL", "path": "TEXT",
    "submission": "TEXT", "kind": "TEXT", "note": "TEXT",
}  # fmt: skip
# The ledger's schema versions (PRAGMA user_version). Add a column to COLUMNS (or to
# compete.kaggle.submit.SUBMISSION_COLUMNS) and bump this: ledgers are migrated when opened.
#   0  compete 0.1.0: the runs and submissions tables, no version recorded
#   1  the version is recorded; older ledgers gain missing columns on open
SCHEMA_VERSION = 1


def new_run_id() -> str:
    """Sortable and unique enough for one machine: ``YYYYmmdd-HHMMSS-xxxx``."""
    return time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 65536:04x}"


@contextmanager
def ledger(runs_dir: str | Path) -> Iterator[sqlite3.Connection]:
    """An open connection to the ledger, created on first use and migrated to :data:`SCHEMA_VERSION`
    when older; committed on success."""
    Path(runs_dir).mkdir(parents=True, exist_ok=True)
    path = Path(runs_dir) / LEDGER
    con = sqlite3.connect(path, timeout=30)
    try:
        version = int(con.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise RunError(f"{path}: ledger schema version {version} was written by a newer compete (this one "
                           f"knows versions up to {SCHEMA_VERSION}); upgrade compete to use this runs folder")  # fmt: skip
        ensure_table(con, "runs", COLUMNS)
        if version < SCHEMA_VERSION:
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            con.commit()
        yield con
        con.commit()
    finally:
        con.close()


def ensure_table(con: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Create ``table`` with ``columns``, or add to it the columns an older ledger lacks.

    Cheap when nothing is missing (one ``PRAGMA table_info``); otherwise the change is made under an
    immediate transaction, so two processes opening an old ledger at once migrate it once.
    """
    if set(columns) <= _columns(con, table):
        return
    con.commit()  # end any implicit transaction: the migration takes the write lock itself
    con.execute("BEGIN IMMEDIATE")
    try:
        have = _columns(con, table)
        if not have:
            con.execute(f"CREATE TABLE {table} ({', '.join(f'{k} {v}' for k, v in columns.items())})")
            have = set(columns)
        for name, kind in columns.items():
            if name in have:
                continue
            if "PRIMARY KEY" in kind.upper():
                raise RunError(f"ledger table {table!r} has no {name} column, so it is not a compete ledger; "
                               "move the file aside or use another --runs-dir")  # fmt: skip
            con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in con.execute(f"PRAGMA table_info({table})")}


@contextmanager
def staged_run(runs_dir: str | Path, competition: str, run_id: str) -> Iterator[Path]:
    """A temporary folder for a run, renamed to ``<runs>/<competition>/<run_id>`` if the block succeeds."""
    final = Path(runs_dir) / competition / run_id
    tmp = final.parent / f".tmp-{run_id}"
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    tmp.rename(final)


def record_run(runs_dir: str | Path, row: dict[str, Any]) -> None:
    """Add a run's row to the ledger."""
    row = {k: row.get(k) for k in COLUMNS}
    with ledger(runs_dir) as con:
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({marks})", list(row.values()))


def list_runs(runs_dir: str | Path, competition: str | None = None) -> list[dict[str, Any]]:
    """The ledger's runs, newest first (in the order they were recorded), optionally of one competition."""
    if not (Path(runs_dir) / LEDGER).exists():
        return []
    with ledger(runs_dir) as con:
        con.row_factory = sqlite3.Row
        where, args = ("WHERE competition = ?", [competition]) if competition else ("", [])
        rows = con.execute(f"SELECT * FROM runs {where} ORDER BY rowid DESC", args)
        return [dict(r) for r in rows]


@dataclass
class RunRecord:
    """A past run read back from its folder."""

    run_id: str
    path: Path
    scores: dict[str, Any]
    oof: dict[str, np.ndarray]
    test: dict[str, np.ndarray]
    y: np.ndarray
    fold: np.ndarray

    @property
    def folds_signature(self) -> str:
        return str(self.scores.get("folds", ""))


def load_run(runs_dir: str | Path, competition: str, run_id: str) -> RunRecord:
    """Read a run folder; ``latest`` and ``best`` pick from the ledger."""
    run_id = _pick(runs_dir, competition, run_id)
    path = Path(runs_dir) / competition / run_id
    if not (path / "scores.json").is_file():
        raise RunError(
            f"run {run_id!r} of {competition!r} has no record at {path}; see `compete runs {competition}`"
        )
    scores = json.loads((path / "scores.json").read_text())
    oof_frame = pd.read_parquet(path / "oof.parquet")
    oof = frame_preds(oof_frame.drop(columns=["y", "fold"]))
    test = frame_preds(pd.read_parquet(path / "test.parquet"))
    return RunRecord(run_id, path, scores, oof, test, oof_frame["y"].to_numpy(), oof_frame["fold"].to_numpy())


def _pick(runs_dir: str | Path, competition: str, run_id: str) -> str:
    if run_id not in ("latest", "best"):
        return run_id
    rows = list_runs(runs_dir, competition)
    if not rows:
        raise RunError(
            f"no runs of {competition!r} in {runs_dir}; start one with `compete run {competition}`"
        )
    if run_id == "latest":
        return str(rows[0]["run_id"])
    sign = 1 if rows[0]["greater_is_better"] else -1
    return str(max(rows, key=lambda r: -np.inf if r["cv_score"] is None else sign * r["cv_score"])["run_id"])


def find_run(runs_dir: str | Path, run: str) -> Path:
    """A run's folder from what a user types: the folder itself, ``COMPETITION/RUN_ID`` (or
    ``COMPETITION/latest``, ``COMPETITION/best``), or a run id found under ``runs_dir``."""
    as_path = Path(run)
    if (as_path / "scores.json").is_file():
        return as_path
    competition, _, run_id = run.rpartition("/")
    if competition:
        return Path(runs_dir) / competition / _pick(runs_dir, competition, run_id)
    found = sorted(Path(runs_dir).glob(f"*/{run}/scores.json")) if Path(runs_dir).is_dir() else []
    if len(found) == 1:
        return found[0].parent
    if len(found) > 1:
        raise RunError(f"run {run!r} is in several competitions under {runs_dir}; write COMPETITION/{run}")
    raise RunError(f"no run {run!r} under {runs_dir}: give a run folder, COMPETITION/RUN_ID or "
                   "COMPETITION/latest (see `compete runs`)")  # fmt: skip


def pred_frame(preds: dict[str, np.ndarray]) -> pd.DataFrame:
    """Predictions by label → a frame (multiclass arrays become ``label__k`` columns)."""
    cols: dict[str, np.ndarray] = {}
    for label, p in preds.items():
        if p.ndim == 2:
            cols.update({f"{label}__{k}": p[:, k] for k in range(p.shape[1])})
        else:
            cols[label] = p
    return pd.DataFrame(cols)


def frame_preds(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Inverse of :func:`pred_frame`."""
    out: dict[str, list[str]] = {}
    for col in frame.columns:
        base, _, k = col.rpartition("__")
        key = base if k.isdigit() and base else col
        out.setdefault(key, []).append(col)
    return {k: frame[c[0]].to_numpy() if c == [k] else frame[c].to_numpy() for k, c in out.items()}
