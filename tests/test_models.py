"""One conformance harness for every registered model."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from compete.errors import DeviceError
from compete.models import MODELS, make_model

rng = np.random.default_rng(0)
N = 300
X = pd.DataFrame({
    "a": rng.normal(size=N), "b": rng.normal(size=N),
    "c": pd.Categorical(rng.choice(["p", "q", None], N), categories=["p", "q", "r"]),
})  # fmt: skip
SIGNAL = X.a + (X.c == "p") * 1.0
Y = {"binary": (SIGNAL > 0.3).astype(int).to_numpy(),
     "multiclass": np.digitize(SIGNAL, [-0.3, 0.8]),
     "regression": (SIGNAL * 3).to_numpy()}  # fmt: skip
FAST = {
    "lightgbm": {"n_estimators": 40},
    "xgboost": {"n_estimators": 40},
    "catboost": {"iterations": 40},
    "random_forest": {"n_estimators": 50},
    "extra_trees": {"n_estimators": 50},
    "bag": {"base": "lightgbm", "base_params": {"n_estimators": 40}, "n_bags": 2},
    "boost": {"base": "lightgbm", "base_params": {"n_estimators": 40}, "n_stages": 2},
}


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("name", MODELS.names())
def test_model_contract(name, task):
    y = Y[task]
    model = make_model(name, task, FAST.get(name, {}), random_state=3)
    assert clone(model).get_params() == model.get_params()
    assert not [k for k in vars(model) if k.endswith("_")], "nothing learned in __init__"
    assert model.fit(X[:200], y[:200], X[200:], y[200:]) is model
    raw = model.predict_raw(X[200:])
    if task == "multiclass":
        assert raw.shape == (100, 3) and np.allclose(raw.sum(1), 1)
    else:
        assert raw.shape == (100,)
    if task == "binary":
        assert ((raw >= 0) & (raw <= 1)).all()
        assert model.predict_proba(X[200:]).shape == (100, 2)
    again = make_model(name, task, FAST.get(name, {}), random_state=3).fit(X[:200], y[:200], X[200:], y[200:])
    assert np.allclose(again.predict_raw(X[200:]), raw), "same seed, same predictions"
    assert model.device_ == "cpu"


@pytest.mark.parametrize("name", MODELS.names())
def test_model_learns_signal(name):
    from sklearn.metrics import roc_auc_score

    model = make_model(name, "binary", FAST.get(name, {})).fit(X[:200], Y["binary"][:200])
    assert roc_auc_score(Y["binary"][200:], model.predict_raw(X[200:])) > 0.8


def test_explicit_gpu_without_gpu_is_an_error(monkeypatch):
    import compete.device as device

    monkeypatch.setattr(device, "gpu_present", lambda: False)
    with pytest.raises(DeviceError, match="--device gpu was asked for but no GPU is usable"):
        device.resolve_device("gpu")
    assert device.resolve_device("auto") == "cpu"


@pytest.mark.parametrize("name", [n for n in MODELS.names() if MODELS.get(n).round_callback("binary", print)])
def test_a_model_fitted_with_tunings_round_hooks_can_be_kept(name):
    """Tuning's round hooks (closures) ride in a fold's parameters; the fitted model keeps none of
    them, so a tuned fit chosen as the final model is kept in the run's artifacts."""
    import pickle

    hooks = MODELS.get(name).round_callback("binary", lambda rnd, loss: False)
    model = make_model(name, "binary", {**FAST.get(name, {}), **hooks}).fit(X[:200], Y["binary"][:200],
                                                                             X[200:], Y["binary"][200:])  # fmt: skip
    again = pickle.loads(pickle.dumps(model))
    assert "callbacks" not in model.params
    assert np.array_equal(again.predict_raw(X[200:]), model.predict_raw(X[200:]))


