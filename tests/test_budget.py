"""`run --time-budget`: the plan's behaviour (the wall-time target itself is measured in bench/)."""

from __future__ import annotations

import time

import pandas as pd

from compete.budget import Budget
from compete.runner import RunOptions, run_competition

THREE = (
    '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 40}\n\n'
    '[[models]]\nname = "xgboost"\nparams = {n_estimators = 40}\n\n'
    '[[models]]\nname = "linear"\n'
)


def opts(comps, **kw) -> RunOptions:
    root = comps.parent
    return RunOptions("toy", comps, root / "data", None, root / "runs", device="cpu", **kw)


def with_models(comps, models: str):
    spec = comps / "toy" / "competition.toml"
    spec.write_text(spec.read_text().split("[[models]]")[0] + models)


def test_ample_budget_fits_every_model_then_seed_bags_the_strongest(competition):
    comps = competition()
    with_models(comps, THREE)
    res = run_competition(opts(comps, time_budget=120))
    steps = res.info["budget"]["steps"]
    assert [s["step"] for s in steps[:3]] == ["lightgbm", "xgboost", "linear"]
    assert all(s["status"] == "done" for s in steps)
    bags = [s["step"] for s in steps[3:]]
    assert bags and all("~seed" in b for b in bags)
    assert set(res.scores) == {s["step"] for s in steps}  # every fit is in the ensemble's pool
    assert res.scores["lightgbm"]["params"] == {"learning_rate": 0.1, "n_estimators": 40}  # the fast pass


def test_exhausted_budget_still_writes_a_valid_submission(competition):
    comps = competition()
    with_models(comps, THREE)
    # the clock started long ago: nothing is left, yet the first model must finish (a few rounds per fold)
    res = run_competition(opts(comps, time_budget=5, started=time.monotonic() - 60))
    steps = {s["step"]: s["status"] for s in res.info["budget"]["steps"]}
    assert steps["lightgbm"] == "done"
    assert steps["xgboost"] == steps["linear"] == "dropped: out of time"
    sub = pd.read_csv(res.submission)
    assert len(sub) == 120 and sub["y"].between(0, 1).all()


def test_first_pass_shares():
    b = Budget(100.0, start=time.monotonic())
    first = b.first_pass_deadline(3, first=True)
    later = b.first_pass_deadline(3, first=False)
    assert later < first <= b.end  # the first model may use what the others will not need
