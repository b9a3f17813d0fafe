from pathlib import Path

import pytest

from compete.errors import SpecError
from compete.spec import load_spec, spec_from_dict

BASE = {"task": "binary", "target": "y", "id": "id"}


def spec(**extra):
    return spec_from_dict({**BASE, **extra}, name="t", source="comp.toml")


def test_defaults_fill_metric_cv_and_models():
    s = spec()
    assert (s.metric, s.cv.scheme, s.cv.folds) == ("auc", "stratified", 5)
    assert [m.name for m in s.models] == ["lightgbm", "xgboost", "catboost"]
    assert spec_from_dict({**BASE, "task": "regression"}, name="t").cv.scheme == "kfold"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"colour": "red"}, "comp.toml: colour: unknown key; allowed keys here:"),
        ({"task": "ranking"}, "task: got 'ranking'; allowed values: binary, multiclass, regression"),
        ({"metric": "gini"}, "metric: got 'gini'; allowed values: accuracy, auc, average_precision"),
        ({"metric": "rmse"}, "metric = 'rmse' cannot score a binary task; metrics for binary:"),
        (
            {"cv": {"scheme": "random"}},
            "cv.scheme: got 'random'; allowed values: kfold, stratified, group, time",
        ),
        ({"cv": {"folds": "five"}}, "cv.folds: expected an integer, got 'five' (a string)"),
        ({"cv": {"folds": 1}}, "cv.folds: got 1; need at least 2 folds"),
        ({"cv": {"scheme": "group"}}, "cv.group: scheme 'group' needs cv.group"),
        (
            {"cv": {"scheme": "group", "group": "when", "group_period": "fortnight"}},
            "cv.group_period: got 'fortnight'; allowed values: hour, day, week, month, year",
        ),
        ({"cv": {"group_period": "day"}}, 'cv.group_period: goes with scheme = "group" (got scheme'),
        ({"models": [{"name": "svm"}]}, "models[0].name: got 'svm'; allowed values:"),
        (
            {"models": [{"name": "lightgbm", "depth": 3}]},
            "models[0].depth: unknown key; allowed keys here: alias, distributed, name, params",
        ),
        ({"models": [{"name": "lightgbm"}, {"name": "lightgbm"}]}, "'lightgbm' appears twice"),
        ({"seed": True}, "seed: expected an integer, got True"),
        ({"schema": {"ignore": "Name"}}, "schema.ignore: expected an array, got 'Name'"),
    ],
)
def test_bad_values_name_key_value_and_allowed(extra, message):
    with pytest.raises(SpecError) as err:
        spec(**extra)
    assert message in str(err.value)


def test_missing_required_key():
    with pytest.raises(SpecError, match="target: missing; every spec needs task, target and id"):
        spec_from_dict({"task": "binary", "id": "id"}, name="t", source="comp.toml")


def test_malformed_toml(tmp_path: Path):
    path = tmp_path / "x" / "competition.toml"
    path.parent.mkdir()
    path.write_text('task = "binary\n')
    with pytest.raises(SpecError, match=r"competition.toml: malformed TOML: .*fix the file's syntax"):
        load_spec(path)


def test_steps_keep_their_parameters():
    s = spec(features=[{"recipe": "group_agg", "keys": ["a"]}], resample={"method": "smote", "ratio": 0.5})
    assert s.features[0].name == "group_agg" and s.features[0].params == {"keys": ["a"]}
    assert s.resample is not None and s.resample.params == {"ratio": 0.5}


