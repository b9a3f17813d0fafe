"""``compete submit``, ``fetch``, ``leaderboard`` and ``drift``: argument parsing and rich output only.

``compete/cli.py`` registers them with one line each::

    app.command("submit")(submit_command)
    app.command("fetch")(fetch_command)
    app.command("leaderboard")(leaderboard_command)
    app.command("drift")(drift_command)

Each calls one library function (:mod:`compete.kaggle.submit`, :mod:`compete.leaderboard`,
:mod:`compete.drift`); a :class:`~compete.errors.CompeteError` becomes ``error: ...`` and exit code 2
through ``compete.cli.cli_errors`` (imported when the command runs, so this module and ``cli.py`` can
import each other in any order).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from compete.commands.common import (
    CompetitionsDir,
    DataDir,
    DataRoot,
    RunsDir,
    cli_errors,
    console,
    recorded_name,
)

__all__ = ["submit_command", "fetch_command", "leaderboard_command", "drift_command"]

Name = Annotated[str, typer.Argument(help="Competition name, or a path to its competition.toml.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON only.")]


def _fmt(value: float | None, digits: int = 5) -> str:
    return "" if value is None else f"{value:.{digits}f}"


# ---------------------------------------------------------------------------------------------- submit


@cli_errors
def submit_command(
    competition: Name,
    run: Annotated[str, typer.Option("--run", help="Run id, latest or best (by CV).")] = "latest",
    message: Annotated[str, typer.Option("--message", "-m", help="What this submission is.")] = "",
    kaggle: Annotated[
        bool, typer.Option("--kaggle", help="Also submit to Kaggle (the spec's kaggle key).")
    ] = False,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", help="Answer key to score against (default: answers.csv in the data folder)."
        ),
    ] = None,
    retry: Annotated[
        bool, typer.Option("--retry", help="Send pending Kaggle submissions and fetch missing public scores.")
    ] = False,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for Kaggle's public score.")] = 60.0,
    data_root: DataRoot = None,
    data_dir: DataDir = None,
    runs_dir: RunsDir = Path("runs"),
    competitions: CompetitionsDir = Path("competitions"),
    as_json: AsJson = False,
) -> None:
    """Check a run's submission, score it on the local answer key, optionally send it to Kaggle; record it."""
    from compete.kaggle.submit import SubmitOptions, retry_kaggle, submit_run

    if retry:
        name = _spec_name(competition, competitions)
        _report_retry(retry_kaggle(runs_dir, name, wait_s=wait), name, as_json)
        return
    opts = SubmitOptions(competition, competitions, data_root, data_dir, runs_dir, run=run, message=message,
                         kaggle=kaggle, answers=answers, wait_s=wait)  # fmt: skip
    result = submit_run(opts)
    if as_json:
        typer.echo(json.dumps({**result.record, "error": str(result.error) if result.error else None}))
    else:
        _print_submission(result)
    if result.error is not None:
        raise _recorded_error(result)


def _spec_name(competition: str, competitions: Path) -> str:
    from compete.data.prepared import CompetitionRef

    return CompetitionRef(competition, competitions).load_spec().name


def _recorded_error(result: Any) -> Exception:
    from compete.kaggle.client import KaggleError

    row = result.record
    what = (
        "recorded as pending" if row["kaggle_status"] == "pending" else f"recorded as {row['kaggle_status']}"
    )
    then = (
        f"; retry with `compete submit {row['competition']} --retry`"
        if row["kaggle_status"] == "pending"
        else ""
    )
    return KaggleError(
        f"{result.error} — submission {row['submission_id']} {what}{then}", reason=result.error.reason
    )


def _print_submission(result: Any) -> None:
    row, out = result.record, console()
    cv = (
        f"{_fmt(row['cv_score'])} ± {_fmt(row['cv_std'])}"
        if row["cv_std"] is not None
        else _fmt(row["cv_score"])
    )
    out.print(
        f"[bold]{row['competition']}[/]: submission {row['submission_id']} of run {row['run_id']} — file checked"
    )
    out.print(f"  cv {row['metric']}: {cv}")
    if row["local_score"] is not None:
        out.print(f"  local leaderboard: {_fmt(row['local_score'])}  ({row['answers']})")
    for note in result.notes:
        out.print(f"  {note}")
    if row["kaggle"]:
        score = f", public score {_fmt(row['public_score'])}" if row["public_score"] is not None else ""
        out.print(f"  kaggle ({row['kaggle']}): {row['kaggle_status']}{score}")


def _report_retry(results: list[Any], competition: str, as_json: bool) -> None:
    from compete.kaggle.client import KaggleError

    if as_json:
        typer.echo(json.dumps([{**r.record, "error": str(r.error) if r.error else None} for r in results]))
    elif not results:
        console().print(f"no pending Kaggle submissions of {competition}")
    for r in results if not as_json else []:
        score = f" public {_fmt(r.record['public_score'])}" if r.record["public_score"] is not None else ""
        console().print(
            f"{r.record['submission_id']} (run {r.record['run_id']}): {r.record['kaggle_status']}{score}"
        )
    failed = [r for r in results if r.error is not None]
    if failed:
        raise KaggleError(f"{len(failed)} of {len(results)} submissions not done: {failed[0].error}",
                          reason=failed[0].error.reason)  # fmt: skip


