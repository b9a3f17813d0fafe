"""`compete ensemble` over past runs, and the final step of `run` (ensemble choice, thresholds)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_frames

from compete.errors import RunError
from compete.run.blend import ensemble_runs
from compete.run.options import RunOptions
from compete.run.runner import run_competition

TWO_MODELS = '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 40}\n\n[[models]]\nname = "linear"\n'


def opts(comps: Path, **kw) -> RunOptions:
    root = comps.parent
    return RunOptions("toy", comps, root / "data", None, root / "runs", device="cpu", **kw)


def test_run_with_two_models_records_the_ensemble(competition):
    comps = competition()
    spec = comps / "toy" / "competition.toml"
    spec.write_text(spec.read_text().split("[[models]]")[0] + TWO_MODELS)
    res = run_competition(opts(comps))
    ens = res.info["ensemble"]
    assert ens["method"] == "hill_climb" and set(ens["weights"]) == {"lightgbm", "linear"}
    best_single = max(s.cv for s in res.scores.values())
    assert res.cv_score == (ens["score"] if ens["chosen"] else best_single)
    assert (res.path / "roc.svg").exists() and (res.path / "precision_recall.svg").exists()


def test_label_metric_threshold_is_chosen_on_oof_and_scored_cross_fitted(competition):
    comps = competition(metric="accuracy")
    res = run_competition(opts(comps))
    t = res.info["threshold"]
    assert 0 < t["threshold"] < 1
    assert t["cv_score"] <= t["score"] + 1e-12
    assert res.cv_score == (t["cv_score"] if t["used"] else t["default_score"])
    assert t["used"] == (t["gain"] > t["noise"] and t["gain"] > 0)  # beyond the fold noise, cross-fitted
    scores = json.loads((res.path / "scores.json").read_text())
    assert scores["threshold"]["threshold"] == t["threshold"]


def test_a_tuned_threshold_that_does_not_beat_the_default_cut_is_not_used(competition):
    # classes split exactly by x: the default cut is already perfect on OOF, so no tuned cut is better
    tr, te = make_frames(n=240)
    tr["x"], te["x"] = tr["x"].fillna(0.0), te["x"].fillna(0.0)
    tr["y"] = np.where(tr["x"] > 0.2, "yes", "no")
    comps = competition(metric="accuracy", train=tr, test=te)
    res = run_competition(opts(comps))
    t = res.info["threshold"]
    assert t["used"] is False and res.cv_score == t["default_score"] == 1.0
    test_p = pd.read_parquet(res.path / "test.parquet")[res.final].to_numpy()
    sub = pd.read_csv(res.submission)
    assert (sub["y"] == np.where(test_p >= 0.5, "yes", "no")).all()  # the default cut labels the submission


def test_a_tuned_threshold_is_used_when_its_gain_beats_the_fold_noise(competition):
    # 1 row in 9 positive on a weak signal: hardly a probability reaches 0.5, so the default cut finds
    # almost no positives (F1 near 0) and a lower cut scores a much better F1 in every fold
    rng = np.random.default_rng(4)
    x = rng.normal(size=3000)
    y = np.where(rng.random(3000) < 1 / (1 + np.exp(-(1.0 * x - 2.5))), "yes", "no")
    frame = pd.DataFrame({"id": np.arange(3000), "x": x, "y": y})
    comps = competition(metric="f1", train=frame.iloc[:2400], test=frame.iloc[2400:].drop(columns="y"))
    spec = comps / "toy" / "competition.toml"
    spec.write_text(spec.read_text().replace('task = "binary"', 'task = "binary"\npositive = "yes"'))
    res = run_competition(opts(comps))
    t = res.info["threshold"]
    assert t["used"] is True and t["gain"] > t["noise"] > 0 and t["threshold"] < 0.5
    assert res.cv_score == t["cv_score"] > t["default_score"]


def test_ensemble_of_runs_and_mismatched_folds(competition):
    comps = competition()
    a = run_competition(opts(comps, seed=5))
    b = run_competition(opts(comps, seed=5, models=["linear"]))
    res = ensemble_runs(opts(comps), [a.run_id, b.run_id], "mean")
    assert res.final == "ensemble:mean" and res.submission.exists()
    other = run_competition(opts(comps, seed=6))
    with pytest.raises(RunError, match="was made with different folds .* cannot be blended or stacked"):
        ensemble_runs(opts(comps), [a.run_id, other.run_id], "hill_climb")
    with pytest.raises(RunError, match="names run .* twice"):
        ensemble_runs(opts(comps), [a.run_id, a.run_id], "mean")
