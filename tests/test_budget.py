"""`run --time-budget`: the plan's behaviour (the wall-time target itself is measured in bench/)."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from compete.cv.foldloop import ModelResult
from compete.run.options import RunOptions
from compete.run.plan import Budget, SecondPass, TuneTurn, seed_bag_plan, slower
from compete.run.runner import run_competition

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


def test_ample_budget_fits_every_model_then_tunes_slows_and_seed_bags_the_strongest(competition, monkeypatch):
    comps = competition()
    # first-pass trees that can hardly split (~160 training rows a fold; the search space overrides both
    # settings), so a trial of the tuning turn beats its family's first fit however few a busy machine allows
    crude = (
        '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 40, min_child_samples = 150}\n\n'
        '[[models]]\nname = "xgboost"\nparams = {n_estimators = 40, min_child_weight = 50}\n\n'
        '[[models]]\nname = "linear"\n'
    )
    with_models(comps, crude)
    # the rule "a turn must cover 6 fits" is tested on its own below; here the plan's moves, whatever
    # the machine's speed (the fits take ~0.1 s on an idle machine, ~20x that on a busy one)
    monkeypatch.setattr("compete.run.plan.TUNE_MIN_FITS", 0)
    res = run_competition(opts(comps, time_budget=20))  # its wall time is measured in bench/, not here
    steps = res.info["budget"]["steps"]
    assert [s["step"] for s in steps[:3]] == ["lightgbm", "xgboost", "linear"]
    assert all(s["status"] in ("done", "no better fit") for s in steps)
    # the strongest boosted family is tuned first, for half the time left, at the first-pass rate
    strongest = max((s for s in steps[:2]), key=lambda s: s["cv"])["step"]
    turn = steps[3]
    assert turn["step"] == f"tune {strongest}" and turn["label"] == f"{strongest}#tuned1"
    assert turn["trials"] == turn["completed"] + turn["pruned"] + turn["failed"] and turn["pruned"] > 0
    later = [s.get("label", s["step"]) for s in steps[4:]]
    # after the first turn, LightGBM's other starting configurations and the forests the spec does not
    # name (each once, when the time left covers it)
    kinds = ["lightgbm-xt", "lightgbm-large", "extra_trees", "random_forest"]
    other = [b for b in later if b in kinds]
    assert later[: len(other)] == other == kinds[: len(other)]
    if other[:1] == ["lightgbm-xt"]:
        assert res.scores["lightgbm-xt"].params == {**res.scores["lightgbm"].params, "extra_trees": True}
    later = later[len(other) :]
    # linear (no rate, no search space) never comes back
    assert not any(b.startswith("linear") for b in later)
    assert steps[-1]["step"] == "refit"  # the final choice's fits, refitted on every row, come last
    # every fit, and the turns' next-best trials, in the pool; a turn's winner joins it too when the plan
    # judged it no better than its family's fit (its ladder stops there, its predictions may still blend)
    fits = {
        s.get("label", s["step"])
        for s in steps[:-1]
        if s["status"] == "done" or s.get("picked_cv") is not None
    }
    library = [label for s in steps for label in s.get("library", [])]
    assert set(res.scores) == fits | set(library)
    assert library[:1] == [f"{strongest}#tuned1.t2"] and len(turn["library"]) <= 3  # the winner is t1
    # the winner hands on the CV of choosing it cross-fitted (each fold predicted by the trial best on the
    # other folds), not the best trial's own: that is the best of many on the same folds
    assert res.scores[turn["label"]].cv == pytest.approx(turn["picked_cv"])
    # and the turn is "done" (its family's ladder goes on from it) only when that CV beats the first fit's
    assert (turn["status"] == "done") == (turn["picked_cv"] > res.scores[strongest].cv)
    assert res.scores["lightgbm"].params == {
        "learning_rate": 0.1,
        "n_estimators": 40,
        "min_child_samples": 150,
    }
    # the tuned fit (at the fast rate) beats the crude first pass; its ladder then starts at half the rate
    assert turn["status"] == "done", turn
    tuned = res.scores[turn["label"]]
    assert tuned.params["learning_rate"] == 0.1 and tuned.params["n_estimators"] == 40
    drawn = {"lightgbm": "min_child_samples", "xgboost": "min_child_weight"}[strongest]
    assert tuned.params[drawn] != res.scores[strongest].params[drawn]  # drawn from the search space
    # its next fit builds on it: at half the rate, or (when a busy machine left too little time for that)
    # another seed of it; the ladder's own rules are tested with fixed costs below
    assert later[0] in (f"{turn['label']}@lr0.05", f"{turn['label']}~seed1")
    assert res.scores[later[0]].params == {
        **tuned.params,
        "learning_rate": 0.05 if "@" in later[0] else 0.1,
    }


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


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_first_pass_shares():
    clock = Clock()
    b = Budget(100.0, clock=clock)
    assert b.end == 592.0 and b.left() == 92.0  # 8% is kept for the ensemble and the writing
    first = b.first_pass_deadline(3, first=True)
    later = b.first_pass_deadline(3, first=False)
    assert later < first <= b.end  # the first model may use what the others will not need
    assert first == pytest.approx(592.0 - 2 * 92.0 * 0.6 / 3) and later == pytest.approx(
        500.0 + 92.0 * 0.6 / 3
    )
    clock.now += 80.0  # a slow first model: each later one gets its share of what is left
    assert b.left() == 12.0 and b.first_pass_deadline(2, first=False) == pytest.approx(580.0 + 12.0 * 0.6 / 2)
    clock.now += 20.0
    assert b.left() < 0 and b.first_pass_deadline(1, first=False) < clock.now  # its folds cannot start
    b.record("xgboost", 1.0, "dropped: out of time")
    assert b.summary() == {"seconds": 100.0, "spent": 100.0, "fit_seconds": 0.0, "critical_path": 0.0, "steps": [
        {"step": "xgboost", "seconds": 1.0, "status": "dropped: out of time"}]}  # fmt: skip


def test_a_small_budget_has_the_minimum_reserve():
    b = Budget(10.0, clock=Clock())
    assert b.left() == 7.0  # 8% of 10 s is under the 3 s minimum


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
    """rmse (lower is better): catboost is strongest but too slow to tune or halve in the time left."""
    cat, lgb = (
        fit("catboost", "catboost", 0.120, 40.0, learning_rate=0.1),
        fit("lightgbm", "lightgbm", 0.127, 2.0, learning_rate=0.1),
    )
    plan, left, steps = SecondPass([lgb, cat], greater_is_better=False), 120.0, []
    scores = {"lightgbm@lr0.05": 0.126, "lightgbm@lr0.025": 0.1265}  # the second halving does not pay
    while (move := plan.next(left)) is not None:
        if isinstance(move, TuneTurn):  # lightgbm's turn finds nothing better than its first fit
            steps.append(f"tune {move.base.label}")
            left -= move.seconds
            plan.done(None)
            continue
        steps.append(move.label)
        seconds = 40.0 if move.name == "catboost" else 2.0
        seconds *= 1 if "~seed" in move.label else 2  # a halving takes twice its parent's time
        left -= seconds
        plan.done(fit(move.name, move.label, scores.get(move.label, 0.13), seconds, **move.params))
    assert steps[:5] == ["tune lightgbm", "catboost~seed1", "lightgbm@lr0.05", "lightgbm@lr0.025",
                         "lightgbm@lr0.05~seed1"]  # fmt: skip
    assert all(s.startswith("lightgbm@lr0.05~seed") for s in steps[5:]) and len(steps) == 8  # 4 seeds at most


def test_second_pass_tunes_the_strongest_first_and_a_better_tuned_fit_restarts_its_ladder():
    """auc: lightgbm is strongest; its tuning turn finds a better fit, whose ladder starts over."""
    lgb, xgb = (
        fit("lightgbm", "lightgbm", 0.90, 1.0, learning_rate=0.1),
        fit("xgboost", "xgboost", 0.88, 1.0, learning_rate=0.1),
    )
    plan = SecondPass([xgb, lgb], greater_is_better=True)
    turn = plan.next(100.0)
    assert isinstance(turn, TuneTurn) and (turn.base, turn.alias, turn.seconds) == (
        lgb,
        "lightgbm#tuned1",
        50.0,
    )
    tuned = fit("lightgbm", "lightgbm#tuned1", 0.92, 1.5, learning_rate=0.1, num_leaves=12)
    assert plan.done(tuned) is True  # the turn's status is "done"
    half = plan.next(50.0)
    assert half.label == "lightgbm#tuned1@lr0.05" and half.params == {"learning_rate": 0.05, "num_leaves": 12}
    assert (
        plan.done(fit("lightgbm", half.label, 0.91, 3.0, **half.params)) is False
    )  # worse than the fit it halved: stop
    moves = []
    while (move := plan.next(40.0)) is not None and len(moves) < 20:
        moves.append(move.alias if isinstance(move, TuneTurn) else move.label)
        plan.done(None)  # dropped fits, turns that find nothing better
    # xgboost's ladder, then seeds of each family's best (lightgbm's: the tuned fit), then xgboost's
    # tuning turn; lightgbm is tuned again too, and a turn that finds nothing ends its family's tuning
    assert moves[0] == "xgboost@lr0.05"
    assert "lightgbm#tuned1~seed1" in moves and "xgboost~seed1" in moves
    assert moves[-2:] == ["xgboost#tuned1", "lightgbm#tuned2"] or moves[-2:] == [
        "lightgbm#tuned2",
        "xgboost#tuned1",
    ]
    assert plan.next(1000.0) is None


def test_the_first_tuning_turn_goes_to_the_strongest_family_fast_enough_to_tune():
    slow = fit("catboost", "catboost", 0.9, 20.0, learning_rate=0.1)
    fast = fit("xgboost", "xgboost", 0.8, 1.0, learning_rate=0.1)
    alone = SecondPass([slow], greater_is_better=True)
    move = alone.next(100.0)  # half of 100 s is 2.5 fits of 20 s: the ladder instead
    assert not isinstance(move, TuneTurn) and move.label == "catboost@lr0.05"
    both = SecondPass([slow, fast], greater_is_better=True)
    turn = both.next(100.0)
    assert isinstance(turn, TuneTurn) and turn.base is fast
    both.done(None)
    assert both.next(100.0).label == "catboost@lr0.05"  # then the ladder, strongest first


def test_second_pass_offers_each_diversity_model_once_first_when_the_time_left_covers_it():
    from compete.spec import ModelSpec

    lgb = fit("lightgbm", "lightgbm", 0.80, seconds=10.0, learning_rate=0.1)
    linear = ModelSpec("linear", {"numeric": "power"}, "linear")
    plan = SecondPass([lgb], greater_is_better=True, diversity=(linear,))
    assert plan.next(left=100.0) is linear  # 100 s cover twice the fastest first-pass fit (10 s)
    plan.done(None)
    assert plan.next(left=100.0).label == "lightgbm@lr0.05"  # then the families' moves, as without it
    short = SecondPass([lgb], greater_is_better=True, diversity=(linear,))
    assert short.next(left=15.0) is not linear  # 15 s do not: it is not offered, now or later
    assert linear not in [short.next(left=500.0) for _ in range(3)]


def test_the_forests_come_after_the_first_tuning_turn_each_with_a_share_of_the_time_left():
    from compete.run.plan import DIVERSITY_SHARE, TuneTurn
    from compete.spec import ModelSpec

    lgb = fit("lightgbm", "lightgbm", 0.80, seconds=1.0, learning_rate=0.1)
    linear, trees = ModelSpec("linear", {"numeric": "power"}, "linear"), ModelSpec("extra_trees")
    plan = SecondPass([lgb], greater_is_better=True, diversity=(linear,), late=(trees,))
    assert plan.next(left=100.0) is linear and plan.share == DIVERSITY_SHARE
    plan.done(None)
    assert isinstance(plan.next(left=100.0), TuneTurn) and plan.share == 1.0  # the strongest family's turn
    plan.done(None)
    assert plan.next(left=50.0) is trees and plan.share == DIVERSITY_SHARE  # then the forests
    assert plan.finish  # that stop at their deadline: every fold is kept
    plan.done(None)
    assert plan.next(left=50.0).label == "lightgbm@lr0.05" and plan.share == 1.0 and not plan.finish
