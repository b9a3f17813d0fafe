"""``compete submit``: every malformed file refused with its reason, local scores equal scikit-learn's,
and the ledger keeps every submission."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from sklearn.metrics import accuracy_score, log_loss, mean_squared_log_error, roc_auc_score
from typer.testing import CliRunner

from compete.commands.submit import drift_command, fetch_command, leaderboard_command, submit_command
from compete.errors import DataError, RunError
from compete.kaggle.submit import SubmitOptions, submit_run
from compete.records.submissions import list_submissions
from compete.run.options import RunOptions
from compete.run.runner import run_competition
from compete.submission.score import check_submission
from tests.conftest import make_frames, write_competition

MODELS = '\n[[models]]\nname = "lightgbm"\nparams = {n_estimators = 30, n_jobs = 1}\n'

app = typer.Typer()
app.command("submit")(submit_command)
app.command("fetch")(fetch_command)
app.command("leaderboard")(leaderboard_command)
app.command("drift")(drift_command)
cli = CliRunner()


def toy(tmp_path: Path, task: str = "binary", metric: str | None = None, answers: bool = True,
        extra: str = "") -> Path:  # fmt: skip
    """A competition whose test rows have known answers; returns the competitions folder."""
    full, _ = make_frames(task, n=300)
    train, test = full.iloc[:200], full.iloc[200:]
    return write_competition(tmp_path, task=task, metric=metric, extra=extra, models=MODELS, train=train,
                             test=test.drop(columns="y"), answers=test[["id", "y"]] if answers else None)  # fmt: skip


def make_run(comps: Path, seed: int = 1, folds: int | None = None) -> str:
    root = comps.parent
    opts = RunOptions("toy", comps, root / "data", None, root / "runs", seed=seed, folds=folds, device="cpu")
    return run_competition(opts).run_id


def sub_opts(comps: Path, **kw) -> SubmitOptions:
    root = comps.parent
    return SubmitOptions("toy", comps, root / "data", None, root / "runs", **{"wait_s": 0, **kw})


# ------------------------------------------------------------------------------------------ validation

SAMPLE = pd.DataFrame({"id": [10, 11, 12, 13], "y": [0, 0, 0, 0]})
GOOD = pd.DataFrame({"id": [10, 11, 12, 13], "y": [0.1, 0.9, 0.5, 0.0]})


def _set(col: str, row: int, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(f: pd.DataFrame) -> pd.DataFrame:
        f = f.astype({col: object})
        f.loc[row, col] = value
        return f

    return change


BAD_PROBA = {
    "renamed": (lambda f: f.rename(columns={"y": "target"}), "columns ['id', 'target'] differ"),
    "reordered columns": (lambda f: f[["y", "id"]], "columns ['y', 'id'] differ"),
    "extra column": (lambda f: f.assign(z=1), "columns ['id', 'y', 'z'] differ"),
    "missing row": (lambda f: f.iloc[:3], "submission has 3 rows, sample_submission has 4"),
    "extra row": (lambda f: pd.concat([f, f.iloc[:1]]), "submission has 5 rows"),
    "shuffled ids": (lambda f: f.iloc[[1, 0, 2, 3]].reset_index(drop=True), "ids differ from sample_submission's ids or their order"),
    "wrong id": (_set("id", 2, 99), "ids differ"),
    "missing value": (_set("y", 1, np.nan), "column 'y' has missing values"),
    "above one": (_set("y", 0, 1.5), "probabilities must lie in [0, 1]"),
    "negative": (_set("y", 0, -0.1), "probabilities must lie in [0, 1]"),
    "text": (_set("y", 3, "high"), "column 'y' holds non-numbers (e.g. 'high')"),
    "infinite": (_set("y", 3, np.inf), "column 'y' holds infinite values"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_PROBA)
def test_each_malformed_probability_file_is_refused_with_its_reason(case):
    change, reason = BAD_PROBA[case]
    with pytest.raises(DataError) as err:
        check_submission(change(GOOD.copy()), SAMPLE, "id", task="binary", needs="proba")
    assert reason in str(err.value)


def test_a_good_file_passes_every_check():
    check_submission(GOOD, SAMPLE, "id", task="binary", needs="proba")
    labels = np.array(["no", "yes"], dtype=object)
    check_submission(GOOD.assign(y=["no", "yes", "yes", "no"]), SAMPLE, "id", task="binary", needs="label",
                     labels=labels)  # fmt: skip
    check_submission(GOOD.assign(y=[1.0, 2.0, 3.5, 0.0]), SAMPLE, "id", task="regression", needs="value",
                     nonnegative=True)  # fmt: skip


def test_labels_outside_the_training_set_and_negative_rmsle_values_are_refused():
    labels = np.array(["no", "yes"], dtype=object)
    with pytest.raises(DataError, match=r"labels not in the training labels: \['maybe'\]"):
        check_submission(GOOD.assign(y=["no", "maybe", "yes", "no"]), SAMPLE, "id", task="binary", needs="label",
                         labels=labels)  # fmt: skip
    with pytest.raises(DataError, match="negative predictions; rmsle scores log1p"):
        check_submission(GOOD.assign(y=[1.0, -2.0, 3.0, 0.0]), SAMPLE, "id", task="regression", needs="value",
                         nonnegative=True)  # fmt: skip


def test_a_run_with_a_corrupted_file_is_refused_and_not_recorded(tmp_path):
    comps = toy(tmp_path)
    run_id = make_run(comps)
    path = comps.parent / "runs" / "toy" / run_id / "submission.csv"
    sub = pd.read_csv(path)
    sub.iloc[:-1].to_csv(path, index=False)
    with pytest.raises(DataError, match=r"submission has 99 rows, sample_submission has 100"):
        submit_run(sub_opts(comps))
    res = cli.invoke(app, ["submit", "toy", "--competitions", str(comps), "--data-root", str(tmp_path / "data"),
                           "--runs-dir", str(tmp_path / "runs")])  # fmt: skip
    assert res.exit_code == 2 and "submission has 99 rows" in res.output
    assert list_submissions(tmp_path / "runs", "toy") == []


# ------------------------------------------------------------------------------------------ local score


def _sklearn(task: str, metric: str, sub: pd.DataFrame, answers: pd.DataFrame, classes: list) -> float:
    merged = answers.rename(columns={"y": "y_true"}).merge(sub, on="id")
    if metric == "auc":
        return roc_auc_score(merged.y_true == "yes", merged.y)
    if metric == "accuracy":
        return accuracy_score(merged.y_true, merged.y)
    if metric == "rmsle":
        return float(np.sqrt(mean_squared_log_error(merged.y_true, merged.y)))
    return log_loss(merged.y_true, merged[classes].to_numpy(), labels=classes)


@pytest.mark.parametrize("task,metric", [("binary", "auc"), ("binary", "accuracy"), ("regression", "rmsle"),
                                         ("multiclass", "logloss")])  # fmt: skip
def test_local_score_equals_scikit_learns_metric(tmp_path, task, metric):
    comps = toy(tmp_path, task, metric)
    data = tmp_path / "data" / "toy"
    if task == "multiclass":  # one probability column per class, as multiclass logloss competitions ask
        ids = pd.read_csv(data / "test.csv")["id"]
        pd.DataFrame({"id": ids, "high": 0.0, "low": 0.0, "mid": 0.0}).to_csv(
            data / "sample_submission.csv", index=False
        )
    make_run(comps)
    row = submit_run(sub_opts(comps)).record
    sub, answers = pd.read_csv(row["file"]), pd.read_csv(data / "answers.csv")
    expected = _sklearn(task, metric, sub, answers, ["high", "low", "mid"])
    assert row["local_score"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert row["answers"] == str(data / "answers.csv") and row["metric"] == metric


def test_answers_option_scores_against_another_key_and_missing_key_is_a_note(tmp_path):
    comps = toy(tmp_path, answers=False)
    make_run(comps)
    res = submit_run(sub_opts(comps))
    assert res.record["local_score"] is None and "pass --answers PATH" in res.notes[0]
    flipped = pd.read_csv(tmp_path / "data" / "toy" / "test.csv")[["id"]].assign(y="yes")
    flipped.loc[::2, "y"] = "no"
    flipped.to_csv(tmp_path / "key.csv", index=False)
    row = submit_run(sub_opts(comps, answers=tmp_path / "key.csv")).record
    sub = pd.read_csv(row["file"])
    assert row["local_score"] == pytest.approx(roc_auc_score(flipped.y == "yes", sub.y))
    with pytest.raises(DataError, match="--answers .*nowhere.csv: no such file"):
        submit_run(sub_opts(comps, answers=tmp_path / "nowhere.csv"))


# ------------------------------------------------------------------------------------------ ledger


def test_ledger_records_run_message_time_and_scores_of_every_submission(tmp_path):
    comps = toy(tmp_path)
    first = make_run(comps, seed=1)
    second = make_run(comps, seed=2, folds=4)
    submit_run(sub_opts(comps, run=first, message="seed one"))
    submit_run(sub_opts(comps, run="latest", message="seed two"))
    best = submit_run(sub_opts(comps, run="best")).record
    rows = list_submissions(tmp_path / "runs", "toy")
    assert [r["message"] for r in rows] == ["", "seed two", "seed one"]
    assert [r["run_id"] for r in rows[1:]] == [second, first]
    runs = {
        json.loads((tmp_path / "runs" / "toy" / r / "scores.json").read_text())["cv"]: r
        for r in (first, second)
    }
    assert best["run_id"] == runs[max(runs)]
    with sqlite3.connect(tmp_path / "runs" / "ledger.sqlite") as con:
        stored = con.execute("SELECT run_id, message, created, cv_score, cv_std, local_score, sha256, kaggle_status "
                             "FROM submissions WHERE message = 'seed one'").fetchone()  # fmt: skip
        ledger_cv = con.execute("SELECT cv_score, cv_std FROM runs WHERE run_id = ?", [first]).fetchone()
    assert stored[0] == first and stored[1] == "seed one" and stored[2][:2] == "20"
    assert stored[3:5] == ledger_cv and 0.5 < stored[5] <= 1 and len(stored[6]) == 64 and stored[7] == ""


def test_unknown_run_is_a_clear_error(tmp_path):
    comps = toy(tmp_path)
    with pytest.raises(RunError, match="no runs of 'toy'.*compete run toy"):
        submit_run(sub_opts(comps))
    make_run(comps)
    with pytest.raises(RunError, match="run 'nope' of 'toy' has no record"):
        submit_run(sub_opts(comps, run="nope"))


def test_submit_command_prints_cv_and_local_scores(tmp_path):
    comps = toy(tmp_path)
    run_id = make_run(comps)
    args = ["submit", "toy", "--competitions", str(comps), "--data-root", str(tmp_path / "data"),
            "--runs-dir", str(tmp_path / "runs"), "-m", "first"]  # fmt: skip
    res = cli.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert f"of run {run_id} — file checked" in res.output and "local leaderboard: 0." in res.output
    as_json = json.loads(cli.invoke(app, [*args, "--json"]).output)
    assert as_json["run_id"] == run_id and as_json["message"] == "first" and as_json["error"] is None
