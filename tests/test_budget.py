"""`run --time-budget`: the plan's behaviour (the wall-time target itself is measured in bench/)."""

from __future__ import annotations

import time

import pandas as pd

from compete.budget import Budget, SecondPass, seed_bag_plan, slower
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
    # the strongest boosted family goes first, at half the rate; linear (no rate, no seed) never comes back
    strongest = max((s for s in steps[:2]), key=lambda s: s["cv"])["step"]
    assert later[0] == f"{strongest}@lr0.05"
    assert any("~seed" in b for b in later) and not any(b.startswith("linear") for b in later)
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


def fit(name: str, label: str, score: float, seconds: float = 1.0, **params) -> ModelResult:
    return ModelResult(label=label, name=name, oof=None, test=None, score=score, fold_scores=[],
                       devices=[], best_iterations=[], seconds=seconds, params=params)  # fmt: skip


def test_second_pass_takes_the_best_fit_of_each_of_two_boosted_families():
    fits = [fit("lightgbm", "lightgbm", 0.80, learning_rate=0.1), fit("lightgbm", "lightgbm@lr0.05", 0.83, learning_rate=0.05),
            fit("xgboost", "xgboost", 0.82), fit("linear", "linear", 0.81)]  # fmt: skip
    assert [f.label for f in seed_bag_plan(fits, greater_is_better=True)] == ["lightgbm@lr0.05", "xgboost"]
    assert [f.label for f in seed_bag_plan(fits, greater_is_better=False)] == ["lightgbm", "xgboost"]
    half = slower(fits[1])
    assert (half.name, half.alias, half.params) == ("lightgbm", "lightgbm@lr0.025", {"learning_rate": 0.025})
    assert slower(fits[2]) is None and slower(fits[3]) is None  # no rate set / not a boosted tree


def test_second_pass_halves_while_it_pays_and_seed_bags_what_cannot_be_halved():
    """rmse (lower is better): catboost is strongest but too slow to halve in the time left."""
    cat, lgb = (
        fit("catboost", "catboost", 0.120, 40.0, learning_rate=0.1),
        fit("lightgbm", "lightgbm", 0.127, 2.0, learning_rate=0.1),
    )
    plan, left, steps = SecondPass([lgb, cat], greater_is_better=False), 60.0, []
    scores = {"lightgbm@lr0.05": 0.126, "lightgbm@lr0.025": 0.1265}  # the second halving does not pay
    while (spec := plan.next(left)) is not None:
        steps.append(spec.label)
        cost = 2 * (40.0 if spec.name == "catboost" else 2.0) * (1 if "~seed" in spec.label else 1)
        left -= cost / 2 if "~seed" in spec.label else cost
        plan.done(
            fit(
                spec.name,
                spec.label,
                scores.get(spec.label, 0.13),
                cost / 2 if "~seed" in spec.label else cost,
                **spec.params,
            )
        )
    assert steps[:4] == ["catboost~seed1", "lightgbm@lr0.05", "lightgbm@lr0.025", "lightgbm@lr0.05~seed1"]
    assert all(s.startswith("lightgbm@lr0.05~seed") for s in steps[4:]) and len(steps) == 7  # 4 seeds at most
