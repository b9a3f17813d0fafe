"""The contract the fold loop calls: build_pipeline, fit_transform_train, transform, describe_recipes."""

from __future__ import annotations

import sys
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
    assert "double_x_test" not in FEATURES  # the competition's own: never in the process-wide registry
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


def _own_recipe(folder: Path, factor: float) -> Path:
    """A competition folder whose recipes.py registers ``scale_x``, multiplying x by ``factor``."""
    folder.mkdir(parents=True)
    (folder / "recipes.py").write_text(
        "from compete.features import FEATURES\n"
        "from compete.features.base import Recipe\n\n"
        "@FEATURES.register('scale_x')\n"
        "class ScaleX(Recipe):\n"
        "    def fit(self, X, y=None):\n"
        "        self._remember_names(X)\n"
        "        return self\n"
        "    def transform(self, X):\n"
        f"        return X.assign(x={factor} * X.x)\n"
    )
    return folder


def test_a_competitions_recipes_stay_its_own(tmp_path: Path) -> None:
    X, y = frames()
    one, two, plain = (
        _own_recipe(tmp_path / "one", 2.0),
        _own_recipe(tmp_path / "two", 3.0),
        tmp_path / "plain",
    )
    plain.mkdir()

    def scaled(folder: Path) -> pd.Series:
        pipe = build_pipeline([StepSpec("scale_x")], task="binary", seed=0, spec_dir=folder)
        return pipe.fit_transform_train(X, y)[0].x

    # the same name in two competitions: each gets its own (the second registration is not refused,
    # nor does it replace the first), in either order and again after the other
    assert np.allclose(scaled(one), 2 * X.x) and np.allclose(scaled(two), 3 * X.x)
    assert np.allclose(scaled(one), 2 * X.x)
    assert "scale_x" not in FEATURES and "scale_x" not in [r[0] for r in describe_recipes()]
    with pytest.raises(
        SpecError, match=r"features\[0\]: unknown recipe 'scale_x'; known recipes: as_category, count_encode"
    ):
        scaled(plain)  # a competition without recipes.py cannot use another's
    with pytest.raises(SpecError, match="unknown recipe 'scale_x'"):
        build_pipeline([StepSpec("scale_x")], task="binary", seed=0)


def test_a_recipe_name_registered_twice_is_refused(tmp_path: Path) -> None:
    from compete.registry import Registry

    folder = tmp_path / "clash"
    folder.mkdir()
    (folder / "recipes.py").write_text(
        "from compete.features import FEATURES\n\n@FEATURES.register('impute')\nclass Mine:\n    pass\n"
    )
    with pytest.raises(
        SpecError, match=r"recipe 'impute' is registered twice \(compete.features.impute.Impute, then "
    ):
        build_pipeline([StepSpec("impute")], task="binary", seed=0, spec_dir=folder)
    assert FEATURES.get("impute").__module__ == "compete.features.impute"  # the built-in is untouched
    models: Registry[type] = Registry("model")
    models.register("a")(int)
    with pytest.raises(
        SpecError, match=r"^model 'a' is registered twice \(builtins.int, then builtins.float\)"
    ):
        models.register("a")(float)
    assert models.get("a") is int


def test_spec_load_checks_built_in_recipes_only(tmp_path: Path) -> None:
    from compete.spec import load_spec

    def spec_in(folder: Path, features: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "competition.toml"
        path.write_text(f'task = "binary"\ntarget = "y"\nid = "id"\n{features}')
        return path

    typo = spec_in(tmp_path / "typo", '[[features]]\nrecipe = "grp_agg"\n')
    with pytest.raises(SpecError, match=r"typo/competition.toml: features\[0\].recipe: unknown recipe 'grp_agg'; "
                                        r"known recipes: .*group_agg.*; or write package.module:Class"):  # fmt: skip
        load_spec(typo)
    param = spec_in(tmp_path / "param", '[[features]]\nrecipe = "group_agg"\nkey = ["a"]\n')
    with pytest.raises(
        SpecError, match=r"param/competition.toml: features\[0\]: recipe 'group_agg' has no parameter 'key'"
    ):
        load_spec(param)
    # names the load cannot decide are left to the run: an import path, or a competition with recipes.py
    assert load_spec(spec_in(tmp_path / "path", '[[features]]\nrecipe = "pkg.mod:Thing"\n')).features
    own = _own_recipe(tmp_path / "own", 2.0)
    assert load_spec(spec_in(own, '[[features]]\nrecipe = "scale_x"\n')).features[0].name == "scale_x"
    recipes = (own / "recipes.py").resolve()
    loaded = [
        m
        for m in list(sys.modules.values())
        if getattr(m, "__file__", None) and Path(m.__file__).resolve() == recipes
    ]
    assert loaded == []  # ... and the load did not import it
