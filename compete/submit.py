"""``compete submit`` and ``compete fetch``: check a run's submission, score it, send it, remember it.

A submission is a run's ``submission.csv``. Before anything is recorded it is checked again against
sample_submission (columns, ids and their order, row count, missing values, probabilities in [0, 1],
labels from the training label set, numbers where numbers belong); a bad file is refused with the
reason. It is then scored against the local answer key when there is one (``answers.csv`` in the
competition's data folder, or ``--answers PATH``), and sent to Kaggle when asked.

Every submission is a row of the ``submissions`` table in the runs ledger: its run, message, time,
the run's CV score and fold standard deviation, the local score, and the Kaggle state:

====================  ===================================================================
``kaggle_status``     meaning
====================  ===================================================================
``""``                not sent to Kaggle
``pending``           to be sent: no credentials, no network or no package (retry with ``--retry``)
``submitted``         uploaded; Kaggle has not scored it yet (``--retry`` fetches the score)
``complete``          scored; ``public_score`` (and ``private_score`` once published) recorded
``error``/``failed``  Kaggle could not score it / refused the upload (``error`` says why)
====================  ===================================================================

Credentials never reach the ledger, the console or a log: errors pass through
:func:`compete.kaggle_client.redact`.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import DataError, RunError, SpecError
from compete.kaggle_client import KaggleClient, KaggleError, KaggleSubmission, connect, redact
from compete.runs import ensure_table, ledger, list_runs, load_run, new_run_id

__all__ = ["SubmitOptions", "SubmitResult", "submit_run", "check_submission", "list_submissions", "record_submission", "retry_kaggle",
           "FetchResult", "fetch_competition", "SUBMISSION_COLUMNS"]  # fmt: skip

SUBMISSION_COLUMNS = {
    "submission_id": "TEXT PRIMARY KEY", "competition": "TEXT", "run_id": "TEXT", "created": "TEXT",
    "message": "TEXT", "file": "TEXT", "sha256": "TEXT", "metric": "TEXT", "greater_is_better": "INTEGER",
    "cv_score": "REAL", "cv_std": "REAL", "local_score": "REAL", "answers": "TEXT", "kaggle": "TEXT",
    "kaggle_status": "TEXT", "kaggle_ref": "TEXT", "public_score": "REAL", "private_score": "REAL",
    "error": "TEXT", "updated": "TEXT",
}  # fmt: skip

Connect = Callable[[], KaggleClient]


@dataclass
class SubmitOptions:
    """What ``compete submit`` is asked to do.

    Examples
    --------
    >>> SubmitOptions("titanic", run="best", message="lgbm + xgb", kaggle=True).run
    'best'
    """

    competition: str
    competitions_dir: str | Path = "competitions"
    data_root: str | Path | None = None
    data_dir: str | Path | None = None
    runs_dir: str | Path = "runs"
    run: str = "latest"
    message: str = ""
    kaggle: bool = False
    answers: str | Path | None = None
    wait_s: float = 60.0


@dataclass
class SubmitResult:
    """One recorded submission (the ledger row) and, when Kaggle failed, why."""

    record: dict[str, Any]
    error: KaggleError | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- ledger


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


def _update(runs_dir: str | Path, row: dict[str, Any], **changes: Any) -> None:
    changes["updated"] = _now()
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


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


# ------------------------------------------------------------------------------------------ validation


def check_submission(sub: pd.DataFrame, sample: pd.DataFrame, id_col: str, *, task: str, needs: str,
                     labels: np.ndarray | None = None, nonnegative: bool = False) -> None:  # fmt: skip
    """Raise :class:`DataError` with the reason unless ``sub`` is a valid submission for ``sample``.

    Checks the columns (names and order), row count, ids and their order, missing values, that
    probability and regression columns hold finite numbers, probabilities in [0, 1], label columns
    holding training labels only, and (rmsle) no negative values.
    """
    from compete.submission import validate_submission

    if list(sub.columns) != list(sample.columns):
        raise DataError(
            f"submission columns {list(sub.columns)} differ from sample_submission's {list(sample.columns)}"
        )
    values = [c for c in sub.columns if c != id_col]
    if needs != "label":
        sub = sub.assign(**{col: _numbers(sub[col], needs) for col in values})
    validate_submission(
        sub, sample, id_col, labels=labels if needs == "label" else None, proba=needs == "proba"
    )
    if nonnegative and (sub[values] < 0).any().any():
        raise DataError("submission has negative predictions; rmsle scores log1p(prediction): clip them at 0")


def _numbers(col: pd.Series, needs: str) -> pd.Series:
    numbers = pd.to_numeric(col, errors="coerce")
    bad = col[numbers.isna() & col.notna()]
    if len(bad):
        what = "probabilities" if needs == "proba" else "values"
        raise DataError(
            f"submission column {col.name!r} holds non-numbers (e.g. {bad.iloc[0]!r}); the metric scores {what}"
        )
    if np.isinf(numbers).any():
        raise DataError(
            f"submission column {col.name!r} holds infinite values; every prediction must be finite"
        )
    return numbers


# ---------------------------------------------------------------------------------------------- submit


def _context(opts: Any) -> tuple[Any, Any, Any]:
    """The spec, the competition's data and the fitted target codec."""
    from compete.io import load_competition, resolve_data_dir
    from compete.metrics import get_metric
    from compete.runner import RunOptions, resolve_spec
    from compete.target import TargetCodec

    spec = resolve_spec(RunOptions(opts.competition, opts.competitions_dir))
    data = load_competition(spec, resolve_data_dir(spec, opts.data_root, opts.data_dir))
    codec = TargetCodec(spec.task, get_metric(spec.metric), spec.positive).fit(data.train[spec.target])
    return spec, data, codec


