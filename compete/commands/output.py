"""How the CLI shows progress and results with rich (imported only by the CLI)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from compete.runner import RunResult


class RunProgress:
    """A rich progress bar of model × fold, fed by the runner's report callback."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=False)  # fmt: skip
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def report(self, event: str, **info: Any) -> None:
        if event == "start":
            self.console.print(
                f"[bold]{info['competition']}[/]: {info['rows']} train rows, {info['test_rows']} test rows, "
                f"{info['features']} features, {info['folds']} folds, device {info['device']}"
            )
        elif event == "model_start":
            self.tasks[info["label"]] = self.progress.add_task(f"{info['label']:<14}", total=info["folds"])
        elif event == "fold_done":
            task = self.tasks[info["label"]]
            self.progress.update(task, advance=1, description=f"{info['label']:<14} fold {info['fold']} "
                                 f"{info['score']:.5f} on {info['device']}")  # fmt: skip
        elif event == "model_done":
            self.progress.update(
                self.tasks[info["label"]], description=f"{info['label']:<14} cv {info['score']:.5f}"
            )
        elif event == "note":
            self.console.print(info["text"])


def print_run(console: Console, result: RunResult) -> None:
    arrow = "↑" if result.greater_is_better else "↓"
    table = Table(title=f"{result.spec.name} — {result.metric} {arrow}")
    for col in ("model", "cv", "fold std", "device", "seconds"):
        table.add_column(col, justify="left" if col in ("model", "device") else "right")
    for label, s in result.scores.items():
        mark = " *" if label == result.final else ""
        table.add_row(label + mark, f"{s['cv']:.5f}", f"{s['std']:.5f}", ",".join(sorted(set(s["devices"]))),
                      f"{s['seconds']:.1f}")  # fmt: skip
    ens = result.info.get("ensemble")
    if ens:
        mark = " *" if ens["chosen"] else " (not better)"
        table.add_row(f"ensemble:{ens['method']}{mark}", f"{ens['score']:.5f}", "", "", "")
    console.print(table)
    if "threshold" in result.info:
        t = result.info["threshold"]
        value = t["threshold"]
        shown = f"{value:.4f}" if isinstance(value, float) else ", ".join(f"{v:.3f}" for v in value)
        if t.get("used", True):
            console.print(
                f"decision threshold {shown} chosen on OOF predictions; cross-fitted cv {t['cv_score']:.5f}"
            )
        else:
            console.print(
                f"decision threshold {shown} chosen on OOF predictions scored {t['cv_score']:.5f} cross-fitted, "
                f"no better than the default cut's {t['default_score']:.5f}: the submission uses the default"
            )
    for extra in result.extra_outputs:
        console.print(f"also written to {extra}")
    console.print(
        f"submission: {result.submission}  cv {result.metric} {result.cv_score:.5f}  ({result.wall_s:.1f} s)"
    )


def print_runs(console: Console, rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("no runs yet; start one with `compete run NAME`")
        return
    many = len({r["competition"] for r in rows}) > 1
    table = Table(title=None if many else f"{rows[0]['competition']} — {rows[0]['metric']}")
    table.add_column("run", no_wrap=True)
    for col in (["competition", "metric"] if many else []) + ["cv", "fold std", "final", "wall s"]:
        table.add_column(col, justify="right" if col in ("cv", "fold std", "wall s") else "left")
    for r in rows:
        std = f"{r['cv_std']:.5f}" if r["cv_std"] is not None else ""
        lead = [r["competition"], r["metric"]] if many else []
        table.add_row(r["run_id"], *lead, f"{r['cv_score']:.5f}", std, r["final"], f"{r['wall_s']:.0f}")
    console.print(table)
