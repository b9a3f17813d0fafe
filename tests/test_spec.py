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
            "models[0].depth: unknown key; allowed keys here: alias, name, params",
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
