"""``compete baseline``: another AutoML library's leaderboard on the competition, recorded in the ledger.

Registered in :mod:`compete.cli` with ``app.command("baseline")(baseline_command)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from compete.commands.common import CompetitionsDir, DataDir, DataRoot, RunsDir, cli_errors

__all__ = ["baseline_command"]


@cli_errors
def baseline_command(
    competition: Annotated[str, typer.Argument(help="Competition name, or a path to its competition.toml.")],
    engine: Annotated[str, typer.Option(help="Baseline engine: pycaret.")] = "pycaret",
    python: Annotated[
        Path | None,
        typer.Option(
            "--python",
            help="Python of the engine's own venv (default: $COMPETE_PYCARET_PYTHON; "
            "make one with `bench/peers/setup pycaret`).",
        ),
    ] = None,  # fmt: skip
    budget: Annotated[
        float | None, typer.Option("--time-budget", help="Seconds for compare_models (default: no limit).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary only.")] = False,
    data_root: DataRoot = None,
    data_dir: DataDir = None,
    runs_dir: RunsDir = Path("runs"),
    competitions: CompetitionsDir = Path("competitions"),
) -> None:
    """Run PyCaret's setup + compare_models on the competition (in its own venv) and record its leaderboard."""
    from compete.baseline import run_baseline

    result = run_baseline(competition, engine, python=python, competitions_dir=competitions,
                          data_root=data_root, data_dir=data_dir, runs_dir=runs_dir, budget_s=budget)  # fmt: skip
    if as_json:
        typer.echo(json.dumps({"run_id": result.run_id, "engine": result.engine, "metric": result.metric,
                               "column": result.column, "best": result.best, "cv_score": result.cv_score,
                               "wall_s": result.wall_s, "path": str(result.path)}))  # fmt: skip
        return
    typer.echo(f"{result.engine} {result.version}: {len(result.leaderboard)} models, sorted by {result.column}; "
               f"run {result.run_id} (kind baseline) in {result.path}")  # fmt: skip
    for row in result.leaderboard[:10]:
        typer.echo(f"  {row.get('Model', row.get('key', '')):40s} {row.get(result.column)}")