# ----------------------------------------------------------------------------------------------- fetch


@cli_errors
def fetch_command(
    competition: Annotated[
        str, typer.Argument(help="Competition name (its spec's kaggle key) or a Kaggle slug.")
    ],
    data_root: DataRoot = None,
    competitions: CompetitionsDir = Path("competitions"),
) -> None:
    """Download a competition's files from Kaggle into the data root (needs the kaggle extra and credentials)."""
    from compete.kaggle.submit import fetch_competition

    res = fetch_competition(competition, competitions, data_root)
    out = console()
    for path in res.files:
        out.print(f"  {path}")
    out.print(f"fetched {res.kaggle} into {res.folder} ({len(res.files)} files)")


# ----------------------------------------------------------------------------------------- leaderboard


@cli_errors
def leaderboard_command(
    competition: Annotated[
        str, typer.Argument(help="Competition name, or a path to its competition.toml (or its folder).")
    ],
    runs_dir: RunsDir = Path("runs"),
    sort: Annotated[str, typer.Option("--sort", help="cv | lb: what 'best first' means.")] = "cv",
    submitted: Annotated[bool, typer.Option("--submitted", help="Only runs that were submitted.")] = False,
    as_json: AsJson = False,
) -> None:
    """Runs with CV, fold std and LB side by side; CV↔LB correlation; runs whose LB is outside CV ± 2 std."""
    from compete.leaderboard import leaderboard

    board = leaderboard(runs_dir, recorded_name(competition), sort)
    if submitted:
        board.rows = board.submitted
    if as_json:
        typer.echo(json.dumps(board.to_dict()))
        return
    _print_board(board)


def _print_board(board: Any) -> None:
    from rich.table import Table

    arrow = "↑" if board.greater_is_better else "↓"
    table = Table(title=f"{board.competition} — {board.metric} {arrow}")
    for col in ("run", "final", "cv", "fold std", "local LB", "kaggle LB", "LB − CV", "subs", "flag"):
        table.add_column(
            col, justify="left" if col in ("run", "final", "flag") else "right", no_wrap=col == "run"
        )
    for r in board.rows:
        flag = "[red]outside CV ± 2σ[/]" if r.outside else ("ok" if r.outside is False else "")
        subs = f"{r.submissions}" + (f" ({r.pending} pending)" if r.pending else "")
        table.add_row(r.run_id, r.final, _fmt(r.cv), _fmt(r.cv_std), _fmt(r.local), _fmt(r.public), _fmt(r.gap),
                      subs if r.submissions else "", flag)  # fmt: skip
    out = console()
    out.print(table)
    n = len(board.submitted)
    if board.pearson is None:
        out.print(f"CV ↔ LB: {n} submitted run(s); the correlation needs at least 3 with different scores")
    else:
        out.print(
            f"CV ↔ LB over {n} submitted runs: pearson {board.pearson:.3f}, spearman {board.spearman:.3f}"
        )


# ----------------------------------------------------------------------------------------------- drift


@cli_errors
def drift_command(
    competition: Name,
    data_root: DataRoot = None,
    data_dir: DataDir = None,
    runs_dir: RunsDir = Path("runs"),
    competitions: CompetitionsDir = Path("competitions"),
    seed: Annotated[int | None, typer.Option(help="Seed (default: the spec's).")] = None,
    folds: Annotated[int, typer.Option(help="CV folds of the train-vs-test classifier.")] = 5,
    top: Annotated[int, typer.Option(help="Show this many features.")] = 10,
    as_json: AsJson = False,
) -> None:
    """Adversarial validation: how well a classifier tells test rows from train rows, and by which features."""
    from compete.data.prepared import CompetitionRef
    from compete.drift import run_drift

    res = run_drift(
        CompetitionRef(competition, competitions, data_root, data_dir, runs_dir), seed=seed, folds=folds
    )
    rep = res.report
    if as_json:
        typer.echo(json.dumps({"drift_id": res.drift_id, "path": str(res.path), **rep.to_dict()}))
        return
    from rich.table import Table

    out = console()
    colour = "red" if rep.high else "yellow" if rep.auc >= 0.6 else "green"
    folds_text = ", ".join(f"{a:.3f}" for a in rep.fold_aucs)
    out.print(
        f"[bold]{res.competition}[/]: train-vs-test AUC [{colour}]{rep.auc:.4f}[/] (folds {folds_text}) — {rep.verdict}"
    )
    table = Table(title="features that give the split away")
    table.add_column("feature")
    table.add_column("gain share", justify="right")
    for name, share in rep.top(top):
        table.add_row(name, f"{share:.3f}")
    out.print(table)
    out.print(
        f"saved {res.path / 'drift.json'} ({rep.n_train} train, {rep.n_test} test rows, {rep.seconds:.1f} s)"
    )
