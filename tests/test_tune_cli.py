"""``compete tune`` through Typer: progress and summary, ``--show``, ``--json``, errors as exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from compete.commands.tune import tune_command
from tests.test_tune import write_competition

app = typer.Typer()
app.command("tune")(tune_command)
app.command("noop")(lambda: None)  # a second command keeps `tune` a subcommand, as in compete.cli


def invoke(root: Path, *args: str) -> object:
    base = ["tune", "toy", "--competitions", root / "competitions", "--data-root", root / "data",
            "--runs-dir", root / "runs", "--device", "cpu"]  # fmt: skip
    return CliRunner().invoke(app, [str(a) for a in [*base, *args]])


def test_tune_show_and_json(tmp_path: Path):
    write_competition(tmp_path)
    res = invoke(tmp_path, "--model", "lightgbm", "--trials", "2")
    assert res.exit_code == 0, res.output
    assert "study toy.lightgbm." in res.output and "2 trials in" in res.output and "best auc:" in res.output
    shown = invoke(tmp_path, "--model", "lightgbm", "--show")
    assert shown.exit_code == 0, shown.output
    assert "best: trial" in shown.output and "history" in shown.output and "learning_rate" in shown.output
    as_json = json.loads(invoke(tmp_path, "--model", "lightgbm", "--show", "--json").output)
    assert len(as_json["history"]) == 2 and as_json["direction"] == "maximize"


def test_errors_exit_2_with_a_message(tmp_path: Path):
    write_competition(tmp_path)
    res = invoke(tmp_path, "--model", "lightgbm")
    assert res.exit_code == 2 and "tune needs --trials N or --timeout SECONDS" in res.output
    res = invoke(tmp_path, "--model", "nope", "--trials", "1")
    assert res.exit_code == 2 and "nope" in res.output and "lightgbm" in res.output
