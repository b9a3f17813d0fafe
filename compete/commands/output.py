"""How the CLI shows progress and results with rich (imported only by the CLI)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from compete.run.runner import RunResult


class RunProgress:
    """A rich progress display of a run, fed by the runner's report callback.

    One bar per fit (model × fold: first-pass models, learning-rate halvings, seed bags, the fit a
    tuning turn yields) and one per tuning turn of ``--time-budget`` (its seconds, trials and best CV).
    A bar is made when its label is first seen, whichever event comes first, so a fit the display was
    not told about in advance is shown, not a crash; the runner also guards the callback
    (:class:`compete.progress.Events`).
    """

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

    def _bar(self, label: str, total: float | None) -> Any:
        if label not in self.tasks:
            self.tasks[label] = self.progress.add_task(f"{label:<14}", total=total)
        return self.tasks[label]

    def report(self, event: str, **info: Any) -> None:
        handler = getattr(self, f"_on_{event}", None)
        if handler is not None:
            handler(**info)

    def _on_start(self, **info: Any) -> None:
        self.console.print(
            f"[bold]{info['competition']}[/]: {info['rows']} train rows, {info['test_rows']} test rows, "
            f"{info['features']} features, {info['folds']} folds, device {info['device']}"
        )

    def _on_model_start(self, label: str, folds: int, **_: Any) -> None:
        self._bar(label, folds)

    def _on_fold_done(self, label: str, fold: int, folds: int, score: float, device: str, **_: Any) -> None:
        self.progress.update(self._bar(label, folds), advance=1,
                             description=f"{label:<14} fold {fold} {score:.5f} on {device}")  # fmt: skip

    def _on_model_done(self, label: str, score: float, **_: Any) -> None:
        task = self._bar(label, 1)
        total = self.progress.tasks[task].total  # type: ignore[index]
        self.progress.update(task, completed=total, description=f"{label:<14} cv {score:.5f}")

    def _on_tune_start(self, label: str, seconds: float, **_: Any) -> None:
        self.progress.add_task(f"{label:<14} tuning for {seconds:.0f} s", total=None)
        self.tasks[f"tune:{label}"] = self.progress.task_ids[-1]

    def _on_trial_done(self, label: str, done: int, best: float | None, **_: Any) -> None:
        task = self.tasks.get(f"tune:{label}")
        if task is None:
            return
        shown = "-" if best is None else f"{best:.5f}"
        self.progress.update(
            task, completed=done, description=f"{label:<14} tuning: {done} trials, best {shown}"
        )

    def _on_tune_done(self, label: str, status: str, trials: int, pruned: int, best_cv: float,
                      seconds: float, **info: Any) -> None:  # fmt: skip
        task = self.tasks.get(f"tune:{label}")
        text = (
            f"{label:<14} tuned: {trials} trials ({pruned} pruned) in {seconds:.0f} s, best cv {best_cv:.5f}"
        )
        if status == "error":
            text += f"; stopped by an error: {info.get('error', '')}"
        if task is not None:
            self.progress.update(task, total=max(trials, 1), completed=max(trials, 1), description=text)

    def _on_note(self, text: str, **_: Any) -> None:
        self.console.print(text)


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
    errors = result.info.get("display_errors")
    if errors:
        first = errors["first"][0]
        console.print(f"the progress display failed {errors['count']} time(s) (first: {first['error']} at "
                      f"{first['at']}); the run went on, see run.log")  # fmt: skip
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
    notes = any(r.get("note") for r in rows)
    for col in (["competition", "metric"] if many else []) + ["cv", "fold std", "final", "wall s"]:
        table.add_column(col, justify="right" if col in ("cv", "fold std", "wall s") else "left")
    if notes:
        table.add_column("note")
    for r in rows:
        std = f"{r['cv_std']:.5f}" if r["cv_std"] is not None else ""
        lead = [r["competition"], r["metric"]] if many else []
        note = [r.get("note") or ""] if notes else []
        table.add_row(
            r["run_id"], *lead, f"{r['cv_score']:.5f}", std, r["final"], f"{r['wall_s']:.0f}", *note
        )
    console.print(table)
