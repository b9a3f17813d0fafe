"""``compete report``: argument parsing and output only; :func:`compete.report.write_report` does the work.

``compete/cli.py`` registers it with one line::

    app.command("report")(report_command)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compete.commands.common import RunsDir, cli_errors, console, recorded_name

__all__ = ["report_command"]


@cli_errors
def report_command(
    competition: Annotated[
        str, typer.Argument(help="Competition name, or a path to its competition.toml (or its folder).")
    ],
    run: Annotated[str, typer.Argument(help="Run id, latest or best (by CV).")] = "latest",
    runs_dir: RunsDir = Path("runs"),
) -> None:
    """Write a run's report.html: one page to open offline, with its scores, ensemble, budget and charts."""
    from compete.report import write_report

    path = write_report(runs_dir, recorded_name(competition), run)
    console().print(f"wrote {path}", markup=False)
    console().print(f"open it in a browser: {path.resolve().as_uri()}", markup=False)
