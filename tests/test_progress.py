"""The progress display and its guard: every fit a run makes is shown, and a display failure never ends a run."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
from rich.console import Console
from typer.testing import CliRunner

from compete.cli import app
from compete.commands.output import RunProgress
from compete.progress import (
    Event,
    Events,
    FoldDone,
    ModelDone,
    ModelStarted,
    Note,
    RunFinished,
    TrialDone,
    TuneDone,
    TuneStarted,
    TurnInfo,
)
from compete.run.options import RunOptions
from compete.run.plan import SecondPass, TuneTurn, slower
from compete.run.runner import run_competition
from compete.spec import ModelSpec

REPO = Path(__file__).parents[1]


def test_the_display_shows_fits_it_was_not_told_about_in_advance():
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    with RunProgress(console) as progress:
        progress.report(ModelStarted("lightgbm", 2))
        progress.report(FoldDone("lightgbm", 0, 2, 0.7, 0.1, "cpu"))
        progress.report(ModelDone("lightgbm", 0.71, 0.0, ["cpu"], 0.2))
        progress.report(TuneStarted("lightgbm#tuned1", "lightgbm", 5.0))
        progress.report(TrialDone(1, "complete", 0.72, 0.72, 1, 1, 1.0, label="lightgbm#tuned1"))
        progress.report(TuneDone("lightgbm#tuned1", "done", TurnInfo(3, 2, 1, 0, 0.72, 4.0)))
        # the tuned fit arrives with no ModelStarted (the crash of issue 14), a fold of a fit never announced too
        progress.report(ModelDone("lightgbm#tuned1", 0.72, 0.0, ["cpu"], 1.0))
        progress.report(FoldDone("x~seed1", 0, 2, 0.6, 0.1, "cpu"))
        progress.report(RunFinished("lightgbm#tuned1", 0.72))  # a kind the display does not draw
    text = out.getvalue()
    assert "lightgbm#tuned1 tuned: 3 trials (1 pruned) in 4 s, best cv 0.72000" in text
    assert "lightgbm#tuned1 cv 0.72000" in text and "x~seed1" in text


def test_a_failing_display_is_logged_and_the_run_finishes(competition):
    comps = competition()
    root = comps.parent
    seen: list[str] = []

    def broken(event: Event) -> None:
        seen.append(event.kind)
        raise RuntimeError(f"cannot draw {event.kind}")

    res = run_competition(RunOptions("toy", comps, root / "data", None, root / "runs", device="cpu"), broken)
    assert res.submission.is_file() and len(pd.read_csv(res.submission)) == 120
    assert "model_done" in seen and "final" in seen  # every event was still offered to the display
    errors = json.loads((res.path / "scores.json").read_text())["display_errors"]
    assert (
        errors["count"] == len(seen) and errors["first"][0]["error"] == f"RuntimeError: cannot draw {seen[0]}"
    )
    log = [json.loads(line) for line in (res.path / "run.log").read_text().splitlines()]
    assert any(e["event"] == "display_error" and e["error"].startswith("RuntimeError") for e in log)


def test_events_forward_and_record():
    got: list[Event] = []
    events = Events(got.append)
    events(Note("hello"))
    assert got == [Note("hello")] and json.loads(events.log[0]) == {"event": "note", "text": "hello"}
    assert events.summary() is None


class Scripted(SecondPass):
    """The budget's second pass with its moves forced: one tuning turn, one halving, one seed bag."""

    def __init__(self, results, greater_is_better, **kw):
        super().__init__(results, greater_is_better, **kw)
        self.moves = ["tune", "halve", "seed"]
        self.last = results[0]

    def next(self, left):
        if not self.moves or left < 1.0:
            return None
        move = self.moves.pop(0)
        if move == "tune":
            return TuneTurn(self.last, min(4.0, left / 2), f"{self.last.label}#tuned1")
        if move == "halve":
            return slower(self.last)
        return ModelSpec(self.last.name, self.last.params, f"{self.last.label}~seed1")

    def done(self, fit):
        self.last = fit or self.last


def test_run_with_a_time_budget_as_typed_shows_the_tuning_turn_the_halving_and_the_seed_bag(
    tmp_path, monkeypatch
):
    """The user's path of issue 14: `compete run demo --time-budget ...` through the CLI, display on."""
    comps = tmp_path / "competitions" / "demo"
    comps.mkdir(parents=True)
    # first-pass trees that can hardly split, so the tuning turn's trials beat them and its fit joins
    spec = (REPO / "competitions" / "demo" / "competition.toml").read_text()
    spec += '\n[[models]]\nname = "lightgbm"\nparams = {min_child_samples = 1500, n_estimators = 60}\n'
    (comps / "competition.toml").write_text(spec)
    monkeypatch.setattr("compete.run.plan.SecondPass", Scripted)
    res = CliRunner().invoke(app, ["run", "demo", "--competitions", str(comps.parent), "--data-root",
                                   str(tmp_path / "data"), "--runs-dir", str(tmp_path / "runs"), "--folds", "3",
                                   "--device", "cpu", "--time-budget", "40", "-m", "budget as typed"])  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[-1].startswith("submission: ") and "cv auc" in lines[-1]
    assert "lightgbm#tuned1 tuned:" in res.output
    for label in ("lightgbm#tuned1 ", "lightgbm#tuned1@lr0.05", "lightgbm#tuned1@lr0.05~seed1"):
        assert label in res.output, label
    run_dir = next((tmp_path / "runs" / "demo").iterdir())
    scores = json.loads((run_dir / "scores.json").read_text())
    steps = [s.get("label", s["step"]) for s in scores["budget"]["steps"]]
    assert steps == ["lightgbm", "lightgbm#tuned1", "lightgbm#tuned1@lr0.05", "lightgbm#tuned1@lr0.05~seed1",
                     "refit"]  # fmt: skip
    assert "refit on all " in res.output
    assert "display_errors" not in scores
    listed = CliRunner().invoke(
        app, ["runs", "demo", "--runs-dir", str(tmp_path / "runs")], env={"COLUMNS": "200"}
    )
    assert listed.exit_code == 0 and "budget as typed" in listed.output
