import numpy as np
import pandas as pd

from compete.data.schema import infer_schema
from compete.spec import SchemaSpec

rng = np.random.default_rng(0)
N = 300
TRAIN = pd.DataFrame({
    "num": rng.normal(size=N),
    "num_text": [str(v) for v in rng.integers(0, 9, N)],
    "cat": rng.choice(["x", "y", "z"], N),
    "flag": rng.random(N) > 0.5,
    "when": pd.date_range("2020-01-01", periods=N, freq="D").strftime("%Y-%m-%d"),
    "name": [f"Person number {i} of town {i % 7}" for i in range(N)],
    "ticket": [f"T{i}" for i in range(N)],
    "const": 1,
    "code": rng.integers(1, 4, N),
})  # fmt: skip


def test_inferred_kinds_and_reasons():
    s = infer_schema(TRAIN, TRAIN.iloc[:0], SchemaSpec())
    assert s.kinds == {
        "num": "numeric", "num_text": "numeric", "cat": "categorical", "flag": "categorical",
        "when": "datetime", "name": "text", "ticket": "categorical", "const": "ignore", "code": "categorical",
    }  # fmt: skip
    assert (
        s.reasons["code"]
        == "whole numbers named like a code (code): 3 values, 100% of test values seen in train"
    )
    assert s.high_cardinality == ("ticket",)
    assert s.reasons["when"] == "text parsed as dates"


def test_spec_overrides_win():
    s = infer_schema(TRAIN, TRAIN, SchemaSpec(categorical=("code",), ignore=("name",), numeric=("flag",)))
    assert (s.kinds["code"], s.kinds["name"], s.kinds["flag"]) == ("categorical", "ignore", "numeric")
    assert s.reasons["code"] == "spec"


def test_same_categories_everywhere_and_unseen_levels_missing():
    s = infer_schema(TRAIN, TRAIN, SchemaSpec()).fit(TRAIN)
    test = TRAIN.head(3).assign(cat=["x", "new", None])
    typed = s.apply(test)
    assert list(typed["cat"].cat.categories) == ["x", "y", "z"]
    assert typed["cat"].isna().tolist() == [False, True, True]
    assert str(s.apply(TRAIN)["when"].dtype).startswith("datetime64")
    assert "const" not in typed.columns


def test_whole_numbers_that_are_codes_are_categorical_and_quantities_stay_numbers():
    """Codes by their name or by their spread; amounts that are mostly 0, ages, counts and ids are not."""
    g = np.random.default_rng(1)
    n = 6_000
    resources = g.integers(1, 300_000, 1_500)  # 1,500 codes spread over 300,000 numbers
    frame = pd.DataFrame({
        "MGR_ID": g.choice(g.integers(1, 400, 60), n),  # a dense range, but named like a code
        "ZIP Code": g.choice(g.integers(90_000, 96_000, 400), n),
        "RESOURCE": g.choice(resources, n),
        "capital_gain": np.where(g.random(n) < 0.9, 0, g.choice(g.integers(1_000, 99_999, 150), n)),
        "age": g.integers(17, 90, n),
        "rooms": g.integers(1, 12, n),
        "row_number_id": np.arange(n),  # mostly distinct: an id, not a code
        "price_code": g.normal(size=n),  # named like a code, but not whole numbers
    })  # fmt: skip
    train, test = frame.iloc[:5_000], frame.iloc[5_000:]
    s = infer_schema(train, test, SchemaSpec())
    assert {c: s.kinds[c] for c in frame} == {
        "MGR_ID": "categorical", "ZIP Code": "categorical", "RESOURCE": "categorical", "capital_gain": "numeric",
        "age": "numeric", "rooms": "numeric", "row_number_id": "numeric", "price_code": "numeric",
    }  # fmt: skip
    assert s.reasons["ZIP Code"].startswith("whole numbers named like a code (code, zip): 386 values")
    assert s.reasons["RESOURCE"].startswith("whole numbers used as codes: ")
    # whole numbers that may be codes as well as quantities stay numeric, and their reason says why
    for col, said in (("age", "73 values, 68 rows each"), ("rooms", "11 values, 455 rows each")):
        assert s.reasons[col] == (f"numbers or codes (whole numbers, {said}, 100% of test values seen in train): "
                                  "the feature search decides by CV")  # fmt: skip
    assert s.reasons["row_number_id"] == s.reasons["price_code"] == "numbers"  # an id; fractions
    typed = s.fit(train).apply(test)
    assert typed["RESOURCE"].dtype == "category" and typed["RESOURCE"].notna().mean() > 0.9
    fresh = test.assign(MGR_ID=test["MGR_ID"] + 1_000)  # mostly unseen in train: not the codes it knows
    assert infer_schema(train, fresh, SchemaSpec()).kinds["MGR_ID"] == "numeric"


def test_an_id_like_column_shared_by_groups_is_a_key_kept_beside_its_frequency():
    from compete.data.prepared import typed_frame
    from compete.features.finalize import frequencies

    g = np.random.default_rng(1)
    shared = [f"F{i // 2}" for i in range(200)] + [
        f"S{i}" for i in range(400)
    ]  # 200 rows in pairs, 400 alone
    train = pd.DataFrame({"family": shared, "lone": [f"L{i}" for i in range(600)], "x": g.normal(size=600)})
    test = pd.DataFrame({"family": [f"F{i}" for i in range(40)] + [f"N{i}" for i in range(160)],
                         "lone": [f"M{i}" for i in range(200)], "x": g.normal(size=200)})  # fmt: skip
    s = infer_schema(train, test, SchemaSpec()).fit(train)
    assert s.high_cardinality == ("family", "lone") and s.keys == ("family",)
    reasons = {d["column"]: (d["type"], d["reason"]) for d in s.describe()}
    assert reasons["family"] == ("id-like", "strings, mostly distinct, 33% of train rows share their value, 20% of "
                                 "test values seen in train: modelled by their frequency; the feature search "
                                 "tries their out-of-fold target means")  # fmt: skip
    assert reasons["lone"] == ("id-like", "strings, mostly distinct: modelled by their frequency")
    counts = {c: frequencies(train[c], test[c]) for c in s.high_cardinality}
    X, X_test = typed_frame(s, train, counts), typed_frame(s, test, counts)
    assert list(X.columns) == ["family", "x", "family__count", "lone__count"]
    assert isinstance(X["family"].dtype, pd.CategoricalDtype) and X_test["family"].notna().sum() == 40
