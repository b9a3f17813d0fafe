"""One contract test run over every registered recipe (adding a recipe: one line in PARAMS if needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from compete.features import FEATURES

PARAMS: dict[str, dict] = {
    "group_agg": {
        "keys": ["k"],
        "aggs": ["mean", "std", "min", "max", "median", "count", "nunique"],
        "diff": True,
        "ratio": True,
    },  # fmt: skip
    "select_importance": {"n_estimators": 20, "n_null": 2},
    "remove_outliers": {"factor": 1.0},
    "interactions": {"columns": ["x1", "x2"]},
    "as_category": {"columns": ["i"]},
    "lags": {"time": "t", "by": ["k"], "period": "1h", "steps": [1, -2]},
}


def make_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "k": pd.Categorical(rng.choice([f"k{i}" for i in range(12)], n)),
            "c": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "x1": rng.normal(size=n),
            "x2": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, size=n)),
            "i": rng.integers(0, 5, n),
            "t": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 10_000, n), unit="h"),
            "s": pd.array(
                [" ".join(rng.choice(["red", "big", "old", "car", "Van"], 3)) for _ in range(n)],
                dtype="string",
            ),
        },
        index=pd.Index(rng.permutation(np.arange(1000, 1000 + n))),
    )
    y = (X.x1 + (X.c == "a") + rng.normal(size=n) > 0.5).to_numpy(int)
    return X, y


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    X, y = make_frame(300, 0)
    X_new, _ = make_frame(80, 1)
    return X, y, X_new


def make(name: str):
    return FEATURES.get(name)(**PARAMS.get(name, {}))


@pytest.mark.parametrize("name", FEATURES.names())
def test_init_only_stores_and_clone_round_trips(name: str) -> None:
    est = make(name)
    assert not [a for a in vars(est) if a.endswith("_")], "__init__ must not learn anything"
    assert set(vars(est)) == set(est.get_params()), "__init__ must store exactly its arguments"
    twin = clone(est)
    assert twin.get_params() == est.get_params()


@pytest.mark.parametrize("name", FEATURES.names())
def test_fit_transform_contract(name: str, data) -> None:
    X, y, X_new = data
    before = X.copy()
    est = clone(make(name))
    assert est.fit(X, y) is est
    out = est.transform(X_new)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(X_new.index)
    assert list(out.columns) == list(est.get_feature_names_out())
    for col in set(out.columns) - set(X.columns):
        dtype = out[col].dtype
        assert isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(dtype), (col, dtype)
    pd.testing.assert_frame_equal(X, before)  # input not modified


@pytest.mark.parametrize("name", FEATURES.names())
def test_fit_transform_names_and_index(name: str, data) -> None:
    X, y, _ = data
    est = clone(make(name))
    out = est.fit_transform(X, y)
    assert out.index.equals(X.index)
    assert list(out.columns) == list(est.get_feature_names_out())


@pytest.mark.parametrize("name", FEATURES.names())
def test_same_seed_same_output(name: str, data) -> None:
    X, y, X_new = data
    a, b = clone(make(name)), clone(make(name))
    pd.testing.assert_frame_equal(a.fit_transform(X, y), b.fit_transform(X, y))
    pd.testing.assert_frame_equal(a.transform(X_new), b.transform(X_new))