def test_shipped_specs_are_valid():
    root = Path(__file__).parents[1] / "competitions"
    specs = sorted(root.glob("*/competition.toml"))
    assert specs, "no competition specs shipped"
    for path in specs:
        assert load_spec(path).name == path.parent.name


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"ensemble": {"method": "hillclimb"}},
            "comp.toml: ensemble.method: got 'hillclimb'; allowed values: none, geometric, hill_climb, mean, "
            "rank, stacking",
        ),
        (
            {"ensemble": {"method": "hill_climb", "iters": 50}},
            "comp.toml: ensemble.iters: unknown parameter for method 'hill_climb'; allowed: bags, n_iter, tolerance",
        ),
        (
            {"ensemble": {"method": "hill_climb", "bags": 0}},
            "comp.toml: ensemble.bags: got 0; give 1 (no bagging) or more bootstrap bags, e.g. bags = 20",
        ),
        (
            {"ensemble": {"method": "hill_climb", "n_iter": "many"}},
            "comp.toml: ensemble.n_iter: got 'many'; method 'hill_climb' takes a whole number here (default 100)",
        ),
        (
            {"ensemble": {"method": "mean", "weights": {"lightgbm": 2, "svm": 1}}},
            "comp.toml: ensemble.weights: names unknown model(s) ['svm']; models: lightgbm, xgboost, catboost",
        ),
        (
            {"ensemble": {"method": "rank", "weights": {"lightgbm": -1}}},
            "comp.toml: ensemble.weights: got {'lightgbm': -1}; weights must be numbers >= 0 with a positive sum",
        ),
        (
            {"ensemble": {"method": "stacking", "levels": 4}},
            "comp.toml: ensemble.levels: got 4; allowed: 2 or 3",
        ),
        (
            {"ensemble": {"method": "stacking", "meta": "svm"}},
            "comp.toml: ensemble.meta: got 'svm'; models: bag, boost, catboost",
        ),
        (
            {"ensemble": {"method": "stacking", "level2_params": {"xgboost": {}}}},
            "comp.toml: ensemble.level2_params: names 'xgboost', not one of level2 = ['linear', 'lightgbm']",
        ),
        (
            {"ensemble": {"method": "none", "weights": {}}},
            "comp.toml: ensemble.weights: method 'none' takes no",
        ),
        (
            {"resample": {"method": "smot"}},
            "comp.toml: resample.method: got 'smot'; allowed values: adasyn, borderline_smote, class_weight, none",
        ),
        (
            {"resample": {"method": "smote", "neighbours": 3}},
            "comp.toml: resample.neighbours: unknown parameter for method 'smote' (imbalanced-learn SMOTE); "
            "allowed: k_neighbors, random_state, ratio, sampling_strategy",
        ),
        (
            {"resample": {"method": "random_under", "ratio": 2}},
            "comp.toml: resample.ratio: got 2; allowed: a number",
        ),
        (
            {"task": "regression", "resample": {"method": "smote"}},
            "comp.toml: resample.method: resample method 'smote' needs a classification target, but the task is "
            "'regression'",
        ),
        (
            {"features": [{"recipe": "impute"}, {"recipe": "grp_agg"}]},
            "comp.toml: features[1].recipe: unknown recipe 'grp_agg'; known recipes: as_category, count_encode",
        ),
        (
            {"features": [{"recipe": "group_agg", "key": ["c"]}]},
            "comp.toml: features[0]: recipe 'group_agg' has no parameter 'key'; known parameters: aggs",
        ),
        (
            {"tune": {"lightgbm": {"gamma": {"low": 0.1, "high": 1.0}}}},
            "comp.toml: tune.lightgbm.gamma: not in lightgbm's search space, so it cannot be narrowed",
        ),
        ({"tune": {"svm": {"C": 1}}}, "comp.toml: tune.svm: no model 'svm' in the spec or the registry"),
        (
            {"tune": {"linear": {"C": 1}}},
            "comp.toml: tune.linear: model 'linear' has no search space; tunable models: catboost, lightgbm, xgboost",
        ),
    ],
)
def test_components_are_checked_at_load_not_after_the_models(extra, message):
    # before, each of these passed the load and failed only after every model was cross-fitted
    with pytest.raises(SpecError) as err:
        spec(**extra)
    assert message in str(err.value)


def test_components_that_are_fine_load():
    s = spec(
        models=[{"name": "lightgbm"}, {"name": "xgboost", "alias": "xgb"}],
        ensemble={"method": "mean", "weights": {"lightgbm": 2, "xgb": 1}},
        resample={"method": "class_weight", "power": 0.5},
        features=[{"recipe": "pkg.module:Thing"}, {"recipe": "group_agg", "keys": ["c"]}],
        tune={
            "xgb": {"max_depth": [3, 4]},
            "lightgbm": {"num_leaves": {"low": 8, "high": 64}, "max_bin": 63},
        },
    )
    assert (s.ensemble.name, s.resample.name, len(s.features)) == ("mean", "class_weight", 2)
    assert spec(ensemble={"method": "stacking", "meta": "lightgbm", "levels": 3, "features": True}).ensemble
    assert spec(ensemble={"method": "hill_climb", "tolerance": 0}, resample={"method": "none"}).ensemble