def test_linear_clipped_numbers_and_automatic_alpha_resist_extreme_rows():
    """``clip``: scaled numbers clipped at that many standard deviations, so one extreme row in training
    does not lever the line and an extreme test row gets a bounded prediction; ``alpha = "auto"``:
    ridge's alpha chosen by leave-one-out on the rows it is fitted on, among the candidates."""
    from compete.models.linear import AUTO_ALPHAS

    x = rng.normal(size=N)
    frame = pd.DataFrame({"x": x, "c": X.c})
    y = x + rng.normal(size=N) * 0.1
    frame.loc[0, "x"], y[0] = 40.0, -40.0  # one wild row in training
    plain = make_model("linear", "regression", {}).fit(frame[1:200], y[1:200])
    wild = make_model("linear", "regression", {}).fit(frame[:200], y[:200])
    clipped = make_model("linear", "regression", {"clip": 3.0, "alpha": "auto"}).fit(frame[:200], y[:200])
    test = frame[200:]
    err = {name: float(np.sqrt(np.mean((m.predict_raw(test) - y[200:]) ** 2)))
           for name, m in (("plain", plain), ("wild", wild), ("clipped", clipped))}  # fmt: skip
    assert err["wild"] > 2 * err["plain"] and err["clipped"] < 0.6 * err["wild"], err
    assert clipped.model_[-1].alpha_ in AUTO_ALPHAS
    far = clipped.predict_raw(pd.DataFrame({"x": [1e6], "c": X.c[:1].to_numpy()}).astype({"c": X.c.dtype}))
    assert abs(far[0]) < 10  # 3 standard deviations at most, whatever the row says


def test_linear_spline_bases_bend_the_fit_and_stay_bounded_beyond_the_training_range():
    """``spline``: B-spline bases beside each scaled number let a linear model follow a curve (an hour
    of the day, an age); beyond the training range the bases hold their edge values, so an extreme
    row moves the prediction only through its clipped straight term; a table too large for the bases
    is fitted on plain numbers."""
    from compete.models import linear

    hour = rng.uniform(0, 24, size=N)
    frame = pd.DataFrame({"hour": hour, "c": X.c})
    y = np.sin(hour / 24 * 2 * np.pi) * 3 + rng.normal(size=N) * 0.1
    errors, models = {}, {}
    for knots in (0, 8):
        models[knots] = make_model("linear", "regression", {"spline": knots, "clip": 3.0, "alpha": "auto"})
        pred = models[knots].fit(frame[:200], y[:200]).predict_raw(frame[200:])
        errors[knots] = float(np.sqrt(np.mean((pred - y[200:]) ** 2)))
    assert errors[8] < 0.2 * errors[0], errors
    edge = models[8].predict_raw(frame.assign(hour=[30.0] * N)[:1])
    far = models[8].predict_raw(frame.assign(hour=[1e6] * N)[:1])
    assert abs(far[0] - edge[0]) < 1.0 and abs(far[0]) < 10
    width = models[8].model_[0].transform(frame[:5]).shape[1]
    assert width == models[0].model_[0].transform(frame[:5]).shape[1] + 10  # 8 knots, cubic: 10 bases
    old, linear.SPLINE_CELLS = linear.SPLINE_CELLS, 100
    try:
        small = make_model("linear", "regression", {"spline": 8}).fit(frame[:200], y[:200])
    finally:
        linear.SPLINE_CELLS = old
    assert small.model_[0].transform(frame[:5]).shape[1] == models[0].model_[0].transform(frame[:5]).shape[1]


def test_linear_power_numbers_fit_skewed_columns_better():
    """``numeric = "power"``: Yeo-Johnson before the linear fit, so a log-shaped relation on a skewed
    column (an area, a count) is close to a line; missing values still imputed."""
    skewed = pd.DataFrame({"area": np.exp(rng.normal(size=N) * 1.5), "c": X.c})
    skewed.loc[::17, "area"] = np.nan
    y = np.log1p(skewed["area"].fillna(1.0)).to_numpy() * 2 + rng.normal(size=N) * 0.1
    errors = {}
    for numeric in ("standard", "power"):
        model = make_model("linear", "regression", {"numeric": numeric}).fit(skewed[:200], y[:200])
        pred = model.predict_raw(skewed[200:])
        assert np.isfinite(pred).all()
        errors[numeric] = float(np.sqrt(np.mean((pred - y[200:]) ** 2)))
    assert errors["power"] < 0.7 * errors["standard"], errors
