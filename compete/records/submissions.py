"""The ledger's ``submissions`` table: one row per submitted file, its scores and its Kaggle state.

Created (or given the columns added since the ledger was made) on every open, in the same
``ledger.sqlite`` as the runs table (:mod:`compete.records.runs`).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from compete.records.runs import ensure_table, ledger

__all__ = ["SUBMISSION_COLUMNS", "record_submission", "update_submission", "list_submissions", "now"]

SUBMISSION_COLUMNS = {
    "submission_id": "TEXT PRIMARY KEY", "competition": "TEXT", "run_id": "TEXT", "created": "TEXT",
    "message": "TEXT", "file": "TEXT", "sha256": "TEXT", "metric": "TEXT", "greater_is_better": "INTEGER",
    "cv_score": "REAL", "cv_std": "REAL", "local_score": "REAL", "answers": "TEXT", "kaggle": "TEXT",
    "kaggle_status": "TEXT", "kaggle_ref": "TEXT", "public_score": "REAL", "private_score": "REAL",
    "error": "TEXT", "updated": "TEXT",
}  # fmt: skip


def _table(con: sqlite3.Connection) -> None:
    """The submissions table, created or migrated (columns added since the ledger was made)."""
    ensure_table(con, "submissions", SUBMISSION_COLUMNS)


def record_submission(runs_dir: str | Path, row: dict[str, Any]) -> None:
    """Add a submission's row to the ledger (keys of :data:`SUBMISSION_COLUMNS`; others ignored)."""
    row = {k: row.get(k) for k in SUBMISSION_COLUMNS}
    with ledger(runs_dir) as con:
        _table(con)
        marks = ", ".join("?" for _ in row)
        con.execute(f"INSERT INTO submissions ({', '.join(row)}) VALUES ({marks})", list(row.values()))


def update_submission(runs_dir: str | Path, row: dict[str, Any], **changes: Any) -> None:
    changes["updated"] = now()
    row.update(changes)
    with ledger(runs_dir) as con:
        _table(con)
        sets = ", ".join(f"{k} = ?" for k in changes)
        con.execute(
            f"UPDATE submissions SET {sets} WHERE submission_id = ?",
            [*changes.values(), row["submission_id"]],
        )


def list_submissions(runs_dir: str | Path, competition: str | None = None) -> list[dict[str, Any]]:
    """The ledger's submissions, newest first, optionally of one competition."""
    if not (Path(runs_dir) / "ledger.sqlite").exists():
        return []
    with ledger(runs_dir) as con:
        _table(con)
        con.row_factory = sqlite3.Row
        where, args = ("WHERE competition = ?", [competition]) if competition else ("", [])
        rows = con.execute(f"SELECT * FROM submissions {where} ORDER BY rowid DESC", args)
        return [dict(r) for r in rows]


def now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")