def submit_run(opts: SubmitOptions, connect_fn: Connect | None = None) -> SubmitResult:
    """Check a run's submission, score it locally, send it to Kaggle when asked, and record it.

    A file that fails a check raises :class:`DataError` and nothing is recorded. A Kaggle failure does
    not raise: the submission is recorded (``pending`` when a retry can succeed) and returned with
    ``error`` set, so the caller can show what was recorded and then report the failure.
    ``connect_fn`` replaces :func:`compete.kaggle_client.connect` (tests inject a fake client).
    """
    from compete.io import read_table

    spec, data, codec = _context(opts)
    run = load_run(opts.runs_dir, spec.name, opts.run)
    path = run.path / "submission.csv"
    if not path.is_file():
        raise RunError(
            f"run {run.run_id!r} has no submission.csv at {path}; re-run `compete run {spec.name}`"
        )
    sub = read_table(path)
    metric = codec.metric
    check_submission(sub, data.sample, spec.id, task=spec.task, needs=metric.needs, labels=codec.classes_,
                     nonnegative=metric.log_target)  # fmt: skip
    if opts.kaggle and not spec.kaggle:
        raise SpecError(f"{spec.source}: kaggle: the spec names no Kaggle competition; add kaggle = \"<slug>\" "
                        "(the name in the competition's URL) to submit there")  # fmt: skip
    row = _new_row(opts, spec, run, path, metric)
    answers = Path(opts.answers) if opts.answers else data.answers_path
    if answers is not None:
        row["local_score"], row["answers"] = _local_score(sub, answers, spec, codec), str(answers)
    record_submission(opts.runs_dir, row)
    result = SubmitResult(row)
    if answers is None:
        result.notes.append(f"no answer key in {data.folder}; pass --answers PATH to score locally")
    if opts.kaggle:
        result.error = _send(opts.runs_dir, row, path, connect_fn or connect, opts.wait_s)
    return result


def _new_row(opts: SubmitOptions, spec: Any, run: Any, path: Path, metric: Any) -> dict[str, Any]:
    entry = next((r for r in list_runs(opts.runs_dir, spec.name) if r["run_id"] == run.run_id), {})
    return {k: None for k in SUBMISSION_COLUMNS} | {
        "submission_id": new_run_id(), "competition": spec.name, "run_id": run.run_id, "created": _now(),
        "message": opts.message, "file": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "metric": spec.metric, "greater_is_better": int(metric.greater_is_better),
        "cv_score": entry.get("cv_score", run.scores.get("cv")), "cv_std": entry.get("cv_std"),
        "kaggle": spec.kaggle if opts.kaggle else "", "kaggle_status": "pending" if opts.kaggle else "",
    }  # fmt: skip


def _local_score(sub: pd.DataFrame, answers: Path, spec: Any, codec: Any) -> float:
    from compete.io import read_table

    if not answers.is_file():
        raise DataError(
            f"--answers {answers}: no such file; point it at a csv with {spec.id!r} and {spec.target!r}"
        )
    key = read_table(answers)
    if spec.id not in key.columns:
        raise DataError(
            f"{answers}: the answer key has no id column {spec.id!r}; columns are {list(key.columns)}"
        )
    return score_submission_local(sub, key, spec, codec)


def score_submission_local(sub: pd.DataFrame, answers: pd.DataFrame, spec: Any, codec: Any) -> float:
    """The leaderboard score of ``sub`` against ``answers`` (see :func:`compete.leaderboard.score_submission`)."""
    from compete.leaderboard import score_submission

    return float(score_submission(sub, answers, spec, codec))


# ---------------------------------------------------------------------------------------------- Kaggle


def _send(
    runs_dir: str | Path, row: dict[str, Any], path: Path, connect_fn: Connect, wait_s: float
) -> KaggleError | None:
    """Upload ``path`` for ``row``, then wait up to ``wait_s`` seconds for its public score."""
    try:
        client = connect_fn()
        ref = client.submit(row["kaggle"], path, _description(row))
    except KaggleError as exc:
        status = "pending" if exc.retryable else "failed"
        _update(runs_dir, row, kaggle_status=status, error=redact(str(exc)))
        return exc
    _update(runs_dir, row, kaggle_status="submitted", kaggle_ref=ref or "", error="")
    return _poll(runs_dir, row, client, wait_s)


