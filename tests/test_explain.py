"""``compete explain``: TreeSHAP per library adds up to the raw score, the signal ranks first,
``importances.json``'s shape, the command through Typer, and its errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from compete.commands.explain import explain_command
from compete.errors import DataError, RunError
from compete.explain import explain_run, sample_rows, spearman, training_rows, tree_shap
from compete.records.artifacts import load_predictor
from compete.run.options import RunOptions
from compete.run.runner import run_competition
from tests.conftest import write_competition

MODELS = {
    "lightgbm": '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 60}\n',
    "xgboost": '[[models]]\nname = "xgboost"\nparams = {n_estimators = 60}\n',
    "catboost": '[[models]]\nname = "catboost"\nparams = {iterations = 60}\n',
}
BOOSTED = "".join(MODELS.values())
LIBRARIES = ("lightgbm", "xgboost", "catboost")
KEYS = {"shap", "gain", "fold_agreement", "shap_gain_agreement", "rows"}

app = typer.Typer()
app.command("explain")(explain_command)
app.command("noop")(lambda: None)  # a second command keeps `explain` a subcommand, as in compete.cli


def make_run(root: Path, task: str = "binary", models: str = BOOSTED, **options: Any) -> Path:
    """Write the toy competition under ``root``, run it on the CPU and return the run folder."""
    metric = "accuracy" if task == "multiclass" else None  # a one-column sample_submission holds labels
    comps = write_competition(root, task=task, models=models, metric=metric)
    opts = RunOptions("toy", comps, root / "data", None, root / "runs", device="cpu", **options)
    return run_competition(opts).path


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A binary run whose final prediction blends LightGBM, XGBoost and CatBoost."""
    return make_run(tmp_path_factory.mktemp("explain"))


def raw_score(model: Any, frame: pd.DataFrame) -> np.ndarray:
    """The library's own raw score (log-odds, class margins or value), ``(rows, outputs)``."""
    lib = model.model_
    if model.name == "lightgbm":
        out = lib.predict(frame, raw_score=True)
    elif model.name == "xgboost":
        out = lib.predict(frame, output_margin=True)
    else:
        from compete.models.catboost import catboost_frame

        out = lib.predict(catboost_frame(frame)[0], prediction_type="RawFormulaVal")
    return np.asarray(out, dtype=float).reshape(len(frame), -1)


