"""How the CLI shows progress and results with rich (imported only by the CLI)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from compete.progress import (
    Event,
    FoldDone,
    ModelDone,
    ModelStarted,
    Note,
    RunStarted,
    StepDone,
    StepStarted,
    TrialDone,
    TuneDone,
    TuneStarted,
)
from compete.run.result import RunResult


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

    def report(self, event: Event) -> None:
        """Draw ``event``: each kind its own small method; kinds the display does not draw are skipped."""
        if isinstance(event, StepStarted | StepDone):
            self._step(event)
        elif isinstance(event, RunStarted):
            self.console.print(f"[bold]{event.competition}[/]: {event.rows} train rows, {event.test_rows} test rows, "
                               f"{event.features} features, {event.folds} folds, device {event.device}")  # fmt: skip
        elif isinstance(event, ModelStarted):
            self._bar(event.label, event.folds)
        elif isinstance(event, FoldDone):
            self.progress.update(self._bar(event.label, event.folds), advance=1,
                                 description=f"{event.label:<14} fold {event.fold} {event.score:.5f} on {event.device}")  # fmt: skip
        elif isinstance(event, ModelDone):
            self._model_done(event)
        elif isinstance(event, TuneStarted):
            self.tasks[f"tune:{event.label}"] = self.progress.add_task(
                f"{event.label:<14} tuning for {event.seconds:.0f} s", total=None
            )
        elif isinstance(event, TrialDone | TuneDone):
            self._tuning(event)
        elif isinstance(event, Note):
            self.console.print(event.text)

    def _step(self, event: StepStarted | StepDone) -> None:
        """A step of loading (read, type, cache): a pulsing bar while it runs, what it did once done."""
        task = self.tasks.get(f"step:{event.step}")
        if isinstance(event, StepStarted) or task is None:
            task = self.tasks[f"step:{event.step}"] = self.progress.add_task(f"{event.step:<14} {event.detail}",
                                                                             total=None)  # fmt: skip
        if isinstance(event, StepDone):
            self.progress.update(task, total=1, completed=1, description=f"{event.step:<14} {event.detail} "
                                 f"in {event.seconds:.1f} s")  # fmt: skip

    def _model_done(self, event: ModelDone) -> None:
        task = self._bar(event.label, 1)
        total = self.progress.tasks[task].total  # type: ignore[index]
        self.progress.update(task, completed=total, description=f"{event.label:<14} cv {event.score:.5f}")

    def _tuning(self, event: TrialDone | TuneDone) -> None:
        task = self.tasks.get(f"tune:{event.label}")
        if task is None:
            return
        if isinstance(event, TrialDone):
            best = "-" if event.best is None else f"{event.best:.5f}"
            text = f"{event.label:<14} tuning: {event.done} trials, best {best}"
            self.progress.update(task, completed=event.done, description=text)
            return
        turn = event.turn
        text = (f"{event.label:<14} tuned: {turn.trials} trials ({turn.pruned} pruned) in {turn.seconds:.0f} s, "
                f"best cv {turn.best_cv:.5f}")  # fmt: skip
        if turn.picked_cv is not None:
            text += f" ({turn.picked_cv:.5f} cross-fitted)"
        if event.status == "error":
            text += f"; stopped by an error: {turn.error}"
        done = max(turn.trials, 1)
        self.progress.update(task, total=done, completed=done, description=text)


def print_run(console: Console, result: RunResult) -> None:
    arrow = "↑" if result.greater_is_better else "↓"
    table = Table(title=f"{result.spec.name} — {result.metric} {arrow}")
    for col in ("model", "cv", "fold std", "device", "seconds"):
        table.add_column(col, justify="left" if col in ("model", "device") else "right")
    for label, s in result.scores.items():
        mark = " *" if label == result.final else ""
        table.add_row(label + mark, f"{s.cv:.5f}", f"{s.std:.5f}", ",".join(sorted(set(s.devices))),
                      f"{s.seconds:.1f}")  # fmt: skip
    ens = result.info.get("ensemble")
    if ens:
        mark = " *" if ens["chosen"] else " (not better)"
        table.add_row(f"ensemble:{ens['method']}{mark}", f"{ens['score']:.5f}", "", "", "")
    console.print(table)
    edge = ens.get("single_edge") if ens else None
    if ens and edge and edge["gain"] > 0:
        again = ens.get("repeated")
        verdict = "within" if edge["gain"] <= edge["noise"] else "beyond"
        more = "" if again is None else (
            f"; over {again['splits']} fold splits (repeated k-fold) it is {again['gain']:+.5f} against "
            f"{again['noise']:.5f}")  # fmt: skip
        console.print(f"the best single fit's cv edge over the ensemble, {edge['gain']:.5f}, is {verdict} the fold "
                      f"noise ({edge['noise']:.5f}){more}: the {'ensemble' if ens['chosen'] else 'single fit'} "
                      "is submitted")  # fmt: skip
    if "threshold" in result.info:
        t = result.info["threshold"]
        value = t["threshold"]
        shown = f"{value:.4f}" if isinstance(value, float) else ", ".join(f"{v:.3f}" for v in value)
        if t.get("ordinal"):
            shown = f"(cut points on the expected class) {shown}"
        if t.get("used", True):
            console.print(
                f"decision threshold {shown} chosen on OOF predictions; cross-fitted cv {t['cv_score']:.5f}"
            )
        else:
            beyond = (
                f" (a gain of {t['gain']:+.5f} against fold noise {t['noise']:.5f})" if "gain" in t else ""
            )
            console.print(
                f"decision threshold {shown} chosen on OOF predictions scored {t['cv_score']:.5f} cross-fitted, "
                f"not beyond the default cut's {t['default_score']:.5f}{beyond}: the submission uses the default"
            )
    errors = result.info.get("display_errors")
    if errors:
        first = errors["first"][0]
        console.print(f"the progress display failed {errors['count']} time(s) (first: {first['error']} at "
                      f"{first['at']}); the run went on, see run.log")  # fmt: skip
    kept = result.info.get("artifacts")
    if kept and "error" in kept:
        console.print(f"the fitted pipeline was not kept ({kept['error']}); the submission is unaffected")
    elif kept:
        console.print(f"fitted pipeline kept: {kept['bytes'] / 1e6:.1f} MB in {result.path / 'artifacts'} "
                      "(compete predict, compete export; --no-models to skip)")  # fmt: skip
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