def _description(row: dict[str, Any]) -> str:
    """The Kaggle description: the user's message, tagged so the submission can be found again."""
    head = row["message"] or f"run {row['run_id']}"
    return f"{head} [compete {row['submission_id']}]"


def _poll(
    runs_dir: str | Path, row: dict[str, Any], client: KaggleClient, wait_s: float
) -> KaggleError | None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            found = _find(client.submissions(row["kaggle"]), row)
        except KaggleError as exc:
            return exc if exc.reason != "network" else None  # uploaded; the score can be fetched with --retry
        if found is not None and found.status in ("complete", "error"):
            return _record_scored(runs_dir, row, found)
        if time.monotonic() >= deadline:
            return None
        time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))


def _find(listed: list[KaggleSubmission], row: dict[str, Any]) -> KaggleSubmission | None:
    tag = f"[compete {row['submission_id']}]"
    for s in listed:
        if (row.get("kaggle_ref") and s.ref == row["kaggle_ref"]) or tag in s.description:
            return s
    return None


def _record_scored(runs_dir: str | Path, row: dict[str, Any], found: KaggleSubmission) -> KaggleError | None:
    if found.status == "error":
        text = redact(found.error or "no reason given")
        _update(runs_dir, row, kaggle_status="error", kaggle_ref=found.ref, error=text)
        return KaggleError(f"Kaggle could not score submission {row['submission_id']}: {text}")
    _update(runs_dir, row, kaggle_status="complete", kaggle_ref=found.ref, public_score=found.public_score,
            private_score=found.private_score, error="")  # fmt: skip
    return None


def retry_kaggle(runs_dir: str | Path, competition: str, connect_fn: Connect | None = None,
                 wait_s: float = 0.0) -> list[SubmitResult]:  # fmt: skip
    """Send the competition's ``pending`` submissions and fetch the scores of ``submitted`` ones."""
    todo = [
        r for r in list_submissions(runs_dir, competition) if r["kaggle_status"] in ("pending", "submitted")
    ]
    if not todo:
        return []
    try:
        client = (connect_fn or connect)()
    except KaggleError as exc:
        return [SubmitResult(r, exc) for r in todo]
    results = []
    for row in reversed(todo):
        if row["kaggle_status"] == "pending":
            path = Path(row["file"])
            if not path.is_file():
                _update(runs_dir, row, kaggle_status="failed", error=f"{path} no longer exists")
                results.append(SubmitResult(row, KaggleError(f"cannot resend: {path} no longer exists")))
                continue
            results.append(SubmitResult(row, _send(runs_dir, row, path, lambda: client, wait_s)))
        else:
            results.append(SubmitResult(row, _poll(runs_dir, row, client, wait_s)))
    return results


# ----------------------------------------------------------------------------------------------- fetch


@dataclass
class FetchResult:
    """Where ``compete fetch`` put a competition's files."""

    competition: str
    kaggle: str
    folder: Path
    files: list[Path]


def fetch_competition(competition: str, competitions_dir: str | Path = "competitions",
                      data_root: str | Path | None = None, connect_fn: Connect | None = None) -> FetchResult:  # fmt: skip
    """Download a competition's files from Kaggle into ``<data root>/<name>/`` and unpack zips.

    ``competition`` is a spec's name (its ``kaggle`` key names the Kaggle competition) or, when no spec
    exists yet, the Kaggle competition's own name.
    """
    import os

    from compete.spec import find_spec, load_spec

    try:
        spec_path: Path | None = find_spec(competition, competitions_dir)
    except SpecError:
        spec_path = None
    slug, sub = competition, competition
    if spec_path is not None:
        spec = load_spec(spec_path)
        slug, sub = spec.kaggle, Path(spec.data or spec.name).name
        if not slug:
            raise SpecError(f"{spec.source}: kaggle: the spec names no Kaggle competition; add kaggle = \"<slug>\" "
                            "(the name in the competition's URL)")  # fmt: skip
    client = (connect_fn or connect)()
    root = Path(data_root if data_root is not None else os.environ.get("COMPETE_DATA_ROOT", "data"))
    folder = root / sub
    files = [f for p in client.download(slug, folder) for f in _unpack(p, folder)]
    return FetchResult(competition, slug, folder, files)


def _unpack(path: Path, folder: Path) -> list[Path]:
    """Extract a zip into ``folder`` (refusing members that would land outside it) and delete it."""
    if path.suffix != ".zip":
        return [path]
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        for name in names:
            target = (folder / name).resolve()
            if folder.resolve() not in target.parents:
                raise DataError(f"{path}: member {name!r} would be written outside {folder}; not extracting")
        archive.extractall(folder)
    path.unlink()
    return [folder / n for n in names]
