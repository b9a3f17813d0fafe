"""``compete report``: argument parsing and output only; :func:`compete.report.write_report` does the work.

``compete/cli.py`` registers it with one line::

    app.command("report")(report_command)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compete.commands.common import RunsDir, cli_errors, console

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

    path = write_report(runs_dir, _recorded_name(competition), run)
    console().print(f"wrote {path}", markup=False)
    console().print(f"open it in a browser: {path.resolve().as_uri()}", markup=False)


def _recorded_name(competition: str) -> str:
    """The name the runs were recorded under: a path to a .toml, or a folder holding competition.toml,
    is read as :func:`compete.spec.load_spec` names it; anything else is the name itself."""
    path = Path(competition)
    if path.suffix == ".toml" or (path.is_dir() and (path / "competition.toml").is_file()):
        from compete.spec import find_spec, load_spec

        return load_spec(find_spec(competition, path.parent)).name
    return competition
