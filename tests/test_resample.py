"""Resamplers: every method on a small imbalanced frame with categories and missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from compete.resample import SAMPLERS, class_weights, make_resampler
from compete.spec import StepSpec

METHODS = [m for m in SAMPLERS.names() if m != "none"]
OVERSAMPLERS = ["smote", "smotenc", "borderline_smote", "adasyn", "random_over"]


def imbalanced(n: int = 240, rate: float = 0.15, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Binary target, ~15% positives; float (NaN), int, category (NaN) columns; a gappy int index."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rate).astype(int)
    colour = np.where(y == 1, rng.choice(["red", "blue"], n), rng.choice(["red", "blue", "green"], n))
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n) + 1.5 * y,
            "count": rng.integers(0, 20, n) + 5 * y,
            "colour": pd.Categorical(colour, categories=["blue", "green", "red"]),
            "z": rng.normal(size=n).astype("float32"),
        },
        index=pd.Index(np.arange(n) * 3 + 1000, name="row"),
    )
    X.loc[X.index[rng.random(n) < 0.1], "x"] = np.nan
    X.loc[X.index[rng.random(n) < 0.1], "colour"] = np.nan
    return X, y


def run(method: str, X: pd.DataFrame, y: object, seed: int = 0, **params: object):
    r = make_resampler(StepSpec(method, params), task="binary", seed=seed)
    assert r is not None
    return r.apply(X, y)


@pytest.mark.parametrize("method", METHODS)
def test_each_method_keeps_columns_dtypes_and_a_unique_index(method: str) -> None:
    X, y = imbalanced()
    X2, y2, w2 = run(method, X, y)
    assert list(X2.columns) == list(X.columns)
    assert X2.dtypes.to_dict() == X.dtypes.to_dict()
    assert X2["colour"].cat.categories.tolist() == ["blue", "green", "red"]
    assert X2.index.is_unique and X2.index.name == "row"
    assert len(y2) == len(X2) and set(np.unique(y2)) == {0, 1}
    assert (w2 is not None) == (method == "class_weight")
    synthetic = X2.loc[~X2.index.isin(X.index)]
    assert synthetic["count"].between(X["count"].min(), X["count"].max()).all()
    if method.startswith(("smote", "borderline", "adasyn")):
        assert synthetic["x"].notna().all()  # imputed for the sampler, then interpolated
    kept = X2.index[X2.index.isin(X.index)]
    pd.testing.assert_frame_equal(X2.loc[kept], X.loc[kept])  # original rows untouched, NaN kept


@pytest.mark.parametrize("method", OVERSAMPLERS)
def test_oversamplers_keep_every_original_row_and_only_add_minority_rows(method: str) -> None:
    X, y = imbalanced()
    X2, y2, _ = run(method, X, y)
    is_new = ~X2.index.isin(X.index)
    pd.testing.assert_frame_equal(X2.loc[~is_new], X)
    assert (y2[~is_new] == y).all()
    assert is_new.sum() > 0 and (y2[is_new] == 1).all()
    assert (y2 == 0).sum() == (y == 0).sum()
    assert X2.index[is_new].min() > X.index.max()


@pytest.mark.parametrize("method", ["smote", "smote_tomek", "smote_enn"])
def test_smote_takes_categories_from_neighbours_and_never_invents_one(method: str) -> None:
    X, y = imbalanced()  # positives are only red or blue (or missing), never green
    X2, y2, _ = run(method, X, y)
    new = X2.loc[~X2.index.isin(X.index)]
    assert len(new) and not (new["colour"] == "green").any()


@pytest.mark.parametrize(("method", "minority", "majority"), [("smote", 101, 203), ("random_over", 101, 203),
                                                               ("random_under", 37, 74)])  # fmt: skip
def test_ratio_sets_the_class_counts(method: str, minority: int, majority: int) -> None:
    X, y = imbalanced()
    assert np.bincount(y).tolist() == [203, 37]
    _, y2, _ = run(method, X, y, ratio=0.5)
    assert np.bincount(y2).tolist() == [majority, minority]


def test_random_under_keeps_original_rows_and_every_minority_row() -> None:
    X, y = imbalanced()
    X2, y2, _ = run("random_under", X, y)
    assert X2.index.isin(X.index).all()
    pd.testing.assert_frame_equal(X2, X.loc[X2.index])
    assert X.index[y == 1].isin(X2.index).all()
    assert list(X2.index) == sorted(X2.index)  # input order kept


def test_random_over_copies_rows_with_a_fresh_index() -> None:
    X, y = imbalanced()
    X2, y2, _ = run("random_over", X, y)
    new = X2.loc[~X2.index.isin(X.index)]
    merged = new.merge(X.loc[y == 1], how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


def test_same_seed_same_output_and_another_seed_differs() -> None:
    X, y = imbalanced()
    a, b, c = run("smote", X, y, seed=1), run("smote", X, y, seed=1), run("smote", X, y, seed=2)
    pd.testing.assert_frame_equal(a[0], b[0])
    assert not a[0].equals(c[0])


def test_series_target_comes_back_as_a_series_on_the_new_index() -> None:
    X, y = imbalanced()
    X2, y2, _ = run("smote", X, pd.Series(y, index=X.index, name="target"))
    assert isinstance(y2, pd.Series) and y2.name == "target"
    assert y2.index.equals(X2.index)


def test_string_index_gets_non_colliding_labels() -> None:
    X, y = imbalanced()
    X.index = pd.Index([f"resampled-{i}" for i in range(len(X))])
    X2, _, _ = run("smote", X, y)
    assert X2.index.is_unique and len(X2) == 2 * 203


def test_datetime_bool_and_nullable_int_columns_round_trip() -> None:
    X, y = imbalanced()
    X = X.assign(
        when=pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(X)), unit="D"),
        flag=np.arange(len(X)) % 2 == 0,
        small=pd.array(np.arange(len(X)) % 7, dtype="Int64"),
    )
    X2, _, _ = run("smote", X, y)
    assert X2.dtypes.to_dict() == X.dtypes.to_dict()
    new = X2.loc[~X2.index.isin(X.index)]
    assert new["when"].between(X["when"].min(), X["when"].max()).all()


def test_all_categorical_frame_uses_smoten() -> None:
    X, y = imbalanced()
    X2, y2, _ = run("smote", X[["colour"]], y)
    assert np.bincount(y2).tolist() == [203, 203]
    assert X2["colour"].dtype == X["colour"].dtype


def test_multiclass_auto_balances_every_class() -> None:
    X, y = imbalanced()
    y = np.where(y == 1, 2, np.where(np.arange(len(y)) % 4 == 0, 1, 0))
    r = make_resampler(StepSpec("smote"), task="multiclass", seed=0)
    assert r is not None
    _, y2, _ = r.apply(X, y)
    counts = np.bincount(y2)
    assert (counts == counts.max()).all()
    assert r.counts_before_ == dict(enumerate(np.bincount(y).tolist())) and r.counts_after_[2] == counts[2]


def test_none_and_missing_step_give_no_resampler() -> None:
    assert make_resampler(None, task="binary", seed=0) is None
    assert make_resampler(StepSpec("none"), task="regression", seed=0) is None
    assert make_resampler("none", task="binary", seed=0) is None


# --- class weights ---------------------------------------------------------------------------
def test_class_weight_balances_the_classes_and_keeps_rows() -> None:
    X, y = imbalanced()
    X2, y2, w = run("class_weight", X, y)
    assert X2 is X and (y2 == y).all()
    assert w is not None and w.mean() == pytest.approx(1.0)
    assert w[y == 0].sum() == pytest.approx(w[y == 1].sum())


def test_class_weight_multiclass_power_and_ratio() -> None:
    y = np.repeat([0, 1, 2], [60, 30, 10])
    w = class_weights(y)
    assert [w[y == c].sum() for c in range(3)] == pytest.approx([100 / 3] * 3)
    sqrt = class_weights(y, power=0.5)
    assert sqrt[y == 2][0] / sqrt[y == 0][0] == pytest.approx(np.sqrt(6))
    yb = np.repeat([0, 1], [80, 20])
    wr = class_weights(yb, ratio=0.5)
    assert wr[yb == 1].sum() / wr[yb == 0].sum() == pytest.approx(0.5)
    assert wr.mean() == pytest.approx(1.0)


def test_class_weight_equals_lightgbm_balanced_class_weight() -> None:
    import lightgbm as lgb

    X, y = imbalanced()
    params = {"n_estimators": 30, "verbosity": -1, "random_state": 0, "n_jobs": 1}
    a = lgb.LGBMClassifier(class_weight="balanced", **params).fit(X, y).predict_proba(X)
    b = lgb.LGBMClassifier(**params).fit(X, y, sample_weight=class_weights(y)).predict_proba(X)
    np.testing.assert_allclose(a, b)
