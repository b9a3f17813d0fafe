"""``compete init``: infer a spec from the data files and print every guess with its reason.

Registered in :mod:`compete.cli` with ``app.command("init")(init_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from compete.commands.common import CompetitionsDir, cli_errors, console

__all__ = ["init_command"]


@cli_errors
def init_command(
    name: Annotated[str, typer.Argument(help="Competition name (the spec's folder).")],
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Folder with train, test and sample_submission.")
    ],
    target: Annotated[str | None, typer.Option(help="Target column (default: inferred).")] = None,
    id: Annotated[str | None, typer.Option("--id", help="Id column (default: inferred).")] = None,
    metric: Annotated[str | None, typer.Option(help="Metric (default: by task).")] = None,
    task: Annotated[
        str | None, typer.Option(help="binary | multiclass | regression (default: inferred).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing spec.")] = False,
    competitions: CompetitionsDir = Path("competitions"),
) -> None:
    """Write competitions/NAME/competition.toml from the data files, saying what was inferred and why."""
    from compete.data.infer import init_competition

    res = init_competition(name, data_dir, competitions_dir=competitions, target=target, id=id, metric=metric,
                           task=task, force=force)  # fmt: skip
    out = console()
    for key in ("task", "target", "id", "metric"):
        why = res.reasons.get(key, "given on the command line")
        out.print(f"{key:>7}: [bold]{res.settings[key]}[/]  ({why})")
    out.print(f"     cv: {res.reasons.get('cv', '')}")
    for line in column_lines(res.columns):
        out.print(line, markup=False)
    out.print(f"wrote {res.path}; next: compete run {name}")


def column_lines(columns: list[dict[str, str]]) -> list[str]:
    """``columns:`` then one aligned line per column: name, type, reason."""
    if not columns:
        return []
    width = max(len(c["column"]) for c in columns)
    kind = max(len(c["type"]) for c in columns)
    return ["columns:", *(f"  {c['column']:<{width}}  {c['type']:<{kind}}  {c['reason']}" for c in columns)]
