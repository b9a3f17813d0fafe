"""The final choice resists noise: the ensemble (honest, cross-fitted CV) is submitted unless the best
single fit beats it by more than the fold-to-fold noise."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from compete.cv.foldloop import FoldContext, ModelResult, score_oof
from compete.cv.noise import gain
from compete.run.final import SMALL_BAGS, blend_params, choose_final
from compete.run.recheck import SMALL_ROWS
from compete.scoring.metrics import get_metric
from compete.spec import CVSpec, StepSpec

N = 400
rng = np.random.default_rng(0)
Y = (rng.random(N) < 0.5).astype(int)
ROWS = np.arange(N)
FOLDS = [(ROWS[ROWS % 5 != k], ROWS[ROWS % 5 == k]) for k in range(5)]


def _prep() -> SimpleNamespace:
    ctx = FoldContext(None, Y, None, FOLDS, "binary", get_metric("auc"), 0)
    return SimpleNamespace(
        ctx=ctx,
        # a time split has one split only: no repeated k-fold check here (tested below on a real table)
        spec=SimpleNamespace(ensemble=StepSpec("mean"), cv=CVSpec("time")),
        codec=SimpleNamespace(metric=ctx.metric),
    )


def _fit(label: str, oof: np.ndarray, ctx: FoldContext) -> ModelResult:
    return ModelResult(label, "lightgbm", oof, np.zeros(3), [], score_oof(ctx, oof), [], [], 1.0)


def test_a_single_fits_edge_within_the_noise_submits_the_ensemble_and_a_real_edge_the_single() -> None:
    prep = _prep()
    g = np.random.default_rng(5)
    signal = Y + g.normal(0, 0.9, N)
    lucky = signal + g.normal(0, 0.3, N)  # scores highest, but its edge over the ensemble is fold noise
    others = [signal + g.normal(0, 0.6, N) for _ in range(2)]
    results = [_fit("lucky", lucky, prep.ctx)] + [_fit(f"m{i}", o, prep.ctx) for i, o in enumerate(others)]
    final = choose_final(prep, results)
    ens = final.info["ensemble"]
    assert results[0].score > ens["score"] and 0 < ens["single_edge"]["gain"] <= ens["single_edge"]["noise"]
    assert final.label == "ensemble:mean" and ens["chosen"]

    sharp = Y + rng.normal(0, 0.1, N)  # far better on every fold than anything it is averaged with
    results = [_fit("sharp", sharp, prep.ctx)] + [_fit(f"weak{i}", rng.random(N), prep.ctx) for i in range(2)]
    final = choose_final(prep, results)
    assert final.label == "sharp" and not final.info["ensemble"]["chosen"]
    edge = final.info["ensemble"]["single_edge"]
    assert edge["gain"] > edge["noise"] > 0
    assert gain(prep.ctx, sharp, rng.random(N)).real


def _toy_prep(comps):
    from compete.run.options import RunOptions
    from compete.run.runner import prepare_for_run

    return prepare_for_run(RunOptions("toy", comps, comps.parent / "data", None, comps.parent / "runs"))


def test_on_a_small_table_a_lucky_single_fits_edge_is_checked_on_other_fold_splits(competition) -> None:
    """The winner's curse: a fit whose OOF predictions happen to be excellent on the run's folds (here
    made so) but whose parameters are weak loses its edge when it is fitted again on other splits of
    the same rows, and the ensemble is submitted."""
    from compete.cv.foldloop import cross_fit
    from compete.spec import ModelSpec

    prep = _toy_prep(competition())
    ctx = prep.ctx
    members = [cross_fit(ctx, ModelSpec("lightgbm", {"n_estimators": 40}, f"lgb{i}")) for i in range(2)]
    weak = {"n_estimators": 2, "num_leaves": 2, "learning_rate": 0.01}
    lucky = cross_fit(ctx, ModelSpec("lightgbm", weak, "lucky"))
    lucky.oof = ctx.y * 0.6 + 0.2 + np.random.default_rng(1).normal(0, 0.05, len(ctx.y))  # a lucky draw
    lucky.score = score_oof(ctx, lucky.oof)
    step = StepSpec("mean", {"weights": {"lgb0": 1.0, "lgb1": 1.0}})  # the ensemble: the two members
    final = choose_final(prep, [lucky, *members], step)
    ens = final.info["ensemble"]
    assert ens["single_edge"]["gain"] > ens["single_edge"]["noise"]  # on the run's folds it looks real
    again = ens["repeated"]
    assert again["splits"] == 3 and again["single"] == "lucky" and again["fits"] > 0
    assert not again["gain"] > again["noise"]
    assert ens["chosen"] and final.label == "ensemble:mean"


def test_a_real_edge_holds_on_other_splits_and_big_tables_or_time_splits_are_not_rechecked(competition,
                                                                                            monkeypatch) -> None:  # fmt: skip
    from compete.cv.foldloop import cross_fit
    from compete.run import recheck
    from compete.spec import ModelSpec

    prep = _toy_prep(competition())
    ctx = prep.ctx
    strong = cross_fit(ctx, ModelSpec("lightgbm", {"n_estimators": 60}, "strong"))
    weak = cross_fit(ctx, ModelSpec("lightgbm", {"n_estimators": 2, "num_leaves": 2}, "weak"))
    info = recheck.recheck_edge(prep, [strong, weak], strong, weak.oof, "hill_climb", {"weak": 1.0})
    assert info is not None and info["gain"] > info["noise"] > 0
    assert recheck.as_gain(info).real
    # a meta-model is no weighted mean of members that could be refitted alone
    assert recheck.recheck_edge(prep, [strong, weak], strong, weak.oof, "stacking", None) is None
    # no time for it: skipped, and said
    said = []
    assert recheck.recheck_edge(prep, [strong, weak], strong, weak.oof, "hill_climb", {"weak": 1.0},
                                left=lambda: 0.0, report=said.append) is None  # fmt: skip
    assert "skipped" in said[0].text
    monkeypatch.setattr(recheck, "SMALL_ROWS", 100)
    assert recheck.recheck_edge(prep, [strong, weak], strong, weak.oof, "hill_climb", {"weak": 1.0}) is None


def test_the_run_says_the_edge_on_the_run_folds_and_over_the_repeated_splits(tmp_path) -> None:
    import io
    from pathlib import Path

    from rich.console import Console

    from compete.commands.output import print_run
    from compete.run.result import ModelScore, RunResult

    score = ModelScore(0.85, 0.01, [0.85], ["cpu"], [10], 0.1, {})
    ens = {"method": "hill_climb", "score": 0.84, "weights": {"a": 1.0}, "chosen": True,
           "single_edge": {"gain": 0.0056, "noise": 0.0050},
           "repeated": {"gain": 0.0012, "noise": 0.0061, "single": "a", "splits": 3}}  # fmt: skip
    result = RunResult("r", Path("."), SimpleNamespace(name="toy"), "accuracy", True, {"a": score},
                       "ensemble:hill_climb", 0.84, Path("s.csv"), 1.0, info={"ensemble": ens})  # fmt: skip
    out = io.StringIO()
    print_run(Console(file=out, width=300), result)
    said = " ".join(out.getvalue().split())
    assert ("the best single fit's cv edge over the ensemble, 0.00560, is beyond the fold noise (0.00500); over 3 "
            "fold splits (repeated k-fold) it is +0.00120 against 0.00610: the ensemble is submitted") in said  # fmt: skip


def test_the_cross_fitted_pick_of_many_noise_fits_scores_chance_where_the_best_ones_own_cv_does_not() -> None:
    from compete.cv.pick import picked_oof

    ctx = _prep().ctx
    noise = [np.random.default_rng(seed).random(N) for seed in range(200)]  # no fit knows anything of Y
    best = max(noise, key=lambda p: score_oof(ctx, p))
    lucky, picked = score_oof(ctx, best), score_oof(ctx, picked_oof(ctx, noise))
    assert lucky > 0.56  # the best of 200 guesses looks like a model on 400 rows
    assert abs(picked - 0.5) < 0.04 and picked < lucky - 0.04  # choosing by CV, scored honestly: chance
    # each fold's rows come whole from one fit: the one ranked first (or second) on the other folds
    for rank in (0, 1):
        oof = picked_oof(ctx, noise, rank=rank)
        for k, (_, va) in enumerate(FOLDS):
            others = [j for j in range(5) if j != k]
            order = sorted(range(200), key=lambda i: -np.mean([ctx.metric.score(Y[FOLDS[j][1]],
                           noise[i][FOLDS[j][1]]) for j in others]))  # fmt: skip
            assert np.array_equal(oof[va], noise[order[rank]][va])


def test_the_cross_fitted_pick_keeps_multiclass_probabilities_whole() -> None:
    from compete.cv.pick import picked_oof

    y = np.arange(N) % 3
    ctx = FoldContext(None, y, None, FOLDS, "multiclass", get_metric("logloss"), 0)
    sharp, flat = np.eye(3)[y] * 0.8 + 0.2 / 3, np.full((N, 3), 1 / 3)
    oof = picked_oof(ctx, [flat, sharp])
    assert oof.shape == (N, 3) and np.array_equal(oof, sharp)
    assert np.array_equal(picked_oof(ctx, [flat, sharp], rank=1), flat)


def test_hill_climbing_is_bagged_on_a_small_table_unless_the_spec_sets_bags() -> None:
    prep = _prep()
    g = np.random.default_rng(8)
    signal = Y + g.normal(0, 0.9, N)
    results = [_fit(f"m{i}", signal + g.normal(0, 0.5, N), prep.ctx) for i in range(4)]
    bagged = choose_final(prep, results, StepSpec("hill_climb")).info["ensemble"]
    assert bagged["bags"] == SMALL_BAGS and sum(bagged["weights"].values()) == pytest.approx(1.0)
    once = choose_final(prep, results, StepSpec("hill_climb", {"bags": 1})).info["ensemble"]
    assert once["bags"] == 1 and once["weights"] != bagged["weights"]
    assert "bags" not in blend_params(StepSpec("hill_climb"), SMALL_ROWS + 1)
