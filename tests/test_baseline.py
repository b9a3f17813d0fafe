"""compete baseline --engine pycaret: the environment lookup, the worker call and the ledger row.

A fake Python (a small script put where the PyCaret venv's Python would be) stands in for PyCaret:
it records the settings it was given and writes a leaderboard, or fails on request.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from compete.baseline import PYTHON_ENV, find_python, run_baseline
from compete.commands.baseline import baseline_command
from compete.errors import CompeteError, RunError, SpecError
from compete.records.runs import list_runs

FAKE = """#!{python}
import json, sys
assert sys.argv[1] == "-c" and "compare_models" in sys.argv[2]
cfg = json.loads(sys.argv[3])
open({seen!r}, "w").write(json.dumps(cfg))
if {fail}:
    print("ModuleNotFoundError: No module named 'pycaret'")
    sys.exit(1)
col = cfg["sort"]
board = [{{"key": "lightgbm", "Model": "Light Gradient Boosting Machine", col: 0.91}},
         {{"key": "lr", "Model": "Logistic Regression", col: 0.85}}]
json.dump({{"engine": "pycaret", "version": "3.3.2", "sort": col, "leaderboard": board}}, open(cfg["out"], "w"))
"""


def fake_python(tmp_path: Path, fail: bool = False) -> Path:
    path = tmp_path / ("fail-python" if fail else "fake-python")
    path.write_text(FAKE.format(python=sys.executable, seen=str(tmp_path / "seen.json"), fail=fail))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def make_competition(tmp_path: Path, metric: str = "auc", task: str = "binary") -> dict[str, Path]:
    specs, data = tmp_path / "competitions", tmp_path / "data"
    (specs / "demo").mkdir(parents=True)
    (specs / "demo" / "competition.toml").write_text(
        f'task = "{task}"\ntarget = "y"\nid = "id"\nmetric = "{metric}"\n[cv]\nfolds = 3\nseed = 7\n'
    )
    (data / "demo").mkdir(parents=True)
    names = [f"Passenger {i}. Someone Else" for i in range(60)]  # free text: one value per row
    pd.DataFrame({"id": range(60), "x": range(60), "name": names, "y": [0, 1] * 30}).to_csv(
        data / "demo" / "train.csv", index=False
    )
    return {"competitions_dir": specs, "data_root": data, "runs_dir": tmp_path / "runs"}


def test_missing_environment_names_the_option_the_variable_and_the_setup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(PYTHON_ENV, raising=False)
    with pytest.raises(CompeteError) as err:
        find_python(None)
    msg = str(err.value)
    assert "--python" in msg and PYTHON_ENV in msg and "bench/peers/setup pycaret" in msg


def test_env_variable_pointing_nowhere_shows_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(PYTHON_ENV, str(tmp_path / "nope" / "python"))
    with pytest.raises(CompeteError, match=rf"{PYTHON_ENV} = '.*nope/python' is not an executable file"):
        find_python(None)


def test_option_wins_over_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(PYTHON_ENV, str(tmp_path / "nope"))
    assert find_python(fake_python(tmp_path)) == fake_python(tmp_path)


def test_leaderboard_recorded_in_ledger_as_baseline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    paths = make_competition(tmp_path)
    monkeypatch.setenv(PYTHON_ENV, str(fake_python(tmp_path)))
    result = run_baseline("demo", **paths)
    (row,) = list_runs(paths["runs_dir"], "demo")
    assert row["kind"] == "baseline" and row["run_id"] == result.run_id
    assert row["cv_score"] == pytest.approx(0.91) and row["metric"] == "auc" and row["greater_is_better"] == 1
    assert row["final"] == "pycaret:Light Gradient Boosting Machine"
    assert json.loads(row["models"]) == ["Light Gradient Boosting Machine", "Logistic Regression"]
    assert (Path(row["path"]) / "leaderboard.json").is_file()
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["sort"] == "AUC" and seen["folds"] == 3 and seen["seed"] == 7
    assert seen["fold_strategy"] == "stratifiedkfold" and not seen["log_target"]
    assert seen["ignore"] == ["name"]  # PyCaret's trees predict one class with an id-like text column


def test_rmsle_models_log1p_and_sorts_by_rmse(tmp_path: Path) -> None:
    paths = make_competition(tmp_path, metric="rmsle", task="regression")
    result = run_baseline("demo", python=fake_python(tmp_path), budget_s=90, **paths)
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["log_target"] and seen["sort"] == "RMSE" and seen["fold_strategy"] == "kfold"
    assert seen["budget_minutes"] == pytest.approx(1.5)
    assert result.column == "RMSE" and list_runs(paths["runs_dir"])[0]["greater_is_better"] == 0


def test_worker_failure_is_a_run_error_and_leaves_no_run(tmp_path: Path) -> None:
    paths = make_competition(tmp_path)
    with pytest.raises(RunError, match="No module named 'pycaret'.*is PyCaret 3.3.2 installed"):
        run_baseline("demo", python=fake_python(tmp_path, fail=True), **paths)
    assert list_runs(paths["runs_dir"]) == [] and list((paths["runs_dir"] / "demo").iterdir()) == []


def test_metric_without_pycaret_column_is_a_spec_error(tmp_path: Path) -> None:
    paths = make_competition(tmp_path, metric="logloss")
    with pytest.raises(SpecError, match="metric = 'logloss' has no PyCaret leaderboard column"):
        run_baseline("demo", python=fake_python(tmp_path), **paths)


def test_unknown_engine_lists_known(tmp_path: Path) -> None:
    with pytest.raises(CompeteError, match="--engine 'h2o' is not a baseline engine; known: pycaret"):
        run_baseline("demo", "h2o", python=fake_python(tmp_path))


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("baseline")(baseline_command)
    app.command("other")(lambda: None)
    return app


def test_cli_missing_environment_exits_2_with_the_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(PYTHON_ENV, raising=False)
    paths = make_competition(tmp_path)
    out = CliRunner().invoke(cli(), ["baseline", "demo", "--competitions", str(paths["competitions_dir"])])
    assert out.exit_code == 2 and "bench/peers/setup pycaret" in out.output


def test_cli_json_summary(tmp_path: Path) -> None:
    paths = make_competition(tmp_path)
    args = ["baseline", "demo", "--python", str(fake_python(tmp_path)), "--json", "--competitions",
            str(paths["competitions_dir"]), "--data-root", str(paths["data_root"]), "--runs-dir", str(paths["runs_dir"])]  # fmt: skip
    out = CliRunner().invoke(cli(), args)
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output.strip().splitlines()[-1])
    assert summary["best"] == "Light Gradient Boosting Machine" and summary["cv_score"] == pytest.approx(0.91)
