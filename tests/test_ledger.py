"""The runs ledger (``runs/ledger.sqlite``) is versioned and migrated: a 0.1.0 ledger keeps working."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from compete.errors import RunError
from compete.records import runs
from compete.records.runs import SCHEMA_VERSION, list_runs, record_run
from compete.records.submissions import list_submissions, record_submission

# The tables exactly as compete 0.1.0 created them (compete/runs.py COLUMNS and compete/submit.py
# SUBMISSION_COLUMNS at the first release; `git log -p --follow` on each file), with no user_version.
RUNS_0_1 = (
    "run_id TEXT PRIMARY KEY, competition TEXT, created TEXT, metric TEXT, greater_is_better INTEGER, "
    "cv_score REAL, cv_std REAL, final TEXT, models TEXT, folds TEXT, seed INTEGER, device TEXT, wall_s REAL, "
    "path TEXT, submission TEXT, kind TEXT, note TEXT"
)
SUBMISSIONS_0_1 = (
    "submission_id TEXT PRIMARY KEY, competition TEXT, run_id TEXT, created TEXT, message TEXT, file TEXT, "
    "sha256 TEXT, metric TEXT, greater_is_better INTEGER, cv_score REAL, cv_std REAL, local_score REAL, "
    "answers TEXT, kaggle TEXT, kaggle_status TEXT, kaggle_ref TEXT, public_score REAL, private_score REAL, "
    "error TEXT, updated TEXT"
)


def ledger_0_1(folder: Path) -> Path:
    """A ledger as compete 0.1.0 left it: one run, one submission, user_version 0."""
    folder.mkdir(parents=True)
    path = folder / "ledger.sqlite"
    with sqlite3.connect(path) as con:
        con.execute(f"CREATE TABLE runs ({RUNS_0_1})")
        con.execute("INSERT INTO runs (run_id, competition, metric, greater_is_better, cv_score) "
                    "VALUES ('20250101-000000-0001', 'toy', 'auc', 1, 0.81)")  # fmt: skip
        con.execute(f"CREATE TABLE submissions ({SUBMISSIONS_0_1})")
        con.execute("INSERT INTO submissions (submission_id, competition, run_id, kaggle_status) "
                    "VALUES ('s1', 'toy', '20250101-000000-0001', '')")  # fmt: skip
    con.close()
    return path


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as con:
        version = int(con.execute("PRAGMA user_version").fetchone()[0])
    con.close()
    return version


def test_a_0_1_ledger_is_versioned_and_keeps_working(tmp_path: Path) -> None:
    path = ledger_0_1(tmp_path / "runs")
    assert user_version(path) == 0
    assert [r["cv_score"] for r in list_runs(tmp_path / "runs")] == [0.81]
    assert user_version(path) == SCHEMA_VERSION >= 1  # opening it recorded the version
    record_run(tmp_path / "runs", {"run_id": "20260101-000000-0002", "competition": "toy", "metric": "auc",
                                   "greater_is_better": 1, "cv_score": 0.85, "kind": "run", "note": "new"})  # fmt: skip
    rows = list_runs(tmp_path / "runs", "toy")
    assert [(r["run_id"], r["note"]) for r in rows] == [
        ("20260101-000000-0002", "new"),
        ("20250101-000000-0001", None),
    ]
    record_submission(
        tmp_path / "runs", {"submission_id": "s2", "competition": "toy", "run_id": rows[0]["run_id"]}
    )
    assert [s["submission_id"] for s in list_submissions(tmp_path / "runs", "toy")] == ["s2", "s1"]
    assert user_version(path) == SCHEMA_VERSION


def test_columns_added_since_are_added_to_an_old_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a release that adds a column: the 0.1.0 ledger (without it) gains it on open, old rows read NULL
    monkeypatch.setattr(runs, "COLUMNS", {**runs.COLUMNS, "schema": "TEXT"})
    path = ledger_0_1(tmp_path / "runs")
    record_run(tmp_path / "runs", {"run_id": "r2", "competition": "toy", "schema": "{}"})
    assert [r["schema"] for r in list_runs(tmp_path / "runs")] == ["{}", None]
    with sqlite3.connect(path) as con:
        assert "schema" in {row[1] for row in con.execute("PRAGMA table_info(runs)")}
    con.close()
    # ... and so does the submissions table, when its columns grow
    from compete.records import submissions as submit

    monkeypatch.setattr(submit, "SUBMISSION_COLUMNS", {**submit.SUBMISSION_COLUMNS, "team": "TEXT"})
    record_submission(tmp_path / "runs", {"submission_id": "s2", "competition": "toy", "team": "us"})
    assert [s["team"] for s in list_submissions(tmp_path / "runs")] == ["us", None]


def test_a_ledger_of_a_newer_compete_is_refused(tmp_path: Path) -> None:
    path = ledger_0_1(tmp_path / "runs")
    with sqlite3.connect(path) as con:
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(
        RunError, match=rf"ledger schema version {SCHEMA_VERSION + 1} was written by a newer compete"
    ):
        list_runs(tmp_path / "runs")


def test_a_file_that_is_not_a_ledger_is_named(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    with sqlite3.connect(tmp_path / "runs" / "ledger.sqlite") as con:
        con.execute("CREATE TABLE runs (competition TEXT, cv_score REAL)")
    con.close()
    with pytest.raises(
        RunError, match="ledger table 'runs' has no run_id column, so it is not a compete ledger"
    ):
        list_runs(tmp_path / "runs")


def test_a_new_ledger_starts_at_the_current_version(tmp_path: Path) -> None:
    record_run(tmp_path / "runs", {"run_id": "r1", "competition": "toy"})
    record_submission(tmp_path / "runs", {"submission_id": "s1", "competition": "toy", "run_id": "r1"})
    assert [r["run_id"] for r in list_runs(tmp_path / "runs")] == ["r1"]
    assert [s["run_id"] for s in list_submissions(tmp_path / "runs")] == ["r1"]
    assert user_version(tmp_path / "runs" / "ledger.sqlite") == SCHEMA_VERSION
