"""``compete explain``: a run's models explained by TreeSHAP and gain importance, printed and kept.

Registered in :mod:`compete.cli` with ``app.command("explain")(explain_command)``; the work is
:func:`compete.explain.explain_run`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from compete.commands.common import CompetitionsDir, DataDir, DataRoot, RunsDir, cli_errors, console

__all__ = ["explain_command"]


@cli_errors
def explain_command(
    run: Annotated[
        str, typer.Argument(help="A run: its folder, COMPETITION/RUN_ID, COMPETITION/latest or a run id.")
    ],
    runs_dir: RunsDir = Path("runs"),
    competitions: CompetitionsDir = Path("competitions"),
    data_root: DataRoot = None,
    data_dir: DataDir = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Show this many features per model.")] = 10,
    rows: Annotated[
        int, typer.Option("--rows", min=1, help="Explain at most this many OOF rows in all (seeded sample).")
    ] = 2000,
    seed: Annotated[int | None, typer.Option(help="Seed of the row sample (default: the run's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print importances.json only.")] = False,
) -> None:
    """Mean |SHAP| (each library's TreeSHAP on OOF rows), gain share and fold agreement per model;
    writes importances.json in the run folder."""
    from compete.explain import explain_run
    from compete.records.runs import find_run

    # --competitions is taken as by the other commands; the run's own spec travels in its artifacts
    result = explain_run(find_run(runs_dir, run), data_root=data_root, data_dir=data_dir, max_rows=rows,
                         seed=seed)  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    _print(result, top)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _print(result: Any, top: int) -> None:
    from rich.table import Table

    out = console()
    out.print(f"[bold]{result.run_dir.name}[/]: TreeSHAP on {result.rows} out-of-fold rows")
    for label, m in result.models.items():
        gain_rank = {name: i + 1 for i, name in enumerate(m.gain)}
        table = Table(title=f"{label} ({m.model}) — fold agreement {_fmt(m.fold_agreement)}, "
                            f"SHAP↔gain {_fmt(m.shap_gain_agreement)}")  # fmt: skip
        for col in ("#", "feature", "mean |SHAP|", "gain share", "gain rank"):
            table.add_column(col, justify="left" if col == "feature" else "right")
        for i, (name, value, share) in enumerate(m.top(top), start=1):
            table.add_row(str(i), name, f"{value:.4g}", f"{share:.3f}", str(gain_rank.get(name, "")))
        out.print(table)
    for label, why in result.skipped.items():
        out.print(f"  skipped {label}: {why}")
    out.print(f"saved {result.path} ({result.seconds:.1f} s)")
