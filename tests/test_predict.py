"""A run keeps its fitted pipeline, and ``compete predict`` replays it: on the run's own test.csv it
writes the run's submission byte for byte; new rows with a missing or extra column get clear errors,
an unseen category is handled as ``run`` handles it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from compete.cli import app
from compete.run.options import RunOptions
from compete.run.runner import run_competition
from tests.conftest import make_frames

THREE = (
    '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 40}\n\n'
    '[[models]]\nname = "xgboost"\nparams = {n_estimators = 40}\n\n'
    '[[models]]\nname = "catboost"\nparams = {iterations = 40}\n\n'
    '[[models]]\nname = "linear"\n'
)
RECIPES = '[[features]]\nrecipe = "target_mean"\ncolumns = ["c"]\n\n[[features]]\nrecipe = "date_parts"\n'


def run(comps: Path, **kw):
    root = comps.parent
    return run_competition(RunOptions("toy", comps, root / "data", None, root / "runs", device="cpu", **kw))


def predict(comps: Path, run_dir: Path, data: Path, out: Path):
    args = [
        "predict",
        str(run_dir),
        "--data",
        str(data),
        "-o",
        str(out),
        "--runs-dir",
        str(comps.parent / "runs"),
    ]
    return CliRunner().invoke(app, args, env={"COLUMNS": "200"})


@pytest.mark.parametrize(
    ("task", "metric", "ensemble"),
    [
        ("binary", "auc", '[ensemble]\nmethod = "hill_climb"\n'),
        ("binary", "accuracy", ""),  # labels through an OOF-chosen threshold
        ("multiclass", "accuracy", '[ensemble]\nmethod = "stacking"\nfeatures = true\n'),
        ("regression", "rmsle", '[ensemble]\nmethod = "mean"\n'),
    ],
)
def test_predict_on_the_runs_own_test_set_writes_its_submission_byte_for_byte(competition, tmp_path, task, metric,
                                                                              ensemble):  # fmt: skip
    comps = competition(task=task, metric=metric, models=THREE + "\n" + RECIPES + ensemble)
    res = run(comps)
    kept = json.loads((res.path / "scores.json").read_text())["artifacts"]
    assert kept["bytes"] > 0 and kept["files"] >= 4
    out = tmp_path / "pred.csv"
    done = predict(comps, res.path, comps.parent / "data" / "toy" / "test.csv", out)
    assert done.exit_code == 0, done.output
    assert "predicted 120 rows" in done.output
    assert out.read_bytes() == res.submission.read_bytes()


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize(("name", "suffix"), [("lightgbm", ".txt"), ("xgboost", ".ubj"), ("catboost", ".cbm"),
                                              ("linear", None), ("random_forest", None)])  # fmt: skip
def test_a_fitted_model_saved_in_its_librarys_format_predicts_the_same(tmp_path, name, suffix, task):
    from compete.models import make_model
    from compete.models.base import Model
    from tests.test_models import FAST, X, Y

    model = make_model(name, task, FAST.get(name, {}), random_state=1).fit(
        X[:200], Y[task][:200], X[200:], Y[task][200:]
    )
    files = model.save(tmp_path / "fold0")
    assert [f.suffix for f in files] == [".joblib", suffix] if suffix else [".joblib"]
    again = Model.load(files)
    assert (again.predict_raw(X[200:]) == model.predict_raw(X[200:])).all()


def test_new_rows_missing_a_column_or_with_an_extra_one_are_refused(competition, tmp_path):
    comps = competition()
    res = run(comps)
    _, test = make_frames()
    test.drop(columns="x").to_csv(tmp_path / "missing.csv", index=False)
    done = predict(comps, res.path, tmp_path / "missing.csv", tmp_path / "p.csv")
    assert done.exit_code == 2 and "missing.csv: lacks the training columns ['x']" in " ".join(
        done.output.split()
    )
    test.assign(extra=1).to_csv(tmp_path / "extra.csv", index=False)
    done = predict(comps, res.path, tmp_path / "extra.csv", tmp_path / "p.csv")
    assert done.exit_code == 2 and "has columns the training data lacked: ['extra']" in " ".join(
        done.output.split()
    )
    assert not (tmp_path / "p.csv").exists()


def test_an_unseen_category_reads_as_missing_as_in_a_run(competition, tmp_path):
    comps = competition()
    res = run(comps)
    _, test = make_frames()
    unseen, missing = test.assign(c="never-seen"), test.assign(c=None)
    unseen.to_csv(tmp_path / "unseen.csv", index=False)
    missing.to_csv(tmp_path / "missing.csv", index=False)
    for name in ("unseen", "missing"):
        assert predict(comps, res.path, tmp_path / f"{name}.csv", tmp_path / f"{name}-p.csv").exit_code == 0
    assert (tmp_path / "unseen-p.csv").read_bytes() == (tmp_path / "missing-p.csv").read_bytes()


def test_no_models_keeps_no_artifacts_and_predict_says_how_to_get_them(competition, tmp_path):
    comps = competition()
    root = comps.parent
    args = ["run", "toy", "--competitions", str(comps), "--data-root", str(root / "data"), "--runs-dir",
            str(root / "runs"), "--no-models"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    run_dir = next((root / "runs" / "toy").iterdir())
    assert not (run_dir / "artifacts").exists()
    assert "artifacts" not in json.loads((run_dir / "scores.json").read_text())
    done = predict(comps, Path("toy/latest"), root / "data" / "toy" / "test.csv", tmp_path / "p.csv")
    assert done.exit_code == 2 and "the run kept no fitted models" in " ".join(done.output.split())


def test_a_competitions_own_recipes_travel_with_the_run(tmp_path):
    """A recipe from competitions/<name>/recipes.py is pickled with the run; predict loads the copy the
    run kept, so the artifacts work after the competition's folder is gone."""
    from tests.conftest import write_competition

    recipes = (
        "import pandas as pd\nfrom sklearn.base import BaseEstimator, TransformerMixin\n"
        "from compete.features import FEATURES\n\n"
        "@FEATURES.register('double_x')\nclass DoubleX(TransformerMixin, BaseEstimator):\n"
        "    def fit(self, X, y=None):\n        return self\n"
        "    def transform(self, X):\n        return X.assign(x2=X['x'] * 2)\n"
    )
    comps = write_competition(tmp_path, extra='[[features]]\nrecipe = "double_x"\n')
    (comps / "toy" / "recipes.py").write_text(recipes)
    res = run(comps)
    (comps / "toy" / "recipes.py").unlink()
    out = tmp_path / "pred.csv"
    assert predict(comps, res.path, tmp_path / "data" / "toy" / "test.csv", out).exit_code == 0
    assert out.read_bytes() == res.submission.read_bytes()
    assert pd.read_csv(out).shape == (120, 2)


