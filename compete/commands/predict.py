"""``compete predict`` and ``compete export``: a run's fitted pipeline on new rows, or as a folder that
predicts offline.

Registered in :mod:`compete.cli` with ``app.command("predict")(predict_command)`` and
``app.command("export")(export_command)``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from compete.commands.common import RunsDir, cli_errors, console

__all__ = ["predict_command", "export_command"]


@cli_errors
def predict_command(
    run: Annotated[
        str, typer.Argument(help="A run: its folder, COMPETITION/RUN_ID, COMPETITION/latest or a run id.")
    ],
    data: Annotated[
        Path, typer.Option("--data", help="Rows to predict: csv, csv.gz or parquet with the id.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the predictions.")],
    runs_dir: RunsDir = Path("runs"),
) -> None:
    """Predict new rows with a run's fitted recipes, fold models, ensemble and threshold (no refitting)."""
    from compete.records.artifacts import predict_file
    from compete.records.runs import find_run

    start = time.perf_counter()
    folder = find_run(runs_dir, run)
    sub = predict_file(folder, data, output)
    seconds = time.perf_counter() - start
    console().print(f"predicted {len(sub)} rows with run {folder.name} in {seconds:.1f} s: {output}")


@cli_errors
def export_command(
    run: Annotated[
        str, typer.Argument(help="A run: its folder, COMPETITION/RUN_ID, COMPETITION/latest or a run id.")
    ],
    to: Annotated[Path, typer.Option("--to", help="A new folder for the exported run.")],
    wheels: Annotated[
        bool, typer.Option("--wheels", help="Also download the pinned libraries as wheels (offline install).")
    ] = False,
    runs_dir: RunsDir = Path("runs"),
) -> None:
    """Write a run's fitted pipeline, compete's code, predict.py and pinned requirements to a folder."""
    from compete.records.export import export_run
    from compete.records.runs import find_run

    res = export_run(find_run(runs_dir, run), to, wheels=wheels)
    out = console()
    out.print(
        f"exported to {res.folder} ({res.bytes / 1e6:.1f} MB{f', {res.wheels} wheels' if wheels else ''})"
    )
    out.print(f"requirements: {' '.join(res.requirements)}")
    install = (
        "pip install --no-index --find-links wheels -r requirements.txt"
        if wheels
        else "pip install -r requirements.txt"
    )
    out.print(f"then, in {res.folder}: {install} && python predict.py --data test.csv -o submission.csv")
