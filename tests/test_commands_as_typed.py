"""Every command of ``compete`` as a user types it: the real app, no ``--json``, the progress display on.

A display or printing crash is what a user meets first and what a ``--json`` test cannot see (issue 14);
``test_every_command_is_covered`` fails when a command is added without a test here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from compete.cli import app
from compete.records.runs import list_runs
from tests.conftest import make_frames, write_competition

COVERED = {"init", "run", "runs", "ensemble", "recipes", "tune", "submit", "fetch", "leaderboard", "drift",
           "baseline", "predict", "export", "report", "explain"}  # fmt: skip


def typed(*args: object, env: dict[str, str] | None = None) -> str:
    """Run ``compete ARGS`` as typed (wide terminal so lines are not wrapped); its output, exit 0 checked."""
    res = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200", **(env or {})})
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    return res.output


def refused(*args: object, env: dict[str, str] | None = None) -> str:
    res = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200", **(env or {})})
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    return " ".join(res.output.split())


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A toy competition with an answer key, two runs recorded (same folds) through the CLI."""
    root = tmp_path_factory.mktemp("typed")
    _, test = make_frames()
    answers = make_frames(n=240 + 120)[0].iloc[240:][["id", "y"]]
    assert answers["id"].tolist() == test["id"].tolist()
    write_competition(root, answers=answers, extra='kaggle = "toy-comp"\n')
    for models in ("lightgbm", "linear"):
        out = typed("run", "toy", *where(root), "--models", models, "--device", "cpu")
        assert out.strip().splitlines()[-1].startswith("submission: ")
    return root


def where(root: Path, runs: bool = True) -> list[object]:
    extra = ["--runs-dir", root / "runs"] if runs else []
    return ["--competitions", root / "competitions", "--data-root", root / "data", *extra]


def test_every_command_is_covered():
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    assert names == COVERED


def test_init_then_run(toy: Path, tmp_path: Path):
    out = typed("init", "fresh", "--data-dir", toy / "data" / "toy", "--competitions", tmp_path / "c")
    assert "task: binary" in out and "next: compete run fresh" in out
    ran = typed("run", "fresh", "--competitions", tmp_path / "c", "--runs-dir", tmp_path / "runs", "--models",
                "lightgbm", "--folds", "3", "--device", "cpu")  # fmt: skip
    assert "fresh:" in ran and ran.strip().splitlines()[-1].startswith("submission: ")


def test_run_prints_the_table_and_the_submission_line(toy: Path):
    out = typed("run", "toy", *where(toy), "--models", "lightgbm,xgboost", "--device", "cpu", "-o",
                toy / "sub.csv")  # fmt: skip
    assert "toy — auc ↑" in out and "lightgbm" in out and "xgboost" in out
    assert f"also written to {toy / 'sub.csv'}" in out and len(pd.read_csv(toy / "sub.csv")) == 120


def test_runs_lists_the_ledger(toy: Path):
    out = typed("runs", "toy", "--runs-dir", toy / "runs")
    assert "toy — auc" in out
    assert all(r["run_id"] in out for r in list_runs(toy / "runs", "toy"))


def test_ensemble_blends_two_runs(toy: Path):
    first, second = (r["run_id"] for r in list_runs(toy / "runs", "toy")[-2:])
    out = typed("ensemble", "toy", "--runs", f"{first},{second}", *where(toy), "--method", "mean")
    assert "ensemble:mean" in out
    assert out.strip().splitlines()[-1].startswith("submission: ")


def test_recipes_lists_every_recipe():
    out = typed("recipes")
    assert "group_agg" in out and "target_mean" in out


def test_tune_and_show(toy: Path):
    out = typed("tune", "toy", *where(toy), "--model", "lightgbm", "--trials", "2", "--device", "cpu")
    assert "study toy.lightgbm." in out and "2 trials in" in out
    shown = typed("tune", "toy", *where(toy), "--model", "lightgbm", "--show")
    assert "best: trial" in shown and "history" in shown


def test_submit_scores_on_the_answer_key_and_leaderboard_shows_it(toy: Path):
    out = typed("submit", "toy", *where(toy))
    assert "file checked" in out and "local leaderboard: 0." in out
    board = typed("leaderboard", "toy", "--runs-dir", toy / "runs")
    assert "toy" in board and "0." in board


def test_drift(toy: Path):
    out = typed("drift", "toy", *where(toy), "--folds", "3", "--top", "2")
    assert "train-vs-test AUC" in out


def test_fetch_without_credentials_says_what_to_do(toy: Path, tmp_path: Path):
    env = {"KAGGLE_USERNAME": "", "KAGGLE_KEY": "", "KAGGLE_CONFIG_DIR": str(tmp_path / "none")}
    message = refused(
        "fetch", "toy", "--competitions", toy / "competitions", "--data-root", tmp_path, env=env
    )
    assert "no Kaggle credentials found" in message


def test_baseline_without_its_environment_says_how_to_make_one(toy: Path):
    message = refused("baseline", "toy", *where(toy), env={"COMPETE_PYCARET_PYTHON": ""})
    assert "bench/peers/setup pycaret" in message


def test_predict_and_export(toy: Path, tmp_path: Path):
    run_id = list_runs(toy / "runs", "toy")[-1]["run_id"]  # the first run: LightGBM alone
    out = typed("predict", f"toy/{run_id}", "--data", toy / "data" / "toy" / "test.csv", "-o", tmp_path / "p.csv",
                "--runs-dir", toy / "runs")  # fmt: skip
    assert "predicted 120 rows" in out
    assert (tmp_path / "p.csv").read_bytes() == (
        toy / "runs" / "toy" / run_id / "submission.csv"
    ).read_bytes()
    out = typed("export", f"toy/{run_id}", "--to", tmp_path / "bundle", "--runs-dir", toy / "runs")
    assert (
        "requirements: numpy==" in out
        and "lightgbm==" in out
        and (tmp_path / "bundle" / "predict.py").is_file()
    )


def test_report(toy: Path):
    out = typed("report", "toy", "latest", "--runs-dir", toy / "runs")
    latest = list_runs(toy / "runs", "toy")[0]["run_id"]
    assert f"wrote {toy / 'runs' / 'toy' / latest / 'report.html'}" in out


def test_explain(toy: Path):
    run_id = list_runs(toy / "runs", "toy")[-1]["run_id"]  # the first run: LightGBM alone
    out = typed(
        "explain", f"toy/{run_id}", "--runs-dir", toy / "runs", "--data-root", toy / "data", "--top", "3"
    )
    assert "lightgbm" in out and "x" in out and (toy / "runs" / "toy" / run_id / "importances.json").is_file()
