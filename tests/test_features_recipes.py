"""Behaviour of each recipe on small frames built here."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from compete.errors import DataError, ModelError
from compete.features import (
    CountEncode,
    DateParts,
    DropConstant,
    DropCorrelated,
    GroupAggregates,
    Impute,
    Interactions,
    NumericTransform,
    OneHot,
    OrdinalEncode,
    RemoveOutliers,
    SelectImportance,
    TargetMeans,
    TextWords,
    TimeLags,
)


def test_group_agg_matches_pandas_groupby_transform() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.integers(0, 7, 500), "b": pd.Categorical(rng.choice(list("xyz"), 500)),
                      "v": np.where(rng.random(500) < 0.1, np.nan, rng.normal(size=500))})  # fmt: skip
    aggs = ["mean", "std", "min", "max", "median", "count", "nunique"]
    out = GroupAggregates(keys=["a", "b"], columns=["v"], aggs=aggs, diff=True, ratio=True).fit_transform(X)
    grouped = X.groupby(["a", "b"], observed=True)["v"]
    for agg in aggs:
        np.testing.assert_allclose(out[f"v__{agg}_by_a+b"], grouped.transform(agg), rtol=1e-5)
    np.testing.assert_allclose(
        out["v__diff_mean_by_a+b"], X.v - grouped.transform("mean"), rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(out["v__ratio_mean_by_a+b"], X.v / grouped.transform("mean"), rtol=1e-4)


def test_group_agg_unseen_key_is_nan_and_use_test_counts_unlabeled_rows() -> None:
    X = pd.DataFrame({"k": ["a", "a", "b"], "x": [1.0, 3.0, 5.0]})
    U = pd.DataFrame({"k": ["b", "c"], "x": [7.0, 9.0]})
    plain = GroupAggregates(keys="k", aggs=["mean", "count"]).fit(X, unlabeled=U)
    assert plain.transform(U)["x__mean_by_k"].tolist()[0] == 5.0
    assert np.isnan(plain.transform(U)["x__mean_by_k"].iloc[1])
    both = GroupAggregates(keys="k", aggs=["mean", "count"], use_test=True).fit(X, unlabeled=U)
    assert both.transform(U)["x__mean_by_k"].tolist() == [6.0, 9.0]
    assert both.transform(X)["x__count_by_k"].tolist() == [2.0, 2.0, 2.0]


def test_group_agg_never_looks_at_y_and_rejects_bad_aggs() -> None:
    X = pd.DataFrame({"k": ["a", "a", "b"], "x": [1.0, 3.0, 5.0]})
    a = GroupAggregates(keys="k").fit_transform(X, [0, 1, 0])
    b = GroupAggregates(keys="k").fit_transform(X, [1, 0, 1])
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ModelError, match="'aggs' got 'avg'.*'mean'"):
        GroupAggregates(keys="k", aggs=["avg"]).fit(X)
    with pytest.raises(DataError, match="'nope' is not in the data"):
        GroupAggregates(keys="nope").fit(X)


def test_date_parts_match_pandas_and_cyclical() -> None:
    t = pd.Series(pd.date_range("2019-12-28 05:30", periods=400, freq="37h"))
    X = pd.DataFrame({"t": t})
    parts = ["year", "month", "day", "hour", "minute", "dayofweek", "weekofyear", "dayofyear", "quarter"]
    out = DateParts(parts=parts, cyclical=True).fit_transform(X)
    ref = {"year": t.dt.year, "month": t.dt.month, "day": t.dt.day, "hour": t.dt.hour, "minute": t.dt.minute,
           "dayofweek": t.dt.day_of_week, "weekofyear": t.dt.isocalendar().week, "dayofyear": t.dt.day_of_year,
           "quarter": t.dt.quarter}  # fmt: skip
    for part, values in ref.items():
        np.testing.assert_array_equal(out[f"t__{part}"], values.to_numpy(np.float32))
    np.testing.assert_allclose(out["t__hour_sin"], np.sin(2 * np.pi * t.dt.hour / 24), atol=1e-5)
    assert "t" not in out.columns


def test_date_parts_auto_drops_constant_parts_and_nat_gives_nan() -> None:
    X = pd.DataFrame({"d": pd.to_datetime(["2020-01-01", "2020-03-05", None])})
    dp = DateParts().fit(X)
    assert "hour" not in dp.parts_["d"] and "year" not in dp.parts_["d"] and "month" in dp.parts_["d"]
    out = dp.transform(X)
    assert np.isnan(out["d__month"].iloc[2]) and out["d__elapsed"].tolist()[:2] == [0.0, 64.0]


def test_date_parts_auto_leaves_out_the_periodic_parts_the_test_rows_never_reach() -> None:
    from compete.features.finalize import Finalize

    hours = pd.Series(pd.date_range("2024-01-01", periods=24 * 90, freq="h"))
    train, test = (
        pd.DataFrame({"t": hours[hours.dt.day < 20]}),
        pd.DataFrame({"t": hours[hours.dt.day >= 20]}),
    )
    dp = DateParts().fit(train, unlabeled=test)
    # days 20-31 lie beyond train's 1-19; the day of the year and the rest interleave with train's
    assert dp.unreached_ == {"t": ["day"]} and "day" not in dp.parts_["t"]
    assert {"month", "hour", "dayofweek", "dayofyear"} <= set(dp.parts_["t"])
    assert "day" in DateParts().fit(train).parts_["t"] and DateParts(parts=["day"]).fit(
        train, unlabeled=test
    ).parts_ == {"t": ["day"]}
    out = Finalize().fit(train, unlabeled=test).transform(test)
    assert "t__day" not in out.columns and "t__dayofyear" in out.columns


def test_target_mean_smoothing_prior_and_unseen() -> None:
    X = pd.DataFrame({"c": pd.Categorical(["a"] * 4 + ["b"] * 4)})
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    tm = TargetMeans(smooth=4.0).fit(X, y)
    prior = y.mean()
    assert tm.transform(X)["c__te"].iloc[0] == pytest.approx((3 + 4 * prior) / 8)
    unseen = tm.transform(pd.DataFrame({"c": pd.Categorical(["zz"])}))
    assert unseen["c__te"].iloc[0] == pytest.approx(prior)


def test_target_mean_multiclass_one_column_per_class_and_combinations() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"a": pd.Categorical(rng.choice(list("pq"), 200)), "b": pd.Categorical(rng.choice(list("rs"), 200))}
    )
    y = rng.integers(0, 3, 200)
    out = TargetMeans(columns=[["a", "b"]], task="multiclass").fit_transform(X, y)
    cols = ["a+b__te0", "a+b__te1", "a+b__te2"]
    assert [c for c in out.columns if "__te" in c] == cols
    assert ((out[cols] >= 0) & (out[cols] <= 1)).all().all()
    plain = TargetMeans(columns=[["a", "b"]], task="multiclass", smooth=0.0).fit(X, y).transform(X)
    np.testing.assert_allclose(plain[cols].sum(axis=1), 1.0, rtol=1e-5)


def test_target_mean_regression_is_a_mean() -> None:
    X = pd.DataFrame({"c": pd.Categorical(["a", "a", "b", "b"])})
    tm = TargetMeans(smooth=0.0, task="regression").fit(X, np.array([1.0, 3.0, 10.0, 20.0]))
    assert tm.transform(X)["c__te"].tolist() == [2.0, 2.0, 15.0, 15.0]


def test_target_mean_row_value_does_not_depend_on_its_own_target() -> None:
    rng = np.random.default_rng(1)
    n = 300
    X = pd.DataFrame({"c": pd.Categorical(rng.choice([f"v{i}" for i in range(15)], n))})
    y = rng.integers(0, 2, n)
    base = TargetMeans(random_state=3).fit_transform(X, y)["c__te"].to_numpy()
    for row in (0, 17, 150, 299):
        flipped = y.copy()
        flipped[row] = 1 - flipped[row]
        again = TargetMeans(random_state=3).fit_transform(X, flipped)["c__te"].to_numpy()
        assert again[row] == base[row]
        assert not np.array_equal(again, base)  # other rows do see it


def test_target_mean_among_counts_only_the_selected_rows() -> None:
    X = pd.DataFrame({"fam": pd.Categorical(["a"] * 4 + ["b"] * 4), "kid": [1, 1, 0, 0, 1, 0, 0, 0]})
    y = np.array([1, 1, 0, 0, 0, 1, 1, 1])
    tm = TargetMeans(columns=["fam"], smooth=0.0, among="kid == 1").fit(X, y)
    # family a's children lived, b's child died: the adults' targets do not count, every row gets a value
    assert tm.transform(X)["fam__te"].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    unseen = tm.transform(pd.DataFrame({"fam": pd.Categorical(["zz"]), "kid": [0]}))
    assert unseen["fam__te"].iloc[0] == pytest.approx(2 / 3)  # the prior of the selected rows


def test_target_mean_among_cross_fitted_values_ignore_their_own_target() -> None:
    rng = np.random.default_rng(2)
    n = 300
    X = pd.DataFrame(
        {"c": pd.Categorical(rng.choice([f"v{i}" for i in range(10)], n)), "kid": rng.integers(0, 2, n)}
    )
    y = rng.integers(0, 2, n)
    base = TargetMeans(random_state=3, among="kid == 1").fit_transform(X, y)["c__te"].to_numpy()
    adult = int(np.flatnonzero(X["kid"] == 0)[0])
    for row in (int(np.flatnonzero(X["kid"] == 1)[0]), adult):
        flipped = y.copy()
        flipped[row] = 1 - flipped[row]
        again = TargetMeans(random_state=3, among="kid == 1").fit_transform(X, flipped)["c__te"].to_numpy()
        assert again[row] == base[row]
        # a child's target reaches the other rows' values, an adult's reaches none
        assert np.array_equal(again, base) == (row == adult)


@pytest.mark.parametrize(
    ("among", "message"),
    [
        ("kid ==", r"parameter 'among' 'kid ==' is not a query over the columns .*write a pandas query"),
        ("nope == 1", r"parameter 'among' 'nope == 1' is not a query over the columns .*nope"),
        ("kid + 1", r"parameter 'among' 'kid \+ 1' does not give one True/False per row"),
        ("kid > 5", r"parameter 'among' 'kid > 5' selects no training row"),
    ],
)
def test_target_mean_among_that_cannot_work_names_the_parameter(among: str, message: str) -> None:
    X = pd.DataFrame({"c": pd.Categorical(list("aabb")), "kid": [1, 0, 1, 0]})
    with pytest.raises(ModelError, match=r"recipe 'target_mean': " + message):
        TargetMeans(among=among).fit(X, [1, 0, 1, 0])


def test_target_mean_needs_y() -> None:
    with pytest.raises(ModelError, match="needs the target"):
        TargetMeans().fit(pd.DataFrame({"c": pd.Categorical(["a"])}))


def test_impute_strategies_indicators_and_test_only_missing_warning() -> None:
    X = pd.DataFrame(
        {
            "n": [1.0, np.nan, 5.0, 2.0],
            "c": pd.Categorical(["x", None, "x", "y"]),
            "open": [1.0, 0.0, 1.0, 1.0],
        }
    )
    imp = Impute(numeric="mean").fit(X)
    out = imp.transform(X)
    assert out["n"].tolist() == [1.0, 8 / 3, 5.0, 2.0] and out["c"].tolist() == ["x", "x", "x", "y"]
    assert out["n__isna"].tolist() == [0, 1, 0, 0] and "open__isna" not in out.columns
    test = pd.DataFrame({"n": [np.nan], "c": pd.Categorical(["y"]), "open": [np.nan]})
    with pytest.warns(UserWarning, match="'open' had no missing values"):
        filled = imp.transform(test)
    assert filled["open"].iloc[0] == 1.0
    kept = Impute(numeric="keep", categorical="constant").fit_transform(X)
    assert np.isnan(kept["n"].iloc[1]) and kept["c"].iloc[1] == "__missing__"


def test_count_ordinal_one_hot() -> None:
    X = pd.DataFrame({"c": pd.Categorical(["b", "a", "b", None])})
    new = pd.DataFrame({"c": pd.Categorical(["zz", "b"])})
    assert CountEncode().fit(X).transform(new)["c__count"].tolist() == [0.0, 2.0]
    assert CountEncode(normalize=True).fit_transform(X)["c__count"].tolist() == [0.5, 0.25, 0.5, 0.25]
    assert OrdinalEncode().fit(X).transform(new)["c"].tolist() == [-1.0, 1.0]
    oh = OneHot().fit(X).transform(new)
    assert list(oh.columns) == ["c__a", "c__b"] and oh.to_numpy().tolist() == [[0, 0], [0, 1]]
    many = pd.DataFrame({"c": pd.Categorical([str(i) for i in range(30)])})
    assert list(OneHot(max_levels=10).fit_transform(many).columns) == ["c"]


def test_interactions_and_numeric_transforms() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [2.0, 0.0, 8.0], "c": [0.0, 1.0, -1.0]})
    out = Interactions(columns=["a", "b"], ops=["mul", "div", "add", "sub"]).fit_transform(X)
    assert out["a__mul__b"].tolist() == [2.0, 0.0, 32.0] and np.isnan(out["a__div__b"].iloc[1])
    assert out["a__sub__b"].tolist() == [-1.0, 2.0, -4.0]
    logged = NumericTransform(method="log", columns=["c"]).fit_transform(X)["c"]
    np.testing.assert_allclose(logged, [0.0, np.log(2), -np.log(2)], rtol=1e-6)
    robust = NumericTransform(method="robust").fit_transform(X)
    assert robust["a"].iloc[1] == 0.0
    with pytest.raises(ModelError, match="'method' got 'sqrt'"):
        NumericTransform(method="sqrt").fit(X)


def test_remove_outliers_drops_training_rows_only() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"area": np.append(rng.normal(1500, 300, 200), [6000.0, 5500.0])})
    y = np.arange(len(X), dtype=float)
    for params in ({"method": "iqr"}, {"method": "query", "query": "area > 4000"},
                   {"method": "isolation_forest", "contamination": 0.01}):  # fmt: skip
        rec = RemoveOutliers(**params)
        Xk, yk = rec.fit_resample(X, y)
        assert {200, 201}.isdisjoint(Xk.index) and len(Xk) == len(yk) and rec.n_dropped_ >= 2
        np.testing.assert_array_equal(yk, y[Xk.index])
        pd.testing.assert_frame_equal(rec.transform(X), X)  # transform never drops


def test_drop_constant_duplicates_and_correlated() -> None:
    X = pd.DataFrame({"k": [1, 1, 1, 1], "a": [1.0, 2, 3, 4], "dup": [1.0, 2, 3, 4], "b": [4.0, 1, 3, 2],
                      "a2": [2.0, 4.1, 6, 8]})  # fmt: skip
    assert DropConstant().fit(X).dropped_ == ["k", "dup"]
    assert list(DropConstant(duplicates=False).fit_transform(X).columns) == ["a", "dup", "b", "a2"]
    assert DropCorrelated(threshold=0.99).fit(X.drop(columns="k")).dropped_ == ["dup", "a2"]


def test_select_importance_keeps_signal_drops_noise() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({f"noise{i}": rng.normal(size=600) for i in range(4)})
    X["signal"] = rng.normal(size=600)
    X["text"] = "words"
    y = (X.signal + 0.3 * rng.normal(size=600) > 0).astype(int).to_numpy()
    for method in ("null", "permutation"):
        sel = SelectImportance(method=method, n_estimators=50, n_null=3).fit(X, y)
        out = sel.transform(X)
        assert "signal" in out.columns and "text" in out.columns
        noise = max(v for k, v in sel.scores_.items() if k.startswith("noise"))
        assert sel.scores_["signal"] > 5 * noise and len(sel.dropped_) >= (2 if method == "null" else 1)


def test_warnings_do_not_fire_on_clean_data() -> None:
    X = pd.DataFrame({"n": [1.0, 2.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Impute().fit(X).transform(X)


def hourly(hours: list[int], **columns: list) -> pd.DataFrame:
    return pd.DataFrame({"t": pd.Timestamp("2024-01-01") + pd.to_timedelta(hours, unit="h"), **columns})


def test_lags_take_neighbours_from_one_timeline_and_never_bridge_a_gap() -> None:
    train = hourly([0, 1, 2, 5], temp=[1.0, 2.0, 3.0, 6.0], sky=pd.Categorical(["sun", "rain", "sun", "sun"]))
    test = hourly([3, 4], temp=[4.0, 5.0], sky=pd.Categorical(["rain", "sun"], categories=["rain", "sun"]))
    y = np.array([10.0, 20.0, 30.0, 60.0])
    lags = TimeLags(time="t", steps=[1, -1], columns=["temp", "sky"]).fit(train, y, unlabeled=test)
    assert lags.period_ == pd.Timedelta("1h")
    out = lags.transform(train)
    # hour 2's next hour (3) and hour 5's previous hour (4) are test rows, on the same timeline
    assert out["temp__lag1"].tolist()[:3] == [pytest.approx(np.nan, nan_ok=True), 1.0, 2.0]
    assert out["temp__lead1"].tolist() == [2.0, 3.0, 4.0, pytest.approx(np.nan, nan_ok=True)]
    assert out["temp__lag1"].iloc[3] == 5.0
    assert out["sky__lag1"].dtype == train["sky"].dtype and out["sky__lag1"].tolist()[1:] == [
        "sun",
        "rain",
        "sun",
    ]
    # the test rows find the training rows around them; without use_test, only what they bring
    assert lags.transform(test)["temp__lag1"].tolist() == [3.0, 4.0]
    alone = TimeLags(time="t", steps=[1], columns=["temp"], use_test=False).fit(train, unlabeled=test)
    assert alone.transform(hourly([4], temp=[5.0]))["temp__lag1"].isna().all()
    # the target never enters: another y, the same features
    shuffled = TimeLags(time="t", steps=[1, -1], columns=["temp", "sky"]).fit(train, y[::-1], unlabeled=test)
    pd.testing.assert_frame_equal(shuffled.transform(train), out)


def test_lags_within_each_series_of_by_and_numeric_times() -> None:
    X = pd.DataFrame({"store": ["a", "a", "b", "b"], "week": [1, 2, 1, 2], "sales_ad": [5.0, 6.0, 7.0, 8.0]})
    out = TimeLags(time="week", by="store", steps=[1], columns=["sales_ad"]).fit_transform(X)
    assert out["sales_ad__lag1"].tolist()[1::2] == [5.0, 7.0] and out["sales_ad__lag1"].iloc[::2].isna().all()


@pytest.mark.parametrize(
    ("params", "frame", "message"),
    [
        ({}, hourly([0, 1], x=[1.0, 2.0]), "recipe 'lags': parameter 'time' is required, e.g. time = \"datetime\""),
        ({"time": "t", "steps": [1, 0]}, hourly([0, 1], x=[1.0, 2.0]), "parameter 'steps' got [1, 0]; expected whole numbers other than 0"),
        ({"time": "t", "period": "soon"}, hourly([0, 1], x=[1.0, 2.0]), "parameter 'period' got 'soon'; expected a time span such as \"1h\""),
        ({"time": "name"}, pd.DataFrame({"name": ["a", "b"], "x": [1.0, 2.0]}), "column 'name' must hold datetimes or numbers to order the rows"),
        ({"time": "t"}, hourly([0, 0, 1, 1], x=[1.0, 2.0, 3.0, 4.0]), "50% of the training rows share their 't' with another row"),
    ],
)  # fmt: skip
def test_lags_name_what_is_wrong(params: dict, frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ModelError) as err:
        TimeLags(**params).fit(frame)
    assert message in str(err.value)
    if "share their" in message:
        assert "name the columns that tell the series apart in 'by'" in str(err.value)


def test_text_words_mark_each_rows_frequent_words_and_nothing_else() -> None:
    names = ["Braund, Mr. Owen", "Cumings, Mrs. John", "Heikkinen, Miss. Laina", "Allen, Mr. William",
             "Moran, Mr. James", "Palsson, Master. Gosta", None]  # fmt: skip
    X = pd.DataFrame({"name": pd.array(names, dtype="string"), "n": np.arange(7.0)})
    t = TextWords(min_share=0.2).fit(X)
    assert t.words_ == {"name": ["mr"]}  # 3 of 7 rows; every other word is on one row
    out = t.transform(pd.DataFrame({"name": pd.array(["Mr. MR. Smith", "Dr. Who", None], dtype="string"),
                                    "n": [1.0, 2.0, 3.0]}, index=[10, 11, 12]))  # fmt: skip
    assert out.columns.tolist() == ["name", "n", "name__w_mr"]  # the text is kept for its length
    assert out["name__w_mr"].tolist() == [1.0, 0.0, 0.0] and out["name__w_mr"].dtype == np.float32
    # the most frequent words first, ties by the word, at most max_words; use_test counts the test rows
    test = pd.DataFrame({"name": pd.array(["Kelly, Mrs. Ann", "Dean, Mrs. Bertha", "Lee, Mrs. Ann"] * 2,
                                          dtype="string"), "n": np.arange(6.0)})  # fmt: skip
    both = TextWords(min_share=0.2, max_words=2, use_test=True).fit(X, unlabeled=test)
    assert both.words_ == {"name": ["mrs", "ann"]}
    assert TextWords(min_share=0.2, use_test=False).fit(X, unlabeled=test).words_ == {"name": ["mr"]}
    # a word whose characters a model library refuses in a name is written with underscores
    odd = TextWords(min_share=0.5).fit(pd.DataFrame({"t": pd.array(["café x", "café y"], dtype="string")}))
    assert odd.get_feature_names_out().tolist() == ["t", "t__w_caf_"]


@pytest.mark.parametrize("params", [{"max_words": 0}, {"min_share": 1.0}, {"max_words": 2.5}])
def test_text_words_name_a_bad_setting(params: dict) -> None:
    with pytest.raises(ModelError, match="recipe 'text_words': max_words got .* e.g. max_words = 20"):
        TextWords(**params).fit(pd.DataFrame({"t": pd.array(["a b", "c d"], dtype="string")}))
