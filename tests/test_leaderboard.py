"""The CV ↔ LB view: order, LB scores, the CV ± 2σ flag, correlations, and fold std of ensembles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from compete.data.target import TargetCodec
from compete.errors import DataError, RunError
from compete.leaderboard import cv_lb_correlation, fold_std, leaderboard
from compete.records.runs import record_run
from compete.records.submissions import record_submission
from compete.scoring.metrics import get_metric
from compete.spec import spec_from_dict
from compete.submission.score import score_submission
from tests.test_submit import app, make_run, sub_opts, toy

cli = CliRunner()


def ledger_with(runs: Path, rows: list[tuple], metric: str = "auc", greater: bool = True) -> None:
    """rows: (run_id, cv, cv_std, local LB or None, kaggle public LB or None)."""
    for k, (run_id, cv, std, local, public) in enumerate(rows):
        record_run(runs, {"run_id": run_id, "competition": "c", "created": f"2025-01-0{k + 1} 00:00:00",
                          "metric": metric, "greater_is_better": int(greater), "cv_score": cv, "cv_std": std,
                          "final": "lightgbm", "path": str(runs / "c" / run_id)})  # fmt: skip
        if local is not None or public is not None:
            record_submission(runs, {"submission_id": f"s{k}", "competition": "c", "run_id": run_id,
                                     "local_score": local, "public_score": public,
                                     "kaggle_status": "complete" if public is not None else ""})  # fmt: skip


def test_rows_best_first_with_lb_flag_and_correlation(tmp_path):
    ledger_with(tmp_path, [("a", 0.80, 0.010, 0.79, None), ("b", 0.85, 0.010, 0.80, None),
                           ("c", 0.82, 0.005, None, None), ("d", 0.83, 0.020, 0.81, 0.86)])  # fmt: skip
    board = leaderboard(tmp_path, "c")
    assert [r.run_id for r in board.rows] == ["b", "d", "c", "a"]
    by_id = {r.run_id: r for r in board.rows}
    assert by_id["d"].lb == 0.86 and by_id["d"].lb_source == "kaggle" and by_id["a"].lb_source == "local"
    assert [by_id[k].outside for k in "abcd"] == [False, True, None, False]
    assert by_id["b"].gap == pytest.approx(-0.05)
    cv, lb = [0.85, 0.83, 0.80], [0.80, 0.86, 0.79]
    assert board.pearson == pytest.approx(np.corrcoef(cv, lb)[0, 1])
    assert board.spearman == pytest.approx(0.5)
    assert [r.run_id for r in leaderboard(tmp_path, "c", sort="lb").rows] == ["d", "b", "a", "c"]


def test_lower_is_better_metrics_sort_ascending_and_the_latest_score_wins(tmp_path):
    ledger_with(
        tmp_path, [("a", 0.30, 0.01, 0.31, None), ("b", 0.20, 0.01, 0.35, None)], "rmse", greater=False
    )
    record_submission(
        tmp_path, {"submission_id": "late", "competition": "c", "run_id": "a", "local_score": 0.29}
    )
    board = leaderboard(tmp_path, "c")
    assert [r.run_id for r in board.rows] == ["b", "a"] and board.rows[1].local == 0.29
    assert board.rows[1].submissions == 2 and board.rows[0].outside is True
    assert board.pearson is None and board.spearman is None  # two submitted runs: no correlation


def test_correlation_needs_three_pairs_that_vary():
    assert cv_lb_correlation([0.1, 0.2], [0.1, 0.2]) == (None, None)
    assert cv_lb_correlation([0.1, 0.1, 0.1], [0.1, 0.2, 0.3]) == (None, None)
    assert cv_lb_correlation([0.1, None, 0.2, 0.3], [0.3, 0.5, 0.2, 0.1]) == pytest.approx((-1.0, -1.0))


def test_errors_name_the_fix(tmp_path):
    with pytest.raises(RunError, match="no runs of 'c'.*compete run c"):
        leaderboard(tmp_path, "c")
    ledger_with(tmp_path, [("a", 0.8, 0.01, None, None)])
    with pytest.raises(DataError, match="sort = 'best': allowed values are cv, lb"):
        leaderboard(tmp_path, "c", sort="best")


def test_score_submission_matches_scikit_learn_on_labels_and_probabilities():
    from sklearn.metrics import accuracy_score, roc_auc_score

    spec = spec_from_dict({"task": "binary", "target": "y", "id": "id", "metric": "auc"}, name="x")
    truth = pd.Series(["n", "y", "y", "n", "y"])
    codec = TargetCodec("binary", get_metric("auc")).fit(truth)
    answers = pd.DataFrame({"id": [1, 2, 3, 4, 5], "y": truth})
    sub = pd.DataFrame({"id": [5, 4, 3, 2, 1], "y": [0.9, 0.2, 0.4, 0.6, 0.5]})
    expected = roc_auc_score(truth == "y", sub.set_index("id").loc[answers.id, "y"])
    assert score_submission(sub, answers, spec, codec) == pytest.approx(expected)
    spec_acc = spec_from_dict({"task": "binary", "target": "y", "id": "id", "metric": "accuracy"}, name="x")
    labels = pd.DataFrame({"id": [1, 2, 3, 4, 5], "y": ["n", "y", "n", "n", "n"]})
    assert score_submission(labels, answers, spec_acc, codec) == pytest.approx(
        accuracy_score(truth, labels.y)
    )


def test_real_runs_on_the_board_and_through_the_command(tmp_path):
    comps = toy(tmp_path, "regression", "rmsle")
    from compete.kaggle.submit import submit_run

    ids = [make_run(comps, seed=s, folds=f) for s, f in ((1, 3), (2, 4), (3, 3))]
    for run_id in ids:
        submit_run(sub_opts(comps, run=run_id))
    board = leaderboard(tmp_path / "runs", "toy")
    assert sorted(r.run_id for r in board.submitted) == sorted(ids) and board.pearson is not None
    assert [r.cv for r in board.rows] == sorted(r.cv for r in board.rows)  # rmsle: lower first
    scores = json.loads((tmp_path / "runs" / "toy" / ids[0] / "scores.json").read_text())
    std = fold_std(tmp_path / "runs" / "toy" / ids[0], "lightgbm", "rmsle")
    assert std == pytest.approx(scores["models"]["lightgbm"]["std"])  # what an ensemble run's std is made of
    res = cli.invoke(app, ["leaderboard", "toy", "--runs-dir", str(tmp_path / "runs")])
    assert res.exit_code == 0, res.output
    assert all(r[:15] in res.output for r in ids) and "pearson" in res.output and "rmsle ↓" in res.output
    as_json = json.loads(
        cli.invoke(app, ["leaderboard", "toy", "--runs-dir", str(tmp_path / "runs"), "--json"]).output
    )
    assert as_json["submitted"] == 3 and {"cv", "cv_std", "lb", "outside"} <= set(as_json["rows"][0])


def test_the_command_takes_a_spec_path_or_folder_as_the_competition(tmp_path):
    from compete.cli import app as compete_app

    runs = tmp_path / "runs"
    ledger_with(runs, [("a", 0.80, 0.01, None, None), ("b", 0.85, 0.01, None, None)])
    folder = tmp_path / "competitions" / "c"
    folder.mkdir(parents=True)
    (folder / "competition.toml").write_text('task = "binary"\ntarget = "y"\nid = "id"\n')
    (tmp_path / "c.toml").write_text('task = "binary"\ntarget = "y"\nid = "id"\n')
    for given in (folder / "competition.toml", folder, tmp_path / "c.toml", "c"):
        res = cli.invoke(compete_app, ["leaderboard", str(given), "--runs-dir", str(runs), "--json"])
        assert res.exit_code == 0, (given, res.output)
        board = json.loads(res.output)
        assert board["competition"] == "c" and [r["run_id"] for r in board["rows"]] == ["b", "a"], given
    res = cli.invoke(compete_app, ["leaderboard", str(tmp_path / "nope.toml"), "--runs-dir", str(runs)])
    assert res.exit_code == 2 and "nope.toml: no such spec file" in res.output
