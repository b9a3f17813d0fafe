"""Issue 14's defects found by reading the code, each pinned by a test that failed before its fix:
stacking with the original features from a spec, the budget's tuner catching only what a fit may
meet, ``--device auto`` falling back only for an unusable GPU, and the budget's clock starting
with the command."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from compete.cli import app
from compete.errors import ModelError
from compete.models.base import Model
from compete.run.options import RunOptions
from compete.run.runner import prepare_for_run, run_competition
from compete.tune.budget import BudgetTuner
from tests.test_budget import opts

TWO = (
    '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 30}\n\n'
    '[[models]]\nname = "linear"\n\n'
    '[ensemble]\nmethod = "stacking"\nfeatures = true\n'
)


def test_stacking_with_the_original_features_runs_from_a_spec(competition):
    comps = competition(models=TWO)
    res = run_competition(opts(comps))
    ens = res.info["ensemble"]
    assert ens["method"] == "stacking" and np.isfinite(ens["score"])
    assert len(pd.read_csv(res.submission)) == 120


def _first_fit(comps):
    prep = prepare_for_run(opts(comps, models=["lightgbm"]))
    from compete.cv.foldloop import cross_fit
    from compete.spec import ModelSpec

    return prep, cross_fit(prep.ctx, ModelSpec("lightgbm", {"n_estimators": 20, "learning_rate": 0.1}))


def test_a_bug_in_a_tuning_turn_is_recorded_as_an_error_not_as_no_better_fit(competition, monkeypatch):
    prep, base = _first_fit(competition())
    tuner = BudgetTuner(prep, base)

    def bug(*args, **kwargs):
        raise KeyError("a bug, not a fit that failed")

    monkeypatch.setattr("compete.cv.foldloop.cross_fit", bug)
    fit, turn = tuner.turn(5.0, "lightgbm#tuned1")
    assert fit is None and turn.error.startswith("KeyError: 'a bug, not a fit that failed'")
    assert turn.as_step()["error"] == turn.error and turn.failed == 1


def test_a_fit_that_fails_for_its_parameters_is_a_failed_trial_and_the_turn_goes_on(competition, monkeypatch):
    import lightgbm as lgb

    from compete.cv import foldloop

    prep, base = _first_fit(competition())
    tuner = BudgetTuner(prep, base)
    real, calls = foldloop.cross_fit, []

    def sometimes(*args, **kwargs):
        calls.append(1)
        if len(calls) % 2:
            raise lgb.basic.LightGBMError("cannot split: a parameter the library refuses")
        return real(*args, **kwargs)

    monkeypatch.setattr("compete.cv.foldloop.cross_fit", sometimes)
    _, turn = tuner.turn(5.0, "lightgbm#tuned1")
    assert turn.error == "" and turn.failed >= 1 and turn.trials > turn.failed


class _GpuModel(Model):
    """A model whose GPU fit raises ``error``; its CPU fit works."""

    name = "gpu_test"
    error: Exception = RuntimeError()

    def _fit(self, X, y, valid, weight, params, device):
        if device == "gpu":
            raise type(self).error
        return "fitted"

    def _predict(self, X):
        return np.zeros(len(X))


@pytest.mark.parametrize(
    ("error", "falls_back"),
    [
        (RuntimeError("No OpenCL device found"), True),  # LightGBM without a usable GPU
        (RuntimeError("CUDA error: no CUDA-capable device is detected"), True),
        (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),  # the GPU is too small
        (KeyError("num_leaves"), False),  # the fit's own bug: raised, not hidden by a CPU refit
        (ValueError("Input contains NaN"), False),
    ],
)
def test_device_auto_falls_back_only_when_the_gpu_is_unusable(error, falls_back):
    _GpuModel.error = error
    model = _GpuModel(task="regression", device="auto")
    X, y = pd.DataFrame({"a": [1.0, 2.0]}), np.array([1.0, 2.0])
    if falls_back:
        assert model.fit(X, y).device_ == "cpu" and model.gpu_error_ == str(error)
    else:
        with pytest.raises(type(error)):
            model.fit(X, y)


def test_the_budget_clock_starts_when_the_command_starts(competition, monkeypatch):
    import compete.run.runner as runner

    seen: list[RunOptions] = []

    def capture(o: RunOptions, report=None):
        seen.append(o)
        raise ModelError("stop here: the options are what this test looks at")

    monkeypatch.setattr(runner, "run_competition", capture)
    time.sleep(0.3)  # compete.cli was imported before this test: a clock started then is 0.3 s older
    before = time.monotonic()
    comps = competition()
    res = CliRunner().invoke(
        app, ["run", "toy", "--competitions", str(comps), "--time-budget", "30", "--json"]
    )
    assert res.exit_code == 2 and seen and seen[0].started is not None and seen[0].started >= before


def test_a_run_note_reaches_the_ledger(competition):
    comps = competition()
    root = comps.parent
    args = ["run", "toy", "--competitions", str(comps), "--data-root", str(root / "data"), "--runs-dir",
            str(root / "runs"), "-m", "first try, defaults"]  # fmt: skip
    assert CliRunner().invoke(app, args).exit_code == 0
    from compete.records.runs import list_runs

    assert list_runs(root / "runs", "toy")[0]["note"] == "first try, defaults"
    assert json.loads((next((root / "runs" / "toy").iterdir()) / "scores.json").read_text())["final"]


def test_a_catboost_tuning_turn_keeps_its_budget_settings_unless_the_spec_tunes_them(competition):
    """CatBoost's first pass under a budget one-hot encodes small categoricals (its ``fast_params``):
    the turn's trials keep that setting and the rate, or they would be as slow as its default ctrs."""
    from compete.cv.foldloop import cross_fit
    from compete.run.plan import fast_params
    from compete.spec import ModelSpec

    comps = competition(models='[[models]]\nname = "catboost"\nparams = {iterations = 30}\n')
    prep = prepare_for_run(opts(comps))
    assert fast_params("catboost") == {"learning_rate": 0.1, "one_hot_max_size": 64}
    base = cross_fit(prep.ctx, ModelSpec("catboost", {"iterations": 30, **fast_params("catboost")}))
    tuner = BudgetTuner(prep, base)
    assert tuner.overrides == {"learning_rate": 0.1, "one_hot_max_size": 64, "depth": {"low": 4, "high": 8}}
    _, turn = tuner.turn(6.0, "catboost#tuned1")
    drawn = [t.user_attrs["params"] for t in tuner.study.trials if "params" in t.user_attrs]
    assert turn.trials >= 1 and drawn
    assert all(
        p["one_hot_max_size"] == 64 and p["learning_rate"] == 0.1 and 4 <= p["depth"] <= 8 for p in drawn
    )
    assert all("l2_leaf_reg" in p for p in drawn)  # the rest is drawn from the space

    spec = comps / "toy" / "competition.toml"  # the spec's own range for it is honoured
    spec.write_text(spec.read_text() + "\n[tune.catboost]\none_hot_max_size = {low = 2, high = 8}\n")
    prep = prepare_for_run(opts(comps))
    assert BudgetTuner(prep, base).overrides == {
        "one_hot_max_size": {"low": 2, "high": 8},
        "learning_rate": 0.1,
        "depth": {"low": 4, "high": 8},
    }