def test_a_joined_table_travels_with_the_run_and_new_rows_need_its_key(tmp_path):
    """A ``[[join]]`` table (Rossmann's store.csv) is joined to new rows as to the run's, from the copy
    the run kept; new rows without the join key are refused, naming it."""
    from tests.conftest import write_competition

    train, test = make_frames()
    train["store"], test["store"] = train["id"] % 7, test["id"] % 7
    comps = write_competition(
        tmp_path, train=train, test=test, extra='[[join]]\nfile = "stores.csv"\non = "store"\n'
    )
    data = tmp_path / "data" / "toy"
    pd.DataFrame({"store": range(7), "size": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0]}).to_csv(
        data / "stores.csv", index=False
    )
    res = run(comps)
    (data / "stores.csv").unlink()  # predict reads the run's own copy
    out = tmp_path / "pred.csv"
    assert predict(comps, res.path, data / "test.csv", out).exit_code == 0
    assert out.read_bytes() == res.submission.read_bytes()
    test.drop(columns="store").to_csv(tmp_path / "nokey.csv", index=False)
    done = predict(comps, res.path, tmp_path / "nokey.csv", tmp_path / "p.csv")
    assert (
        done.exit_code == 2
        and "join with stores.csv: key 'store' is not a column of nokey.csv" in " ".join(done.output.split())
    )
