"""The ``compete`` command line: a thin shell over importable functions.

Each command parses its options, calls one library function and prints what it returns. This is the
only place where a :class:`~compete.errors.CompeteError` becomes a message and exit code 2. Library
modules are imported inside the commands so ``compete --help`` stays instant.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from compete.commands.baseline import baseline_command
from compete.commands.common import ClusterAddress, CompetitionsDir, DataDir, DataRoot, RunsDir, cli_errors
from compete.commands.common import console as _console
from compete.commands.explain import explain_command
from compete.commands.init import init_command
from compete.commands.predict import export_command, predict_command
from compete.commands.report import report_command
from compete.commands.submit import drift_command, fetch_command, leaderboard_command, submit_command
from compete.commands.tune import tune_command

app = typer.Typer(
    name="compete",
    help="Tabular ML competitions: honest cross-validation, strong GBDTs, ensembles, valid submissions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("init")(init_command)


@app.command()
@cli_errors
def run(
    competition: Annotated[str, typer.Argument(help="Competition name, or a path to its competition.toml.")],
    data_root: DataRoot = None,
    data_dir: DataDir = None,
    runs_dir: RunsDir = Path("runs"),
    competitions: CompetitionsDir = Path("competitions"),
    seed: Annotated[int | None, typer.Option(help="Seed for folds and models (default: the spec's).")] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | gpu.")] = "auto",
    models: Annotated[str | None, typer.Option(help="Comma-separated models, overriding the spec's.")] = None,
    folds: Annotated[int | None, typer.Option(help="Number of CV folds, overriding the spec's.")] = None,
    resample: Annotated[
        str | None, typer.Option(help="Resampling method for this run (e.g. smote, none).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the submission here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary only.")] = False,
    time_budget: Annotated[
        float | None, typer.Option("--time-budget", help="Finish the whole run within this many seconds.")
    ] = None,
    params: Annotated[
        str,
        typer.Option(
            "--params", help="default | best (the matching tune study's best trial) | FILE (.json/.toml)."
        ),
    ] = "best",
    storage: Annotated[
        str | None,
        typer.Option("--storage", envvar="COMPETE_TUNE_STORAGE", help="Optuna storage of tune studies."),
    ] = None,
    note: Annotated[
        str, typer.Option("--note", "-m", help="A note kept with the run in the ledger (`compete runs`).")
    ] = "",
    keep_models: Annotated[
        bool,
        typer.Option(
            "--keep-models/--no-models", help="Keep the fitted pipeline for `compete predict` (the default)."
        ),
    ] = True,
    report: Annotated[
        bool, typer.Option("--report", help="Also write the run's report.html (needs compete[report]).")
    ] = False,
    cluster: ClusterAddress = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Finish a cluster run that lost its scheduler (its id).")
    ] = None,
    search: Annotated[
        bool | None,
        typer.Option(
            "--search/--no-search", help="Search features first (default: when the spec names none)."
        ),
    ] = None,
    refit: Annotated[
        bool | None,
        typer.Option(
            "--refit/--no-refit",
            help="Refit the chosen fits on all training rows for the test predictions (default: under a budget).",
        ),
    ] = None,
) -> None:
    """Cross-validate the spec's models, ensemble them and write a submission and a run record."""
    started = time.monotonic()  # a --time-budget counts from the command's start
    from compete.run.options import RunOptions
    from compete.run.runner import run_competition

    opts = RunOptions(competition, competitions, data_root, data_dir, runs_dir, seed=seed, device=device,
                      models=models.split(",") if models else None, folds=folds, resample=resample, output=output,
                      note=note, time_budget=time_budget, started=started, params=params, tune_storage=storage,
                      keep_models=keep_models, cluster=cluster, resume=resume, search=search,
                      refit=refit)  # fmt: skip
    if as_json:
        result = run_competition(opts)
        page = _report(result) if report else None
        typer.echo(json.dumps({**result.summary(), **({"report": str(page)} if page else {})}))
        return
    from compete.commands.output import RunProgress, print_run

    with RunProgress(_console()) as progress:
        result = run_competition(opts, report=progress.report)
    if report:
        _console().print(f"report: {_report(result)}")
    print_run(_console(), result)


def _report(result: Any) -> Path:
    """The run's report page (``--report``), written once the run is recorded."""
    from compete.report import write_report

    return write_report(result.path.parent.parent, result.spec.name, result.run_id)


@app.command("runs")
@cli_errors
def runs_cmd(
    competition: Annotated[str | None, typer.Argument(help="Competition name (default: all).")] = None,
    runs_dir: RunsDir = Path("runs"),
    limit: Annotated[int, typer.Option(help="Show at most this many runs.")] = 30,
) -> None:
    """List past runs from the ledger, newest first."""
    from compete.commands.output import print_runs
    from compete.records.runs import list_runs

    print_runs(_console(), list_runs(runs_dir, competition)[:limit])


@app.command()
@cli_errors
def ensemble(
    competition: Annotated[str, typer.Argument(help="Competition name.")],
    runs: Annotated[str, typer.Option("--runs", help="Comma-separated run ids (or latest/best) to combine.")],
    method: Annotated[
        str, typer.Option(help="hill_climb | stacking | mean | rank | geometric.")
    ] = "hill_climb",
    data_root: DataRoot = None,
    data_dir: DataDir = None,
    runs_dir: RunsDir = Path("runs"),
    competitions: CompetitionsDir = Path("competitions"),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the submission here.")
    ] = None,
) -> None:
    """Blend or stack past runs made with the same folds into a new run and submission."""
    from compete.commands.output import print_run
    from compete.run.blend import ensemble_runs
    from compete.run.options import RunOptions

    opts = RunOptions(competition, competitions, data_root, data_dir, runs_dir, output=output, device="cpu")
    print_run(_console(), ensemble_runs(opts, [r.strip() for r in runs.split(",") if r.strip()], method))


@app.command()
def recipes() -> None:
    """List every feature recipe with its parameters and a one-line description."""
    from rich.table import Table

    from compete.features import describe_recipes

    table = Table("recipe", "parameters", "what it does")
    for name, params, doc in describe_recipes():
        table.add_row(name, params, doc)
    _console().print(table)


app.command("predict")(predict_command)
app.command("export")(export_command)
app.command("report")(report_command)
app.command("explain")(explain_command)
app.command("tune")(tune_command)
app.command("submit")(submit_command)
app.command("fetch")(fetch_command)
app.command("leaderboard")(leaderboard_command)
app.command("drift")(drift_command)
app.command("baseline")(baseline_command)


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    app()


if __name__ == "__main__":
    main()
