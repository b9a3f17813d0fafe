"""`run --time-budget`: the plan's behaviour (the wall-time target itself is measured in bench/)."""

from __future__ import annotations

import time

import pandas as pd

from compete.budget import Budget, seed_bag_plan, slower
from compete.foldloop import ModelResult
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


def test_ample_budget_fits_every_model_then_slows_and_seed_bags_the_strongest(competition):
    comps = competition()
    with_models(comps, THREE)
    res = run_competition(opts(comps, time_budget=120))
    steps = res.info["budget"]["steps"]
    assert [s["step"] for s in steps[:3]] == ["lightgbm", "xgboost", "linear"]
    assert all(s["status"] == "done" for s in steps)
    later = [s["step"] for s in steps[3:]]
    slow = [b for b in later if "~seed" not in b]
    # the two boosted families are refitted at half the rate before any seed bag; linear has no rate
    assert {b.split("@")[0] for b in slow} == {"lightgbm", "xgboost"} and all(
        "@lr0.05" in b or "@lr0.025" in b for b in slow
    )
    assert later[: len(slow)] == slow and any("~seed" in b for b in later)
    assert res.scores["lightgbm@lr0.05"]["params"] == {"learning_rate": 0.05, "n_estimators": 40}
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


def fit(name: str, label: str, score: float, **params) -> ModelResult:
    return ModelResult(label=label, name=name, oof=None, test=None, score=score, fold_scores=[],
                       devices=[], best_iterations=[], seconds=1.0, params=params)  # fmt: skip


def test_second_pass_plan_takes_the_best_fit_of_each_of_two_families():
    fits = [fit("lightgbm", "lightgbm", 0.80, learning_rate=0.1), fit("lightgbm", "lightgbm@lr0.05", 0.83, learning_rate=0.05),
            fit("xgboost", "xgboost", 0.82), fit("linear", "linear", 0.81)]  # fmt: skip
    assert [f.label for f in seed_bag_plan(fits, greater_is_better=True)] == ["lightgbm@lr0.05", "xgboost"]
    assert [f.label for f in seed_bag_plan(fits, greater_is_better=False)] == ["lightgbm", "linear"]
    half = slower(fits[1])
    assert (half.name, half.alias, half.params) == ("lightgbm", "lightgbm@lr0.025", {"learning_rate": 0.025})
    assert slower(fits[2]) is None and slower(fits[3]) is None  # no rate set / not a boosted tree
