"""Ensembles over OOF predictions: conformance of every method, honesty of the learned ones, input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold

import compete.models.linear  # noqa: F401  (registration until compete.models imports it)
from compete.ensemble import ENSEMBLES, combine
from compete.ensemble.base import cross_fit, restrict_folds
from compete.ensemble.stacking import StackingEnsemble
from compete.errors import ModelError, SpecError
from compete.scoring.metrics import get_metric

TASKS = {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def make_level1(task: str, n: int = 300, n_test: int = 120, seed: int = 0, models: int = 3, k: int = 5):
    """Targets and OOF/test predictions of ``models`` noisy models of decreasing quality."""
    rng = np.random.default_rng(seed)
    total = n + n_test
    if task == "regression":
        signal = rng.normal(size=total)
        y = 10 + signal + 0.3 * rng.normal(size=total)
        preds = [10 + signal + (0.3 + 0.3 * m) * rng.normal(size=total) for m in range(models)]
    elif task == "binary":
        signal = rng.normal(size=total)
        y = (signal + rng.normal(size=total) > 0).astype(int)
        preds = [
            1 / (1 + np.exp(-(signal + (0.5 + 0.5 * m) * rng.normal(size=total)))) for m in range(models)
        ]
    else:
        signal = rng.normal(size=(total, 3))
        y = (signal + rng.normal(size=(total, 3))).argmax(axis=1)
        preds = [
            _softmax(2 * (signal + (0.5 + 0.5 * m) * rng.normal(size=(total, 3)))) for m in range(models)
        ]
    labels = [f"m{m}" for m in range(models)]
    oof = {k: p[:n] for k, p in zip(labels, preds)}
    test = {k: p[n:] for k, p in zip(labels, preds)}
    folds = list(KFold(k, shuffle=True, random_state=seed).split(np.arange(n)))
    return oof, test, y[:n], folds


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("method", ENSEMBLES.names())
def test_every_method_every_task(method: str, task: str) -> None:
    oof, test, y, folds = make_level1(task)
    metric = get_metric(TASKS[task])
    res = combine(method, oof, test, y, task=task, metric=metric, folds=folds, seed=1)
    assert res.oof.shape == oof["m0"].shape and res.test.shape == test["m0"].shape
    assert np.isfinite(res.oof).all() and np.isfinite(res.test).all()
    assert res.score == pytest.approx(metric.score(y, res.oof))
    assert set(res.info["single_scores"]) == set(oof)
    if task == "multiclass":
        np.testing.assert_allclose(res.oof.sum(axis=1), 1.0, atol=1e-9)
        np.testing.assert_allclose(res.test.sum(axis=1), 1.0, atol=1e-9)
    if task == "binary":
        assert ((res.test >= 0) & (res.test <= 1)).all()
    if res.weights is not None:
        assert sum(res.weights.values()) == pytest.approx(1.0) and set(res.weights) == set(oof)
    again = combine(method, oof, test, y, task=task, metric=metric, folds=folds, seed=1)
    np.testing.assert_array_equal(again.test, res.test)


def test_stacking_reports_the_meta_models_oof_score_not_its_training_fit() -> None:
    oof, test, y, folds = make_level1("binary", n=400, seed=3)
    rng = np.random.default_rng(3)
    noise = pd.DataFrame(rng.normal(size=(520, 20)), columns=[f"x{j}" for j in range(20)])
    X, X_test = noise.iloc[:400].reset_index(drop=True), noise.iloc[400:].reset_index(drop=True)
    metric = get_metric("auc")
    params = {
        "meta": "lightgbm",
        "meta_params": {"n_estimators": 150, "num_leaves": 15, "min_child_samples": 5},
    }
    res = combine(
        "stacking", oof, test, y, task="binary", metric=metric, folds=folds, params=params, X=X, X_test=X_test
    )

    def make() -> StackingEnsemble:
        return StackingEnsemble(task="binary", metric=metric, params=params, random_state=0)

    honest, _ = cross_fit(make, oof, y, folds, X)
    assert res.score == pytest.approx(metric.score(y, honest))
    leaky_fit = make().fit(oof, y, X)
    leaky = metric.score(y, leaky_fit.predict(oof, X))
    assert leaky == pytest.approx(res.info["fit_score"])
    assert leaky > res.score + 0.02  # the in-sample fit flatters; the reported score is not it


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("task", "metric_name"), [
    ("binary", "auc"), ("binary", "logloss"), ("binary", "accuracy"),
    ("multiclass", "logloss"), ("regression", "rmse"), ("regression", "mae"),
])  # fmt: skip
def test_hill_climb_never_worse_than_best_single_on_oof(task: str, metric_name: str, seed: int) -> None:
    oof, test, y, folds = make_level1(task, seed=seed, models=4)
    metric = get_metric(metric_name)
    res = combine("hill_climb", oof, test, y, task=task, metric=metric, folds=folds, params={"n_iter": 25})
    best = max(res.info["single_scores"].values(), key=lambda s: metric.sign * s)
    assert metric.sign * (res.info["fit_score"] - best) >= 0
    assert res.info["path"][0][1] == pytest.approx(best)


def test_hill_climb_honest_score_uses_weights_from_the_other_folds() -> None:
    oof, test, y, folds = make_level1("regression", models=4)
    res = combine("hill_climb", oof, test, y, task="regression", metric=get_metric("rmse"), folds=folds)
    for (_, va), w in zip(folds, res.info["fold_weights"]):
        blend = sum(w[k] * oof[k][va] for k in oof)
        np.testing.assert_allclose(res.oof[va], blend)
    final = sum(res.weights[k] * test[k] for k in test)
    np.testing.assert_allclose(res.test, final)
    assert res.score >= res.info["fit_score"]  # rmse: the cross-fitted score is not flattered


def test_bagged_hill_climb_spreads_the_weight_over_the_fits_the_bags_keep_choosing() -> None:
    # eight copies of one model with their own noise, on 150 rows: one greedy pass takes the few that
    # suit these rows; bootstrap bags of the rows each pick a different few, and their mean spreads out
    oof, test, y, folds = make_level1("binary", n=150, seed=4, models=1)
    rng = np.random.default_rng(4)
    base = np.log(oof["m0"] / (1 - oof["m0"]))
    base_test = np.log(test["m0"] / (1 - test["m0"]))
    oof = {f"c{i}": 1 / (1 + np.exp(-(base + 0.7 * rng.normal(size=150)))) for i in range(8)}
    test = {f"c{i}": 1 / (1 + np.exp(-(base_test + 0.7 * rng.normal(size=120)))) for i in range(8)}
    metric = get_metric("logloss")

    def run(**params):
        return combine(
            "hill_climb", oof, test, y, task="binary", metric=metric, folds=folds, seed=3, params=params
        )

    one, bagged = run(), run(bags=20)
    used = lambda res: sum(w > 0 for w in res.weights.values())  # noqa: E731
    assert used(bagged) > used(one)
    assert sum(bagged.weights.values()) == pytest.approx(1.0)
    np.testing.assert_allclose(bagged.test, sum(bagged.weights[k] * test[k] for k in test))
    for (_, va), w in zip(folds, bagged.info["fold_weights"]):  # still cross-fitted for its score
        np.testing.assert_allclose(bagged.oof[va], sum(w[k] * oof[k][va] for k in oof))
    np.testing.assert_array_equal(run(bags=20).test, bagged.test)  # the seed fixes the bags
    assert run(bags=20).weights == bagged.weights


def test_time_series_rows_never_validated_are_left_out() -> None:
    oof, test, y, _ = make_level1("regression", n=300)
    blocks = np.array_split(np.arange(300), 4)
    folds = [(np.concatenate(blocks[: k + 1]), blocks[k + 1]) for k in range(3)]
    oof = {k: v.copy() for k, v in oof.items()}
    for v in oof.values():
        v[blocks[0]] = np.nan
    metric = get_metric("rmse")
    for method in ENSEMBLES.names():
        if method == "geometric":
            continue
        res = combine(method, oof, test, y, task="regression", metric=metric, folds=folds)
        assert np.isnan(res.oof[blocks[0]]).all()
        scored = ~np.isnan(res.oof)
        assert res.score == pytest.approx(metric.score(y[scored], res.oof[scored]))
        if ENSEMBLES.get(method).learns:  # fold 0 trains only on never-validated rows: skipped
            assert np.isnan(res.oof[blocks[1]]).all() and res.info["folds_used"] == 2


def test_restrict_folds_maps_positions_and_drops_empty_folds() -> None:
    folds = [(np.array([0, 1]), np.array([2, 3])), (np.array([0, 1, 2, 3]), np.array([4, 5]))]
    out = restrict_folds(folds, np.array([2, 3, 4, 5]))
    assert len(out) == 1
    np.testing.assert_array_equal(out[0][0], [0, 1])
    np.testing.assert_array_equal(out[0][1], [2, 3])


@pytest.mark.parametrize("task", list(TASKS))
def test_stacking_level_three_runs_and_is_scored_out_of_fold(task: str) -> None:
    oof, test, y, folds = make_level1(task, n=200, k=3)
    metric = get_metric(TASKS[task])
    params = {"levels": 3, "level2_params": {"lightgbm": {"n_estimators": 20}}}
    res = combine("stacking", oof, test, y, task=task, metric=metric, folds=folds, params=params)
    assert res.info["level2"] == ["linear", "lightgbm"] and res.test.shape == test["m0"].shape
    assert res.score == pytest.approx(metric.score(y, res.oof))
    assert metric.sign * (res.info["fit_score"] - res.score) > 0


def test_rank_keeps_the_order_of_the_rank_average() -> None:
    from scipy.stats import rankdata

    oof, test, y, folds = make_level1("binary")
    res = combine("rank", oof, test, y, task="binary", metric=get_metric("auc"), folds=folds)
    ranks = sum(rankdata(v) for v in oof.values())
    assert get_metric("auc").score(y, res.oof) == pytest.approx(get_metric("auc").score(y, ranks))


def test_geometric_refuses_non_positive_regression_values() -> None:
    oof, test, y, folds = make_level1("regression")
    oof["m0"] = oof["m0"] - 100
    with pytest.raises(ModelError, match=r"geometric.*\['m0'\].*<= 0"):
        combine("geometric", oof, test, y, task="regression", metric=get_metric("rmse"), folds=folds)


def _call(oof, test, y, folds, method="mean", task="binary", **kw):
    return combine(method, oof, test, y, task=task, metric=get_metric("auc"), folds=folds, **kw)


def test_mismatched_inputs_give_clear_errors() -> None:
    oof, test, y, folds = make_level1("binary")
    with pytest.raises(SpecError, match=r"unknown ensemble 'blend'.*hill_climb, mean, rank, stacking"):
        _call(oof, test, y, folds, method="blend")
    with pytest.raises(ModelError, match=r"missing from test: \['m2'\]"):
        _call(oof, {k: v for k, v in test.items() if k != "m2"}, y, folds)
    with pytest.raises(ModelError, match=r"model 'm1' have 299 rows, but there are 300 targets"):
        _call({**oof, "m1": oof["m1"][:-1]}, test, y, folds)
    with pytest.raises(ModelError, match=r"test predictions of model 'm1' have 119 rows"):
        _call(oof, {**test, "m1": test["m1"][:-1]}, y, folds)
    with pytest.raises(ModelError, match=r"shape \(300, 2\); a binary task needs a 1-D array"):
        _call({**oof, "m0": np.column_stack([oof["m0"], oof["m0"]])}, test, y, folds)
    with pytest.raises(ModelError, match=r"fold 0 holds row 400, outside the 300 OOF rows"):
        _call(oof, test, y, [(np.array([0, 400]), np.array([1]))])
    with pytest.raises(
        ModelError, match=r"unknown parameter\(s\) \['n_iters'\]; allowed: bags, n_iter, tolerance"
    ):
        _call(oof, test, y, folds, method="hill_climb", params={"n_iters": 3})
    with pytest.raises(ModelError, match=r"test predictions of model 'm0' contain NaN"):
        _call(oof, {**test, "m0": np.full(120, np.nan)}, y, folds)
    with pytest.raises(ModelError, match=r"features = true needs the original features; pass X and X_test"):
        _call(oof, test, y, folds, method="stacking", params={"features": True})
    with pytest.raises(ModelError, match=r"pass both X and X_test"):
        _call(oof, test, y, folds, method="stacking", X=pd.DataFrame({"a": np.ones(300)}))


def test_a_hill_climbing_blend_pickled_by_an_older_compete_still_predicts() -> None:
    oof, test, y, _ = make_level1("regression", models=3)
    ens = ENSEMBLES.get("hill_climb")(task="regression", metric=get_metric("rmse")).fit(oof, y)
    state = ens.__getstate__()
    counts = {k: round(w * 12) for k, w in ens.weights().items()}  # what an older run kept instead
    old = {**{k: v for k, v in state.items() if k != "weights_"}, "counts_": counts}
    revived = type(ens).__new__(type(ens))
    revived.__setstate__(old)  # what unpickling the older run's predictor.joblib does
    total = sum(counts.values())
    np.testing.assert_allclose(revived.predict(test), sum(counts[k] / total * test[k] for k in test))
    assert not hasattr(revived, "counts_")
