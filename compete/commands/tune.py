"""``compete tune``: parse the options, call :func:`compete.tune.study.tune` (or ``study_report``), print.

Registered in :mod:`compete.cli` with ``app.command("tune")(tune_command)``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from compete.commands.common import ClusterAddress, CompetitionsDir, DataDir, DataRoot, RunsDir, cli_errors

__all__ = ["tune_command", "TuneProgress", "print_tune", "print_study"]

Console = Any  # rich's Console, imported where used so `compete --help` stays fast


@cli_errors
def tune_command(
    competition: Annotated[str, typer.Argument(help="Competition name, or a path to its competition.toml.")],
    model: Annotated[
        str, typer.Option("--model", "-m", help="lightgbm | xgboost | catboost (or a spec alias).")
    ],
    trials: Annotated[
        int | None, typer.Option(help="Trials this process runs (default: until --timeout).")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="Seconds this process tunes; the trial in flight stops at its next fold."),
    ] = None,  # fmt: skip
    storage: Annotated[
        str | None,
        typer.Option(
            help="Optuna storage URL (default: sqlite under --runs-dir); "
            "postgresql://... shares one study between workers.",
            envvar="COMPETE_TUNE_STORAGE",
        ),
    ] = None,  # fmt: skip
    study: Annotated[
        str | None, typer.Option(help="Study name (default: competition.model.spec-hash).")
    ] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | gpu.")] = "auto",
    seed: Annotated[
        int | None, typer.Option(help="Seed for folds, models and sampler (default: the spec's).")
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Print the study's best trial, history and importances.")
    ] = False,
    in_fold: Annotated[
        bool,
        typer.Option(
            "--in-fold-pruning/--no-in-fold-pruning",
            help="Also prune inside a fold (LightGBM, XGBoost on CPU).",
        ),
    ] = True,  # fmt: skip
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary only.")] = False,
    cluster: ClusterAddress = None,  # the trials as tasks on one study
    data_root: DataRoot = None,
    data_dir: DataDir = None,
    runs_dir: RunsDir = Path("runs"),
    competitions: CompetitionsDir = Path("competitions"),
) -> None:
    """Tune a model's parameters on the competition's own CV (an Optuna study that resumes and prunes)."""
    from compete.tune.params import study_report
    from compete.tune.study import TuneOptions, tune

    opts = TuneOptions(competition, competitions, data_root, data_dir, runs_dir, model=model, trials=trials,
                       timeout=timeout, storage=storage, study=study, device=device, seed=seed,
                       in_fold_pruning=in_fold, cluster=cluster)  # fmt: skip
    from rich.console import Console as RichConsole

    console = RichConsole(highlight=False, soft_wrap=True)
    if show:
        report = study_report(opts)
        typer.echo(json.dumps(report, default=str)) if as_json else print_study(console, report)
        return
    if as_json:
        typer.echo(json.dumps(tune(opts).__dict__, default=str))
        return
    with TuneProgress(console, trials, timeout) as progress:
        result = tune(opts, report=progress.report)
    print_tune(console, result)


class TuneProgress:
    """A rich progress bar: trials done (or time used), best value, elapsed time."""

    def __init__(self, console: Console, trials: int | None, timeout: float | None) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.console, self.trials, self.timeout = console, trials, timeout
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[done]}"),
                                 TextColumn("best {task.fields[best]}"), TimeElapsedColumn(), console=console)  # fmt: skip
        self.task: Any = None
        self.start = time.monotonic()

    def __enter__(self) -> TuneProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def report(self, event: Any) -> None:
        from compete.progress import StepDone, StudyOpened, TrialDone

        if isinstance(event, StepDone):
            self.console.print(f"{event.step}: {event.detail} in {event.seconds:.1f} s")
        elif isinstance(event, StudyOpened):
            self.console.print(f"study [bold]{event.study}[/] in {event.storage}: {event.direction} "
                               f"{event.metric}, {event.existing} earlier trials, {event.rows} rows, "
                               f"{event.folds} folds, device {event.device}")  # fmt: skip
            total = self.trials if self.trials else self.timeout
            self.task = self.progress.add_task("trials", total=total, done="0", best="-")
        elif isinstance(event, TrialDone) and self.task is not None:
            best = "-" if event.best is None else f"{event.best:.6g} (#{event.best_number})"
            done = f"{event.done}/{self.trials}" if self.trials else f"{event.done} trials"
            completed = event.done if self.trials else min(event.elapsed, self.timeout or 0)
            self.progress.update(self.task, completed=completed, done=done, best=best,
                                 description=f"trial {event.number} {event.state}")  # fmt: skip


def print_tune(console: Console, result: Any) -> None:
    """The closing lines of a ``tune``."""
    best = (
        "none yet" if result.best_value is None else f"{result.best_value:.6g} (trial {result.best_number})"
    )
    console.print(f"{result.trials_run} trials in {result.wall_s:.0f}s: {result.completed} complete, "
                  f"{result.pruned} pruned, {result.failed} failed; {result.total_trials} in the study")  # fmt: skip
    used = "; `compete run` now uses these parameters" if result.best_value is not None else ""
    console.print(f"best {result.metric}: [bold]{best}[/]{used}")


def print_study(console: Console, report: dict[str, Any], last: int = 30) -> None:
    """``tune --show``: best trial, the last ``last`` trials and parameter importances."""
    from rich.table import Table

    console.print(f"study [bold]{report['study']}[/] ({report['direction']} {report['metric']}), "
                  f"{len(report['history'])} trials")  # fmt: skip
    best = report["best"]
    if best:
        console.print(f"best: trial {best['number']}, {report['metric']} {best['value']:.6g}")
        params = Table("parameter", "value", title="best parameters")
        for key, value in best["params"].items():
            params.add_row(key, f"{value:.5g}" if isinstance(value, float) else str(value))
        console.print(params)
    history = Table("trial", "state", "value", "seconds", "note", title="history")
    for t in report["history"][-last:]:
        value = "" if t["value"] is None else f"{t['value']:.6g}"
        secs = "" if t["seconds"] is None else f"{t['seconds']:.1f}"
        history.add_row(str(t["number"]), t["state"], value, secs, t["note"])
    console.print(history)
    if report["importances"]:
        imp = Table("parameter", "importance", title="parameter importances (fANOVA)")
        for key, value in report["importances"].items():
            imp.add_row(key, f"{value:.3f}")
        console.print(imp)
