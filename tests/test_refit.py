"""The full-data refit (compete.run.refit): the final choice's fits refitted on every training row, with
the folds' rounds scaled for the larger data and several seeds, for the test predictions only; the OOF
predictions and every CV stay the folds'; ``compete predict`` replays the refitted models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from compete.cli import app
from tests.test_predict import RECIPES, THREE, predict, run


@pytest.mark.parametrize(
    ("task", "metric", "ensemble"),
    [
        ("binary", "auc", '[ensemble]\nmethod = "hill_climb"\n'),
        ("multiclass", "accuracy", '[ensemble]\nmethod = "stacking"\nfeatures = true\n'),
    ],
)
def test_refit_changes_the_test_predictions_only_and_predict_replays_it(competition, tmp_path, task, metric,
                                                                        ensemble):  # fmt: skip
    comps = competition(task=task, metric=metric, models=THREE + "\n" + RECIPES + ensemble)
    plain, refit = run(comps), run(comps, refit=True)
    scores = [json.loads((r.path / "scores.json").read_text()) for r in (plain, refit)]
    assert "refit" not in scores[0]
    info = scores[1]["refit"]
    assert info["rows"] == 240 and info["scale"] == pytest.approx(1.5, abs=0.01)  # 3 folds: 240 / 160 rows
    refitted = [label for group in info["refitted"] for label in group["labels"]]
    assert refitted and all(group["seeds"] == 3 for group in info["refitted"])
    # the rounds: the folds' mean best round (counted from 1) times the rows' ratio
    first = info["refitted"][0]
    model = scores[1]["models"][first["labels"][0]]
    if first["rounds"] is not None:
        offset = 0 if first["labels"][0].startswith("lightgbm") else 1
        want = round(np.mean([b + offset for b in model["best_iterations"]]) * info["scale"])
        assert first["rounds"] == want
    # OOF and CV are the folds', untouched; the refitted fits' test predictions are new
    oof = [pd.read_parquet(r.path / "oof.parquet") for r in (plain, refit)]
    pd.testing.assert_frame_equal(oof[0], oof[1])
    assert scores[0]["cv"] == scores[1]["cv"]
    test = [pd.read_parquet(r.path / "test.parquet") for r in (plain, refit)]
    for label in test[0].columns:
        changed = not np.allclose(test[0][label], test[1][label])
        base = label.split("__")[0]  # a multiclass column is "<label>__k"
        assert changed == (base in refitted or base == scores[1]["final"]), label
    # compete predict replays the refitted models: the run's own submission, byte for byte
    out = tmp_path / "pred.csv"
    done = predict(comps, refit.path, comps.parent / "data" / "toy" / "test.csv", out)
    assert done.exit_code == 0, done.output
    assert out.read_bytes() == refit.submission.read_bytes()


def test_a_budget_keeps_time_back_for_the_refit_and_records_it(competition):
    comps = competition(models=THREE)
    res = run(comps, time_budget=25)
    summary = json.loads((res.path / "scores.json").read_text())
    steps = [s for s in summary["budget"]["steps"] if s["step"] == "refit"]
    assert len(steps) == 1 and steps[0]["fit_seconds"] > 0
    assert steps[0]["after"] == summary["refit"]["refitted"][0]["labels"][0]
    assert summary["budget"]["spent"] < 25


def test_no_time_left_refits_nothing_and_keeps_the_fold_predictions(competition):
    from compete.cv.foldloop import cross_fit
    from compete.run.options import RunOptions
    from compete.run.refit import refit_full
    from compete.run.result import Final
    from compete.run.runner import prepare_for_run
    from compete.spec import ModelSpec

    comps = competition(models=THREE)
    ctx = prepare_for_run(RunOptions("toy", comps, comps.parent / "data", None, comps.parent / "runs")).ctx
    fit = cross_fit(ctx, ModelSpec("lightgbm", {"n_estimators": 30}))
    before = fit.test.copy()
    final = Final(fit.label, fit.oof, fit.test, fit.score)
    notes: list = []
    out = refit_full(ctx, [fit], final, seeds=2, device="cpu", greater_is_better=True, left=lambda: 0.0,
                     report=notes.append)  # fmt: skip
    assert out is None and final.test is fit.test and (fit.test == before).all()
    assert "skipped, the time left covers no fit" in notes[-1].text


def test_refit_seeds_below_one_is_refused_by_name(competition):
    comps = competition(extra="[refit]\nseeds = 0\n")
    args = ["run", "toy", "--competitions", str(comps), "--data-root", str(comps.parent / "data"),
            "--runs-dir", str(comps.parent / "runs")]  # fmt: skip
    done = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert done.exit_code == 2, done.output
    assert "refit.seeds" in done.output and "at least 1 seed" in done.output
    assert not (comps.parent / "runs" / "toy").exists()


def test_a_refit_that_fails_keeps_the_fold_predictions_and_says_why(competition, monkeypatch):
    from compete.cv.foldloop import cross_fit
    from compete.errors import ModelError
    from compete.models.lightgbm import LightGBMModel
    from compete.run.options import RunOptions
    from compete.run.refit import refit_full
    from compete.run.result import Final
    from compete.run.runner import prepare_for_run
    from compete.spec import ModelSpec

    comps = competition(models=THREE)
    ctx = prepare_for_run(RunOptions("toy", comps, comps.parent / "data", None, comps.parent / "runs")).ctx
    fit = cross_fit(ctx, ModelSpec("lightgbm", {"n_estimators": 30}))
    before = fit.test.copy()
    final = Final(fit.label, fit.oof, fit.test, fit.score)

    def broken(self, *args, **kwargs):
        raise ModelError("no rows left after a recipe")

    monkeypatch.setattr(LightGBMModel, "_fit", broken)
    notes: list = []
    assert (
        refit_full(ctx, [fit], final, seeds=2, device="cpu", greater_is_better=True, report=notes.append)
        is None
    )
    assert (fit.test == before).all() and final.test is fit.test
    assert [n.text for n in notes] == ["refit of lightgbm on all rows failed (ModelError: no rows left after a "
                                       "recipe); its fold models' predictions are kept"]  # fmt: skip
