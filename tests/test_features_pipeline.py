"""The contract the fold loop calls: build_pipeline, fit_transform_train, transform, describe_recipes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compete.errors import ModelError, SpecError
from compete.features import FEATURES, build_pipeline, describe_recipes
from compete.spec import StepSpec


def frames(n: int = 200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"k": pd.Categorical(rng.choice(list("abcdefgh"), n)), "x": rng.normal(size=n)},
                     index=pd.RangeIndex(100, 100 + n))  # fmt: skip
    X.loc[X.index[:3], "x"] = [50.0, 60.0, -70.0]
    return X, rng.integers(0, 3, n)


def test_unknown_recipe_lists_known_ones() -> None:
    with pytest.raises(
        SpecError, match=r"features\[1\]: unknown recipe 'grp_agg'; known recipes: .*group_agg"
    ):
        build_pipeline([StepSpec("impute"), StepSpec("grp_agg")], task="binary", seed=0)


def test_unknown_parameter_lists_known_ones() -> None:
    with pytest.raises(
        SpecError, match=r"features\[0\]: recipe 'group_agg' has no parameter 'key'; known .*keys"
    ):
        build_pipeline([StepSpec("group_agg", {"key": ["k"]})], task="binary", seed=0)


def test_task_and_seed_fill_recipe_parameters() -> None:
    pipe = build_pipeline([StepSpec("target_mean"), StepSpec("target_mean", {"random_state": 5})],
                          task="multiclass", seed=11)  # fmt: skip
    (_, first), (_, second) = pipe.steps
    assert (first.task, first.random_state, second.random_state) == ("multiclass", 11, 5)


def test_fold_contract_rows_index_and_targets() -> None:
    X, y = frames()
    steps = [StepSpec("remove_outliers", {"method": "query", "query": "abs(x) > 10"}),
             StepSpec("group_agg", {"keys": ["k"], "columns": ["x"], "aggs": ["mean"], "diff": True}),
             StepSpec("target_mean", {"columns": ["k"]})]  # fmt: skip
    pipe = build_pipeline(steps, task="multiclass", seed=0)
    X_tr, y_tr = pipe.fit_transform_train(X, y)
    assert list(X_tr.index) == list(X.index[3:]) and np.array_equal(y_tr, y[3:])
    X_va = pipe.transform(X.head(10))
    assert X_va.index.equals(X.head(10).index)  # transform never drops rows
    assert list(X_va.columns) == list(X_tr.columns) == pipe.get_feature_names_out()
    assert {"x__mean_by_k", "k__te0", "k__te2"} <= set(X_tr.columns)


def test_unlabeled_rows_reach_use_test_recipes_through_earlier_steps() -> None:
    X, y = frames()
    U = pd.DataFrame({"k": pd.Categorical(["z"] * 5), "x": [1.0] * 5}, index=range(5))
    steps = [
        StepSpec("count_encode", {"columns": ["k"]}),
        StepSpec("group_agg", {"keys": ["k"], "columns": ["k__count"], "aggs": ["count"], "use_test": True}),
    ]
    pipe = build_pipeline(steps, task="binary", seed=0)
    X_tr, _ = pipe.fit_transform_train(X, y % 2, unlabeled=U)
    assert pipe.transform(U)["k__count__count_by_k"].tolist() == [5.0] * 5
    without = build_pipeline(steps, task="binary", seed=0)
    without.fit_transform_train(X, y % 2)
    assert without.transform(U)["k__count__count_by_k"].tolist() == [0.0] * 5


def test_import_path_and_competition_recipes(tmp_path: Path) -> None:
    (tmp_path / "recipes.py").write_text(
        "from compete.features import FEATURES\n"
        "from compete.features.base import Recipe\n\n"
        "@FEATURES.register('double_x_test')\n"
        "class DoubleX(Recipe):\n"
        "    def __init__(self, factor=2.0):\n"
        "        self.factor = factor\n"
        "    def fit(self, X, y=None):\n"
        "        self._remember_names(X)\n"
        "        return self\n"
        "    def transform(self, X):\n"
        "        return X.assign(x2=X.x * self.factor)\n\n"
        "class DropIndex:\n"
        "    def fit_transform(self, X, y=None):\n"
        "        return X.reset_index(drop=True)\n"
    )
    X, y = frames()
    steps = [StepSpec("double_x_test", {"factor": 3.0}), StepSpec("compete.features.encode:CountEncode")]
    X_tr, _ = build_pipeline(steps, task="binary", seed=0, spec_dir=tmp_path).fit_transform_train(X, y)
    assert np.allclose(X_tr.x2, 3 * X.x) and "k__count" in X_tr.columns
    assert "double_x_test" in FEATURES
    with pytest.raises(ModelError, match=r"features\[0\] \(DropIndex\).*input's index"):
        build_pipeline([StepSpec("DropIndex")], task="binary", seed=0, spec_dir=tmp_path).fit_transform_train(
            X, y
        )
    with pytest.raises(SpecError, match="cannot import recipe 'compete.nope:Thing'"):
        build_pipeline([StepSpec("compete.nope:Thing")], task="binary", seed=0)


def test_describe_recipes_covers_the_registry() -> None:
    rows = describe_recipes()
    assert [r[0] for r in rows] == FEATURES.names()
    group = dict((name, (params, doc)) for name, params, doc in rows)["group_agg"]
    assert "keys=None" in group[0] and "use_test=False" in group[0] and group[1]
