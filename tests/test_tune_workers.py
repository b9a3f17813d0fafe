"""``compete tune`` across processes: resume after ``kill -9``, and two workers on one PostgreSQL study.

The PostgreSQL test starts its own throwaway server (``initdb`` + ``pg_ctl`` on a loopback port in a
temporary folder, as the ``postgres`` user when run as root) and skips, saying why, where the server
binaries or the ``psycopg2`` driver are missing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from compete.tune.params import study_report
from compete.tune.study import tune
from tests.test_tune import FAST, REPO, options, write_competition


def trials_in(db: Path) -> list[tuple[int, str, float | None]]:
    """Trials in the SQLite storage; a RUNNING trial whose heartbeat has not started reads STARTING."""
    if not db.exists():
        return []
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"trials", "trial_values", "trial_heartbeats"} <= tables:
            return []
        rows = con.execute("SELECT t.number, t.state, v.value, h.trial_id IS NOT NULL FROM trials t "
                           "LEFT JOIN trial_values v ON v.trial_id = t.trial_id "
                           "LEFT JOIN trial_heartbeats h ON h.trial_id = t.trial_id ORDER BY t.number").fetchall()  # fmt: skip
    return [(int(n), str(s) if s != "RUNNING" or beat else "STARTING", v) for n, s, v, beat in rows]


def worker_code(root: Path, storage: str | None, trials: int) -> str:
    return (f"from compete.tune.study import TuneOptions, tune; from pathlib import Path; root = Path({str(root)!r})\n"
            f"tune(TuneOptions('toy', model='lightgbm', trials={trials}, storage={storage!r}, device='cpu', "
            f"competitions_dir=root / 'competitions', data_root=root / 'data', runs_dir=root / 'runs', "
            f"search={FAST!r}, heartbeat=1))")  # fmt: skip


def test_resume_after_sigkill_keeps_finished_trials_and_fails_the_one_in_flight(tmp_path: Path):
    write_competition(tmp_path)
    db = tmp_path / "runs" / "optuna.sqlite3"
    code = worker_code(tmp_path, None, 500)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rows = trials_in(db)
        done, running = (
            [t for t in rows if t[1] in ("COMPLETE", "PRUNED")],
            [t for t in rows if t[1] == "RUNNING"],
        )
        if len(done) >= 3 and running:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = trials_in(db)
    finished = [t for t in before if t[1] in ("COMPLETE", "PRUNED")]
    assert len(finished) >= 3 and before[-1][1] == "RUNNING", before
    # the grace period (3 x 1 s) must pass: SQLite's CURRENT_TIMESTAMP keeps whole seconds, so a gap of
    # 3.5 s can read as 3 s (not stale); 5 s reads as at least 4 s whatever the rounding
    time.sleep(5.0)
    result = tune(options(tmp_path, trials=2))
    after = trials_in(db)
    assert [t for t in after if t[0] <= finished[-1][0] and t[1] != "FAIL"] == finished
    assert after[len(before) - 1][1] == "FAIL"  # the trial in flight is lost, and marked failed
    assert [t[0] for t in after] == list(range(len(before) + 2))
    assert result.trials_run == 2 and result.total_trials == len(before) + 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server on a loopback port; yields its SQLAlchemy URL."""
    pytest.importorskip(
        "psycopg2", reason="the PostgreSQL driver is missing: pip install 'compete[postgres]'"
    )
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl); apt-get install postgresql")
    as_user: dict = {}
    folder = Path(tempfile.mkdtemp(prefix="compete-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as the postgres user
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
        as_user = {"user": pw.pw_uid, "group": pw.pw_gid}
    port, data = _free_port(), folder / "data"
    run = lambda *cmd: subprocess.run([str(bindir / cmd[0]), *cmd[1:]], check=True, capture_output=True,  # noqa: E731
                                      cwd=folder, **as_user)  # fmt: skip
    run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run("pg_ctl", "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder}", "start")  # fmt: skip
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_two_workers_share_one_postgresql_study(tmp_path: Path, postgres: str):
    write_competition(tmp_path)
    tune(options(tmp_path, trials=1, storage=postgres))  # creates the tables and the study
    code = (
        worker_code(tmp_path, postgres, 3).replace("tune(TuneOptions", "print(tune(TuneOptions")
        + ".trials_run)"
    )
    workers = [subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
               for _ in range(2)]  # fmt: skip
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    assert [int(out.split()[-1]) for out in outputs] == [3, 3]  # each counts its own trials, not the other's
    history = study_report(options(tmp_path, storage=postgres))["history"]
    assert sorted(t["number"] for t in history) == list(range(7))  # no trial lost, none twice
    assert {t["state"] for t in history} <= {"complete", "pruned"}
    assert not (tmp_path / "runs" / "optuna.sqlite3").exists()
