"""``compete tune``: the study's objective, pruning, resume after kill -9, best parameters for ``run``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compete.cv.foldloop import cross_fit
from compete.data.prepared import prepare_run, resolve_spec
from compete.errors import SpecError
from compete.run.options import RunOptions
from compete.run.runner import prepare_for_run
from compete.tune.naming import data_fingerprint, search_overrides, study_name
from compete.tune.params import best_params, resolve_params, study_report
from compete.tune.storage import storage_url
from compete.tune.study import TuneOptions, tune
from tests import conftest

REPO = Path(__file__).parents[1]
FAST = {"min_child_samples": 5, "min_data_per_group": 10}


TUNE_MODELS = '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 40, n_jobs = 1}\n'


def write_competition(
    root: Path, task: str = "binary", models: str = "", name: str = "toy", n: int = 240
) -> Path:
    """A small competition whose models run single-threaded; returns the competitions folder."""
    return conftest.write_competition(root, task=task, models=models or TUNE_MODELS, name=name, n=n)


def options(root: Path, **kw) -> TuneOptions:
    base = dict(competition="toy", model="lightgbm", trials=3, device="cpu", competitions_dir=root / "competitions",
                data_root=root / "data", runs_dir=root / "runs", search=dict(FAST), heartbeat=1)  # fmt: skip
    return TuneOptions(**{**base, **kw})


def test_objective_is_the_run_fold_loop_and_study_continues(tmp_path: Path):
    write_competition(tmp_path)
    first = tune(options(tmp_path, trials=2))
    assert first.trials_run == 2 and first.direction == "maximize" and first.best_params is not None
    # the best value is exactly the CV score of `run`'s fold loop with those parameters
    opts = RunOptions(
        "toy", tmp_path / "competitions", tmp_path / "data", None, tmp_path / "runs", device="cpu"
    )
    prep = prepare_for_run(opts)
    spec_model = prep.spec.models[0]
    again = cross_fit(prep.ctx, type(spec_model)(spec_model.name, first.best_params), device="cpu")
    assert again.score == pytest.approx(first.best_value)
    second = tune(options(tmp_path, trials=2))
    assert second.study == first.study and second.total_trials == 4
    history = study_report(options(tmp_path))["history"]
    assert [t["number"] for t in history] == [0, 1, 2, 3]


def test_pruning_stops_hopeless_trials_after_a_fold(tmp_path: Path):
    write_competition(tmp_path, task="regression",
                      models='[[models]]\nname = "lightgbm"\nparams = {n_estimators = 30, n_jobs = 1}\n')  # fmt: skip
    search = {**FAST, "learning_rate": {"choices": [1e-6, 0.3]}}
    result = tune(options(tmp_path, trials=14, search=search, in_fold_pruning=False))
    report = study_report(options(tmp_path, search=search))
    pruned = [t for t in report["history"] if t["state"] == "pruned"]
    assert result.pruned == len(pruned) >= 1 and all(t["note"].startswith("after fold") for t in pruned)
    assert report["best"]["params"]["learning_rate"] == 0.3


@pytest.mark.parametrize("model", ["xgboost", "catboost"])
def test_boosted_trees_prune_inside_a_fold(tmp_path: Path, model: str):
    write_competition(tmp_path, task="regression")
    # trees that cannot split (min_child_weight 1e6) or whose leaves stay at 0 (l2_leaf_reg 1e8) never
    # learn: hopeless at the first progress mark
    search = {
        "xgboost": {
            "min_child_weight": {"choices": [1e6, 1.0]},
            "n_estimators": 400,
            "n_jobs": 1,
            "max_depth": 3,
        },
        "catboost": {
            "l2_leaf_reg": {"choices": [1e8, 1.0]},
            "iterations": 400,
            "thread_count": 1,
            "depth": 3,
        },
    }[model] | {"learning_rate": 0.3}
    result = tune(options(tmp_path, model=model, trials=12, search=search))
    notes = [t["note"] for t in study_report(options(tmp_path, model=model, search=search))["history"]]
    assert result.pruned >= 1 and any(n.startswith("fold") and "round" in n for n in notes), notes


def test_run_picks_up_the_best_parameters(tmp_path: Path):
    comps = write_competition(tmp_path)
    run_opts = RunOptions("toy", comps, tmp_path / "data", runs_dir=tmp_path / "runs", device="cpu")
    spec = resolve_spec(run_opts)
    data = data_fingerprint(prepare_run(run_opts, spec, run_opts.device).ctx)
    calls: list[str] = []

    def fingerprint() -> str:
        calls.append(data)
        return data

    runs = tmp_path / "runs"
    assert resolve_params(spec, "best", runs_dir=runs, fingerprint=fingerprint) == (spec, [])  # no study yet
    assert not calls  # ... and with no study file the data's fingerprint is not even computed
    assert not (tmp_path / "runs" / "optuna.sqlite3").exists()  # a look-up creates nothing
    result = tune(options(tmp_path, trials=2, search={}))
    tuned, notes = resolve_params(spec, "best", runs_dir=tmp_path / "runs", fingerprint=data)
    assert tuned.models[0].params == {**spec.models[0].params, **result.best_params}
    assert notes and result.study in notes[0]
    assert (
        best_params("toy", "lightgbm", spec, runs_dir=tmp_path / "runs", fingerprint=data)
        == result.best_params
    )
    assert resolve_params(spec, "default", runs_dir=tmp_path / "runs") == (spec, [])
    other = spec.__class__(**{**spec.__dict__, "cv": spec.cv.__class__(folds=4)})
    assert (
        resolve_params(other, "best", runs_dir=tmp_path / "runs", fingerprint=data)[0] == other
    )  # another spec: another study
    assert resolve_params(spec, "best", runs_dir=tmp_path / "runs", fingerprint="other data")[0] == spec
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"num_leaves": 7}))
    from_file, _ = resolve_params(spec, str(path))
    assert from_file.models[0].params == {**spec.models[0].params, "num_leaves": 7}


def test_spec_fixed_and_narrowed_parameters(tmp_path: Path):
    import optuna

    write_competition(tmp_path)
    search = {"learning_rate": {"low": 0.05, "high": 0.06}, "num_leaves": [4, 5], "max_bin": 63}
    result = tune(options(tmp_path, trials=3, search={**FAST, **search}))
    study = optuna.load_study(study_name=result.study, storage=storage_url(None, tmp_path / "runs"))
    drawn = [t.user_attrs["params"] for t in study.trials]  # every trial's parameters, not only the best's
    assert len(drawn) == 3
    for trial_params in drawn:
        assert 0.05 <= trial_params["learning_rate"] <= 0.06 and trial_params["num_leaves"] in (4, 5)
        assert trial_params["max_bin"] == 63 and trial_params["n_estimators"] == 40
    assert study_report(options(tmp_path, search={**FAST, **search}))["best"]["params"] in drawn


@pytest.mark.parametrize(
    "search,message",
    [
        ({"num_leaves": {"low": 9}}, "tune.lightgbm.num_leaves: got {'low': 9}; write {low = A, high = B}"),
        ({"num_leaves": {"low": 9, "high": 3}}, "tune.lightgbm.num_leaves: low 9 is above high 3"),
        ({"gamma": {"low": 0.1, "high": 1.0}}, "tune.lightgbm.gamma: not in lightgbm's search space"),
    ],
)
def test_bad_search_overrides_are_named(tmp_path: Path, search: dict, message: str):
    write_competition(tmp_path)
    with pytest.raises(SpecError, match=None) as err:
        tune(options(tmp_path, search=search))
    assert message in str(err.value)
    assert not (tmp_path / "runs").exists()


def test_needs_a_stopping_rule_and_a_tunable_model(tmp_path: Path):
    comps = write_competition(tmp_path)
    with pytest.raises(SpecError, match="tune needs --trials N or --timeout SECONDS"):
        tune(options(tmp_path, trials=None))
    with pytest.raises(SpecError, match="--model 'linear' has no search space; tunable models: catboost"):
        tune(options(tmp_path, model="linear"))
    spec = resolve_spec(RunOptions("toy", comps))
    assert search_overrides(spec, spec.models[0], {"max_bin": 63}) == {"max_bin": 63}


def test_timeout_is_kept_even_inside_a_long_fold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_competition(tmp_path, n=2000)
    search = {**FAST, "n_estimators": 100_000, "learning_rate": 1e-4}  # one fold would take minutes
    ticks = iter(range(10**9))  # tune's clock moves 1 ms a reading: the timeout falls inside fold 0,
    monkeypatch.setattr(
        "compete.tune.objective.clock", lambda: next(ticks) / 1000
    )  # however busy the machine
    result = tune(options(tmp_path, trials=None, timeout=4.0, search=search))
    assert result.trials_run == 1 and result.pruned == 1, result
    note = study_report(options(tmp_path, search=search))["history"][0]["note"]
    assert note.startswith("out of time in fold 0, round ")  # stopped inside the first fold ...
    assert int(note.split("round ")[1].split()[0].strip(",;")) < 100_000  # ... long before its last round
    # (the wall-time target of --timeout is measured in bench/, not asserted here)


def test_show_without_a_study_says_how_to_start_one_and_tune_table_check(tmp_path: Path):
    from compete.errors import RunError
    from compete.spec import spec_from_dict

    def check_tune_table(table, source):
        raw = {"task": "regression", "target": "y", "id": "id", "tune": table}
        return spec_from_dict(raw, name="t", source=source).tune

    write_competition(tmp_path)
    with pytest.raises(RunError, match="start one with `compete tune toy --model lightgbm --trials 50`"):
        study_report(options(tmp_path))
    assert not (tmp_path / "runs").exists()
    ok = {"lightgbm": {"max_bin": 63, "num_leaves": {"low": 8, "high": 64, "log": True}}}
    assert check_tune_table(ok, "c.toml") == ok
    with pytest.raises(SpecError, match=r"c.toml: tune.xgboost: expected a table, got 3"):
        check_tune_table({"xgboost": 3}, "c.toml")
    with pytest.raises(SpecError, match=r"c.toml: tune.xgboost.eta: an empty list of choices"):
        check_tune_table({"xgboost": {"eta": []}}, "c.toml")


class _Reports:
    """A stand-in for an Optuna trial that records the steps reported to it."""

    def __init__(self) -> None:
        self.steps: list[int] = []

    def report(self, value: float, step: int) -> None:
        self.steps.append(step)

    def should_prune(self) -> bool:
        return False


@pytest.mark.parametrize(("rate", "rounds"), [(0.1, [50, 100, 150]), (0.01, [500, 1000, 1500])])
def test_in_fold_reports_come_at_equal_learning_progress(rate: float, rounds: list[int]):
    from compete.tune.objective import STEP, RoundReporter

    trial = _Reports()
    hook = RoundReporter(trial, 0, 1.0, True, None, rate)
    reported = []
    for r in range(1, round(15 / rate) + 1):  # 3 marks' worth of progress at this rate
        before = len(trial.steps)
        hook.check(r, 1.0)
        if len(trial.steps) > before:
            reported.append(r)
    assert reported == rounds  # a slow learner is compared with a fast one at the same progress ...
    assert trial.steps == [STEP + 1, STEP + 2, STEP + 3]  # ... under the same step numbers


def test_study_names_of_0_1_specs_survive_fields_added_since(tmp_path: Path):
    import dataclasses

    from compete.tune.naming import objective_hash, search_overrides

    comps = write_competition(tmp_path)
    spec = resolve_spec(RunOptions("toy", comps))
    model = spec.models[0]
    # what compete 0.1.0 named this study (its CVSpec had no group_period): studies made then continue
    assert objective_hash(spec, model, search_overrides(spec, model)) == "b350a54bcb"
    by_day = dataclasses.replace(spec, cv=dataclasses.replace(spec.cv, group_period="day"))
    assert objective_hash(by_day, model, search_overrides(spec, model)) != "b350a54bcb"  # set: a new study


def test_study_name_holds_a_fingerprint_of_the_data(tmp_path: Path):
    from compete.spec import ModelSpec
    from compete.tune.naming import legacy_study_name

    a, b = tmp_path / "a", tmp_path / "b"
    write_competition(a)
    write_competition(b, n=250)  # the same spec over other data

    def prepared(root: Path):
        return prepare_for_run(RunOptions("toy", root / "competitions", root / "data", device="cpu"))

    pa, pa_again, pb = prepared(a), prepared(a), prepared(b)
    model = ModelSpec("lightgbm", dict(pa.spec.models[0].params))
    # by the spec alone (compete 0.1.0) the two would be one study
    assert legacy_study_name(pa.spec, model, {}) == legacy_study_name(pb.spec, model, {})
    fa, fb = data_fingerprint(pa.ctx), data_fingerprint(pb.ctx)
    assert fa == data_fingerprint(pa_again.ctx) and fa.startswith("240x") and fb.startswith("250x")
    assert study_name(pa.spec, model, {}, fa) == study_name(pa_again.spec, model, {}, fa)
    assert study_name(pa.spec, model, {}, fa) != study_name(pb.spec, model, {}, fb)
    # one changed value, or the same values in another row order, is other data
    changed = pa_again.ctx
    changed.X = changed.X.copy()
    changed.X.iloc[0, 0] = 123.0
    assert data_fingerprint(changed) != fa
    changed.X = pa.ctx.X.iloc[::-1].reset_index(drop=True)
    assert data_fingerprint(changed) != fa


def test_workers_with_other_data_tune_other_studies(tmp_path: Path):
    write_competition(tmp_path)
    first = tune(options(tmp_path, trials=1, search={}))
    write_competition(tmp_path / "other", n=250)  # same competition name and spec, other data
    other = tune(options(tmp_path, trials=1, search={}, data_root=tmp_path / "other" / "data"))
    assert other.study != first.study and other.total_trials == 1
    again = tune(options(tmp_path, trials=1, search={}))
    assert again.study == first.study and again.total_trials == 2
    # an explicit --study name cannot be shared across data either
    tune(options(tmp_path, trials=1, search={}, study="shared"))
    with pytest.raises(SpecError, match=r"--study 'shared' was tuned on other data \(fingerprint 240x"):
        tune(options(tmp_path, trials=1, search={}, study="shared", data_root=tmp_path / "other" / "data"))


def test_run_reads_a_0_1_study_named_by_the_spec_only(tmp_path: Path):
    import optuna

    from compete.tune.naming import legacy_study_name

    comps = write_competition(tmp_path)
    spec = resolve_spec(RunOptions("toy", comps))
    model = spec.models[0]
    storage = storage_url(None, tmp_path / "runs")
    (tmp_path / "runs").mkdir()
    old = optuna.create_study(study_name=legacy_study_name(spec, model, search_overrides(spec, model)),
                              storage=storage, direction="maximize")  # fmt: skip
    old.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=0.9,
                                            user_attrs={"params": {"num_leaves": 9}}))  # fmt: skip
    tuned, notes = resolve_params(spec, "best", runs_dir=tmp_path / "runs", fingerprint="240x3+120x3:abc")
    assert tuned.models[0].params["num_leaves"] == 9
    assert "made by compete 0.1.0" in notes[0] and "its data were not checked" in notes[0]
    old.set_user_attr("data", "someone else's data")  # a study that recorded other data is never used
    assert resolve_params(spec, "best", runs_dir=tmp_path / "runs", fingerprint="240x3+120x3:abc") == (
        spec,
        [],
    )


def test_show_labels_fanova_importances_and_computes_them_so(monkeypatch: pytest.MonkeyPatch):
    import optuna

    from compete.tune.params import importances

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("a", 0, 1) ** 2 + 0.01 * t.suggest_float("b", 0, 1), n_trials=20)
    seen = []
    real = optuna.importance.get_param_importances

    def spy(study, **kwargs):
        seen.append(kwargs.get("evaluator"))
        return real(study, **kwargs)

    monkeypatch.setattr(optuna.importance, "get_param_importances", spy)
    imp = importances(study, 10)
    # optuna 5's default evaluator is PED-ANOVA; `tune --show` titles its table "fANOVA"
    assert [type(e).__name__ for e in seen] == ["FanovaImportanceEvaluator"]
    assert list(imp) == ["a", "b"] and imp["a"] > imp["b"]