def link(task: str, margin: np.ndarray) -> np.ndarray:
    """Raw score to the adapter's ``predict_raw`` output."""
    if task == "binary":
        return 1 / (1 + np.exp(-margin[:, 0]))
    if task == "multiclass":
        e = np.exp(margin - margin.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return margin[:, 0]


def check_additivity(run_dir: Path, task: str) -> None:
    """Fold 0's model on its own validation rows: SHAP values + expected value = raw score, and the
    raw score is what the adapter predicts."""
    predictor = load_predictor(run_dir)
    fold = pd.read_parquet(run_dir / "oof.parquet")["fold"].to_numpy()
    X = training_rows(predictor, data_root=run_dir.parents[2] / "data")
    frame = predictor.folds[0].transform(X[fold == 0].iloc[:25])
    model = predictor.models[predictor.members[0]][0]
    contrib = tree_shap(model, frame)
    margin = raw_score(model, frame)
    assert contrib.shape == (len(frame), margin.shape[1], frame.shape[1] + 1)
    assert margin.shape[1] == (3 if task == "multiclass" else 1)
    np.testing.assert_allclose(contrib.sum(axis=2), margin, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(link(task, margin), model.predict_raw(frame), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_tree_shap_adds_up_and_x_ranks_first(tmp_path: Path, task: str, library: str):
    run_dir = make_run(tmp_path, task, models=MODELS[library])
    assert load_predictor(run_dir).members == [library]
    check_additivity(run_dir, task)
    result = explain_run(run_dir, data_root=tmp_path / "data")
    m = result.models[library]
    assert m.model == library and not result.skipped
    assert {name for name, *_ in m.top(2)} == {"x", "c"}, m.top(3)  # the signal is x and c == "a"
    assert set(list(m.gain)[:2]) == {"x", "c"}, list(m.gain)[:3]
    if task != "regression":  # y = 10·exp(signal): c == "a" multiplies it by e^1.5, a close second or first
        assert m.top(1)[0][0] == "x" and next(iter(m.gain)) == "x", (m.top(3), list(m.gain)[:3])


def test_every_member_is_explained_and_others_skipped(binary_run: Path, monkeypatch: pytest.MonkeyPatch):
    import compete.records.artifacts as artifacts

    predictor = load_predictor(binary_run)
    result = explain_run(binary_run, data_root=binary_run.parents[2] / "data", write=False)
    assert list(result.models) == predictor.members and not result.skipped
    assert all(m.top(1)[0][0] == "x" for m in result.models.values())

    class Linear:  # a fold model of a library without TreeSHAP
        name = "linear"

    predictor.members.append("linear")
    predictor.models["linear"] = [Linear() for _ in predictor.folds]
    monkeypatch.setattr(artifacts, "load_predictor", lambda run_dir: predictor)
    mixed = explain_run(binary_run, data_root=binary_run.parents[2] / "data", write=False)
    assert "linear" not in mixed.models and "no TreeSHAP" in mixed.skipped["linear"]


def test_importances_json_shape(binary_run: Path):
    result = explain_run(binary_run, data_root=binary_run.parents[2] / "data")
    assert result.path == binary_run / "importances.json"
    saved = json.loads(result.path.read_text())
    assert saved == json.loads(json.dumps(result.to_dict()))
    assert list(saved) == load_predictor(binary_run).members
    for entry in saved.values():
        assert set(entry) == KEYS and entry["rows"] == 240  # 3 folds of 80 validation rows, all explained
        assert all(v >= 0 for v in entry["shap"].values())
        assert sum(entry["gain"].values()) == pytest.approx(1.0, abs=1e-6)
        assert list(entry["shap"]) == sorted(entry["shap"], key=entry["shap"].get, reverse=True)
        assert -1 <= entry["fold_agreement"] <= 1 and 0.5 < entry["shap_gain_agreement"] <= 1


def test_row_sample_is_capped_and_seeded(binary_run: Path):
    small = explain_run(binary_run, data_root=binary_run.parents[2] / "data", max_rows=50, write=False)
    assert small.rows == 50 and all(m.rows == 50 for m in small.models.values())
    fold = np.array([-1, 0, 1, 2] * 100)
    a, b = sample_rows(fold, 30, seed=1), sample_rows(fold, 30, seed=1)
    assert np.array_equal(a, b) and len(a) == 30 and (fold[a] >= 0).all()
    assert not np.array_equal(a, sample_rows(fold, 30, seed=2))


def test_spearman():
    a = pd.Series({"x": 3.0, "c": 2.0, "d": 1.0})
    assert spearman(a, a) == pytest.approx(1.0)
    assert spearman(a, pd.Series({"x": 1.0, "c": 2.0, "d": 3.0})) == pytest.approx(-1.0)
    assert spearman(a, pd.Series({"x": 0.0, "c": 0.0, "d": 0.0})) is None  # a constant vector has no ranks


def invoke(root: Path, run: str, *args: str) -> Any:
    base = ["explain", run, "--runs-dir", root / "runs", "--data-root", root / "data",
            "--competitions", root / "competitions"]  # fmt: skip
    return CliRunner().invoke(app, [str(a) for a in [*base, *args]])


def test_cli_prints_and_writes(binary_run: Path):
    root = binary_run.parents[2]
    (binary_run / "importances.json").unlink(missing_ok=True)
    res = invoke(root, "toy/latest", "--top", "3")
    assert res.exit_code == 0, res.output
    assert "fold agreement" in res.output and "SHAP↔gain" in res.output and "mean |SHAP|" in res.output
    assert "when__elapsed" not in res.output  # --top 3 shows three features per model
    assert (binary_run / "importances.json").is_file() and "saved" in res.output
    as_json = json.loads(invoke(root, binary_run.name, "--json", "--rows", "30").output)
    assert list(as_json) == load_predictor(binary_run).members
    assert all(e["rows"] == 30 for e in as_json.values())


def test_errors(tmp_path: Path):
    kept_none = make_run(tmp_path, keep_models=False)
    with pytest.raises(RunError, match="kept no fitted models"):
        explain_run(kept_none, data_root=tmp_path / "data")
    res = invoke(tmp_path, "toy/latest")
    assert res.exit_code == 2 and "kept no fitted models" in res.output
    linear = make_run(tmp_path / "linear", models='[[models]]\nname = "linear"\n')
    with pytest.raises(RunError, match="none of the run's models"):
        explain_run(linear, data_root=tmp_path / "linear" / "data")
    with pytest.raises(DataError, match="--data-root"):
        explain_run(linear, data_root=tmp_path / "nowhere")
    with pytest.raises(DataError, match="no such data folder"):
        explain_run(linear, data_root=tmp_path)  # the root is there, the competition's folder is not
    res = invoke(tmp_path / "linear", "toy/latest", "--data-dir", str(tmp_path / "missing"))
    assert res.exit_code == 2 and "--data-dir" in res.output
