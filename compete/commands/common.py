"""What every command shares: option types, the error boundary, the console.

:func:`cli_errors` is the one place where a :class:`~compete.errors.CompeteError` becomes
``error: <message>`` on stderr and exit code 2.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

__all__ = [
    "ClusterAddress",
    "CompetitionsDir",
    "RunsDir",
    "DataRoot",
    "DataDir",
    "cli_errors",
    "console",
    "recorded_name",
]

F = TypeVar("F", bound=Callable[..., Any])

CompetitionsDir = Annotated[
    Path, typer.Option("--competitions", help="Folder of competition specs.", envvar="COMPETE_COMPETITIONS")
]
RunsDir = Annotated[
    Path, typer.Option("--runs-dir", help="Root of run records and the ledger.", envvar="COMPETE_RUNS")
]
ClusterAddress = Annotated[
    str | None,
    typer.Option("--cluster", envvar="COMPETE_CLUSTER",
                 help="Fit on a Dask cluster: a scheduler's address (tcp://host:8786) or local:N."),
]  # fmt: skip
DataRoot = Annotated[
    Path | None,
    typer.Option("--data-root", help="Folder holding <competition>/ data folders (or COMPETE_DATA_ROOT)."),
]
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="This competition's data folder (wins over the root).")
]


def console(stderr: bool = False) -> Any:
    """A rich console (imported here, when a command runs, so ``compete --help`` stays fast)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def cli_errors(fn: F) -> F:
    """Turn :class:`CompeteError` into ``error: <message>`` on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from compete.errors import CompeteError

        try:
            return fn(*args, **kwargs)
        except CompeteError as exc:
            from rich.markup import escape

            # escaped: a message names spec tables ([cv], [[features]]) that are not markup
            console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def recorded_name(competition: str) -> str:
    """The name a competition's runs are recorded under: a path to a .toml, or a folder holding
    competition.toml, is read as :func:`compete.spec.load_spec` names it (its ``name`` key, else the
    folder's name); anything else is the name itself (no spec needed to read the ledger)."""
    path = Path(competition)
    if path.suffix == ".toml" or (path.is_dir() and (path / "competition.toml").is_file()):
        from compete.spec import find_spec, load_spec

        return load_spec(find_spec(competition, path.parent)).name
    return competition
