"""One harness for the non-GBDT models and the bag/boost wrappers: shapes, clone, seeds, probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from compete.errors import DeviceError, ModelError, SpecError
from compete.models import MODELS, make_model
from compete.models.linear import column_kinds, to_float

LGB = {"n_estimators": 20, "n_jobs": 1, "num_leaves": 7, "min_child_samples": 5}
CASES = {
    "linear": {},
    "random_forest": {"n_estimators": 20, "n_jobs": 1},
    "extra_trees": {"n_estimators": 20, "n_jobs": 1},
    "bag": {"base": "lightgbm", "base_params": LGB, "n_bags": 3, "row_subsample": 0.8, "col_subsample": 0.8},
    "boost": {"base": "linear", "n_stages": 3, "learning_rate": 0.5},
}
TASKS = ("binary", "multiclass", "regression")
NO_DATES = {"bag"}  # GBDT bases take no datetime column: the fold loop expands dates into parts first


def make_frame(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Numeric (with NaN), categorical (with NaN), datetime and boolean columns, and a target per task."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    a_nan = np.where(rng.random(n) < 0.1, np.nan, a)
    cat = pd.Categorical(rng.choice(["x", "y", "z", None], size=n, p=[0.4, 0.3, 0.2, 0.1]))
    when = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, size=n), unit="D")
    X = pd.DataFrame({"a": a_nan, "b": b, "c": cat, "d": when, "e": rng.random(n) < 0.5})
    shift = (
        pd.Series(cat.astype(object)).map({"x": 1.0, "y": -1.0, "z": 0.0}).fillna(0.5).to_numpy(dtype=float)
    )
    z = a + 0.5 * b + shift
    ys = {"binary": (z > 0).astype(int), "multiclass": np.digitize(z, [-0.7, 0.7]), "regression": 3 * z + 1}
    return X, ys


def fitted(name: str, task: str, seed: int = 0):
    X, ys = make_frame()
    X = X.drop(columns="d") if name in NO_DATES else X
    tr, va = np.arange(180), np.arange(180, 240)
    model = make_model(name, task, CASES[name], random_state=seed)
    model.fit(X.iloc[tr], ys[task][tr], X.iloc[va], ys[task][va])
    return model, X, ys


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("name", list(CASES))
def test_model_harness(name: str, task: str) -> None:
    model, X, ys = fitted(name, task)
    test = X.iloc[180:].copy()
    test["c"] = pd.Categorical(["w"] * len(test))  # a level never seen in training
    out = model.predict_raw(test)
    assert model.supports_gpu is (name in ("bag", "boost")) and model.device_ == "cpu"
    if task == "multiclass":
        assert out.shape == (60, 3)
        np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-9)
        np.testing.assert_allclose(model.predict_proba(test).sum(axis=1), 1.0, atol=1e-9)
    else:
        assert out.shape == (60,)
    if task == "binary":
        assert ((out >= 0) & (out <= 1)).all()
    assert np.isfinite(out).all()
    pred = model.predict_raw(X.iloc[180:])
    y_va = ys[task][180:]
    if task == "regression":
        assert np.corrcoef(pred, y_va)[0, 1] > 0.6
    else:
        assert np.mean(model.predict(X.iloc[180:]) == y_va) > 0.6
    again = clone(model).fit(X.iloc[:180], ys[task][:180], X.iloc[180:], y_va)
    np.testing.assert_array_equal(again.predict_raw(test), out)  # same seed, same output


@pytest.mark.parametrize("name", ["random_forest", "extra_trees", "bag"])
def test_seed_changes_randomised_models(name: str) -> None:
    a, X, _ = fitted(name, "regression", seed=0)
    b, _, _ = fitted(name, "regression", seed=1)
    assert not np.allclose(a.predict_raw(X), b.predict_raw(X))


def test_multiclass_pads_a_class_missing_from_the_training_part() -> None:
    X, ys = make_frame()
    y = ys["multiclass"]
    keep = np.flatnonzero(y != 2)[:150]
    for name in CASES:
        Xn = X.drop(columns="d") if name in NO_DATES else X
        model = make_model(name, "multiclass", CASES[name]).fit(Xn.iloc[keep], y[keep], Xn.iloc[:60], y[:60])
        out = model.predict_raw(Xn.iloc[:10])
        assert out.shape == (10, 3), name
        np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-9)


def test_bag_averages_its_members_and_subsamples_columns() -> None:
    X, ys = make_frame()
    params = {"base": "linear", "n_bags": 4, "bootstrap": True, "col_subsample": 0.6}
    model = make_model("bag", "regression", params, random_state=3).fit(X, ys["regression"])
    assert len(model.members_) == 4 and all(len(cols) == 3 for cols, _ in model.members_)
    mean = np.mean([m.predict_raw(X[cols]) for cols, m in model.members_], axis=0)
    np.testing.assert_allclose(model.predict_raw(X), mean)


def test_boost_regression_fits_residuals_and_reduces_training_error() -> None:
    X, ys = make_frame()
    y = ys["regression"] + np.sin(3 * X["b"].to_numpy())
    params = {
        "base": ["linear", "random_forest"],
        "base_params": [{}, {"n_estimators": 30, "n_jobs": 1}],
        "n_stages": 2,
    }
    model = make_model("boost", "regression", params).fit(X, y)
    (w0, first), (w1, second) = model.stages_
    assert (w0, w1) == (1.0, 1.0)
    np.testing.assert_allclose(model.predict_raw(X), first.predict_raw(X) + second.predict_raw(X))
    assert np.sqrt(np.mean((model.predict_raw(X) - y) ** 2)) < np.sqrt(
        np.mean((first.predict_raw(X) - y) ** 2)
    )


def test_boost_classification_reweights_the_misclassified_rows() -> None:
    X, ys = make_frame()
    y = ys["binary"]
    flip = np.random.default_rng(0).random(len(y)) < 0.15
    y = np.where(flip, 1 - y, y)
    model = make_model("boost", "binary", {"base": "linear", "n_stages": 3}).fit(X, y)
    alphas = [a for a, _ in model.stages_]
    assert len(alphas) >= 2 and all(a > 0 for a in alphas)
    first, second = model.stages_[0][1], model.stages_[1][1]
    assert not np.allclose(first.predict_raw(X), second.predict_raw(X))  # stage 2 saw other weights


def test_wrapper_params_are_checked() -> None:
    X, ys = make_frame()
    with pytest.raises(ModelError, match=r"model 'bag': unknown parameter\(s\) \['bags'\]; allowed: base, "):
        make_model("bag", "binary", {"bags": 3}).fit(X, ys["binary"])
    with pytest.raises(SpecError, match=r"unknown model 'lgbm' in models.boost.base; known models: .*linear"):
        make_model("boost", "binary", {"base": "lgbm"}).fit(X, ys["binary"])
    with pytest.raises(ModelError, match=r"row_subsample = 1.5; use a fraction in \(0, 1\]"):
        make_model("bag", "binary", {"base": "linear", "row_subsample": 1.5}).fit(X, ys["binary"])
    with pytest.raises(DeviceError, match=r"model 'linear' has no GPU mode"):
        make_model("linear", "binary", device="gpu").fit(X, ys["binary"])


def test_column_kinds_and_datetimes_as_days() -> None:
    X, _ = make_frame(5)
    assert column_kinds(X) == (["a", "b", "d", "e"], ["c"])
    days = to_float(pd.DataFrame({"d": pd.to_datetime(["1970-01-02", None])}))
    assert days[0, 0] == 1.0 and np.isnan(days[1, 0])


def test_registered() -> None:
    """``import compete.models`` alone registers every model (a fresh interpreter: this file's own
    imports, or any other test's, cannot do the registering for it)."""
    import json
    import subprocess
    import sys

    code = "import json; from compete.models import MODELS; print(json.dumps(MODELS.names()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    fresh = json.loads(done.stdout.strip().splitlines()[-1])
    assert {
        "linear",
        "random_forest",
        "extra_trees",
        "bag",
        "boost",
        "lightgbm",
        "xgboost",
        "catboost",
    } <= set(fresh)
    assert fresh == MODELS.names()  # nothing registers a model only once some other module is imported


@pytest.mark.parametrize("name", ["random_forest", "extra_trees"])
def test_a_forest_under_a_time_limit_grows_its_trees_in_chunks_until_the_limit_is_spent(name):
    """A forest offered a slice of a time budget: with the slice spent at once it keeps its first chunk
    of trees (never none); with time to spare it grows them all. Its predictions are a forest's."""
    from compete.models.forest import CHUNK

    X = pd.DataFrame({"a": np.arange(300.0), "c": pd.Categorical(["x", "y", "z"] * 100)})
    y = (X.a > 150).astype(int).to_numpy()
    short = make_model(name, "binary", {"n_estimators": 3 * CHUNK, "n_jobs": 1}, time_limit=1e-9)
    whole = make_model(name, "binary", {"n_estimators": 3 * CHUNK, "n_jobs": 1}, time_limit=600.0)
    assert len(short.fit(X, y).model_[-1].estimators_) == CHUNK
    assert len(whole.fit(X, y).model_[-1].estimators_) == 3 * CHUNK
    assert short.predict(X.iloc[[0, 299]]).tolist() == [0, 1]
