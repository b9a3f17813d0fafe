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
        "when": "datetime", "name": "text", "ticket": "categorical", "const": "ignore", "code": "numeric",
    }  # fmt: skip
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
