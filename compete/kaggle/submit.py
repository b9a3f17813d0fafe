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
:func:`compete.kaggle.client.redact`.
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compete.data.prepared import CompetitionRef
from compete.errors import DataError, RunError, SpecError
from compete.kaggle.client import KaggleClient, KaggleError, KaggleSubmission, connect, redact
from compete.records.runs import list_runs, load_run, new_run_id
from compete.records.submissions import (
    SUBMISSION_COLUMNS,
    list_submissions,
    now,
    record_submission,
    update_submission,
)
from compete.submission.score import check_submission, score_answers

__all__ = ["SubmitOptions", "SubmitResult", "submit_run", "retry_kaggle", "FetchResult", "fetch_competition"]

Connect = Callable[[], KaggleClient]


@dataclass(kw_only=True)
class SubmitOptions(CompetitionRef):
    """What ``compete submit`` is asked to do, on top of which competition and where.

    Examples
    --------
    >>> SubmitOptions("titanic", run="best", message="lgbm + xgb", kaggle=True).run
    'best'
    """

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


# ---------------------------------------------------------------------------------------------- submit


def _context(opts: Any) -> tuple[Any, Any, Any]:
    """The spec, the competition's data and the fitted target codec."""
    from compete.data.files import load_competition
    from compete.data.target import TargetCodec
    from compete.scoring.metrics import get_metric

    spec = opts.load_spec()
    data = load_competition(spec, opts.data_folder(spec))
    codec = TargetCodec(spec.task, get_metric(spec.metric), spec.positive).fit(data.train[spec.target])
    return spec, data, codec


def submit_run(opts: SubmitOptions, connect_fn: Connect | None = None) -> SubmitResult:
    """Check a run's submission, score it locally, send it to Kaggle when asked, and record it.

    A file that fails a check raises :class:`DataError` and nothing is recorded. A Kaggle failure does
    not raise: the submission is recorded (``pending`` when a retry can succeed) and returned with
    ``error`` set, so the caller can show what was recorded and then report the failure.
    ``connect_fn`` replaces :func:`compete.kaggle.client.connect` (tests inject a fake client).
    """
    from compete.data.files import read_table

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
        row["local_score"], row["answers"] = score_answers(sub, answers, spec, codec), str(answers)
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
        "submission_id": new_run_id(), "competition": spec.name, "run_id": run.run_id, "created": now(),
        "message": opts.message, "file": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "metric": spec.metric, "greater_is_better": int(metric.greater_is_better),
        "cv_score": entry.get("cv_score", run.scores.get("cv")), "cv_std": entry.get("cv_std"),
        "kaggle": spec.kaggle if opts.kaggle else "", "kaggle_status": "pending" if opts.kaggle else "",
    }  # fmt: skip


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
        update_submission(runs_dir, row, kaggle_status=status, error=redact(str(exc)))
        return exc
    update_submission(runs_dir, row, kaggle_status="submitted", kaggle_ref=ref or "", error="")
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
        update_submission(runs_dir, row, kaggle_status="error", kaggle_ref=found.ref, error=text)
        return KaggleError(f"Kaggle could not score submission {row['submission_id']}: {text}")
    update_submission(runs_dir, row, kaggle_status="complete", kaggle_ref=found.ref, public_score=found.public_score,
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
                update_submission(runs_dir, row, kaggle_status="failed", error=f"{path} no longer exists")
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
