"""The command line end to end through Typer's CliRunner, and every bad input's message."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from compete.cli import app
from tests.conftest import make_frames

runner = CliRunner()
REPO = Path(__file__).parents[1]


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def run_args(comps: Path, name: str = "toy", *extra: str) -> list[str]:
    root = comps.parent
    return [
        "run",
        name,
        "--competitions",
        comps,
        "--data-root",
        root / "data",
        "--runs-dir",
        root / "runs",
        *extra,
    ]


def test_run_demo_end_to_end(tmp_path: Path):
    res = invoke("run", "demo", "--competitions", REPO / "competitions", "--data-root", tmp_path / "data",
                 "--runs-dir", tmp_path / "runs", "--models", "lightgbm,xgboost", "--folds", "3",
                 "--device", "cpu", "--output", tmp_path / "out.csv")  # fmt: skip
    assert res.exit_code == 0, res.output
    last = res.output.strip().splitlines()[-1]
    assert last.startswith("submission: ") and "cv auc" in last
    sub = pd.read_csv(tmp_path / "out.csv")
    sample = pd.read_csv(tmp_path / "data" / "demo" / "sample_submission.csv")
    assert sub.columns.tolist() == sample.columns.tolist() and sub.customer_id.equals(sample.customer_id)
    assert sub.churn.between(0, 1).all()
    run_dir = next((tmp_path / "runs" / "demo").iterdir())
    assert {p.name for p in run_dir.iterdir()} >= {"oof.parquet", "test.parquet", "scores.json", "spec.json",
                                                   "submission.csv", "run.log"}  # fmt: skip
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["models"]["xgboost"]["cv"] > 0.65
    listed = invoke("runs", "demo", "--runs-dir", tmp_path / "runs")
    assert run_dir.name in listed.output


def test_json_summary_and_reproducible_submission(competition):
    comps = competition()
    first = invoke(*run_args(comps, "toy", "--json", "--seed", "7"))
    second = invoke(*run_args(comps, "toy", "--json", "--seed", "7"))
    a, b = json.loads(first.output), json.loads(second.output)
    assert set(a) >= {"run_id", "models", "cv_score", "submission", "wall_s"}
    assert a["run_id"] != b["run_id"] and a["cv_score"] == b["cv_score"]
    assert Path(a["submission"]).read_bytes() == Path(b["submission"]).read_bytes()


@pytest.mark.parametrize(
    "task,metric", [("multiclass", "accuracy"), ("regression", "rmsle"), ("binary", "accuracy")]
)
def test_each_task_runs(competition, task, metric):
    comps = competition(task=task, metric=metric)
    res = invoke(*run_args(comps, "toy", "--json"))
    assert res.exit_code == 0, res.output
    sub = pd.read_csv(json.loads(res.output)["submission"])
    assert len(sub) == 120 and not sub.isna().any().any()


def bad(comps: Path, *extra: str, name: str = "toy") -> str:
    res = invoke(*run_args(comps, name, *extra))
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert not (comps.parent / "runs").exists(), "nothing may be written on bad input"
    return " ".join(res.output.split())


def write(comps: Path, file: str, frame: pd.DataFrame | str) -> Path:
    path = comps.parent / "data" / "toy" / file
    if isinstance(frame, str):
        path.write_text(frame)
    else:
        frame.to_csv(path, index=False)
    return path


def test_missing_file(competition):
    comps = competition()
    (comps.parent / "data" / "toy" / "test.csv").unlink()
    assert "toy: missing file test (looked for test.csv, test.csv.gz, test.parquet)" in bad(comps)


def test_empty_file(competition):
    comps = competition()
    write(comps, "train.csv", "")
    assert "train.csv: the file is empty; re-download it" in bad(comps)


def test_target_missing(competition):
    comps = competition()
    tr, _ = make_frames()
    write(comps, "train.csv", tr.drop(columns="y"))
    assert "train.csv: target column 'y' is missing; columns are 'id', 'x', 'c', 'when'; fix `target`" in bad(
        comps
    )


def test_id_missing(competition):
    comps = competition()
    _, te = make_frames()
    write(comps, "test.csv", te.drop(columns="id"))
    assert "test.csv: id column 'id' is missing" in bad(comps)


def test_test_columns_differ(competition):
    comps = competition()
    _, te = make_frames()
    write(comps, "test.csv", te.drop(columns="c").assign(extra=1))
    assert "test.csv: lacks train columns 'c'" in bad(comps)
    write(comps, "test.csv", te.assign(extra=1))
    assert "test.csv: has columns train lacks: 'extra'; add them to schema.ignore" in bad(comps)


def test_one_class_target(competition):
    comps = competition()
    tr, _ = make_frames()
    write(comps, "train.csv", tr.assign(y="no"))
    assert "target 'y' has one class only ('no'); nothing to learn" in bad(comps)


def test_non_numeric_regression_target(competition):
    comps = competition(task="regression")
    tr, _ = make_frames()
    write(comps, "train.csv", tr.assign(y=["cheap"] * len(tr)))
    assert "target 'y' must be numeric for a regression task, found 'cheap'" in bad(comps)


def test_duplicated_test_ids(competition):
    comps = competition()
    _, te = make_frames()
    write(comps, "test.csv", te.assign(id=te.id.where(te.index != 1, te.id[0])))
    assert "test.csv: id 'id' is duplicated (1 repeats" in bad(comps)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('metric = "gini"\n', "metric: got 'gini'; allowed values: accuracy, auc"),
        ('[[models]]\nname = "svm"\n', "models[0].name: got 'svm'; allowed values: bag, boost, catboost"),
        ('colour = "red"\n', "colour: unknown key; allowed keys here:"),
    ],
)
def test_bad_spec_values(tmp_path, extra, message):
    spec = tmp_path / "competitions" / "toy" / "competition.toml"
    spec.parent.mkdir(parents=True)
    spec.write_text(f'task = "binary"\ntarget = "y"\nid = "id"\n{extra}')
    assert message in bad(tmp_path / "competitions")


def test_unknown_scheme_and_malformed_toml(tmp_path):
    spec = tmp_path / "competitions" / "toy" / "competition.toml"
    spec.parent.mkdir(parents=True)
    spec.write_text('task = "binary"\ntarget = "y"\nid = "id"\n[cv]\nscheme = "random"\n')
    assert "cv.scheme: got 'random'; allowed values: kfold, stratified, group, time" in bad(
        tmp_path / "competitions"
    )
    spec.write_text('task = "binary\n')
    assert "competition.toml: malformed TOML" in bad(tmp_path / "competitions")


def test_unknown_model_on_command_line(competition):
    assert "unknown model 'svm' in --models; known models:" in bad(competition(), "--models", "svm")


def test_data_root_that_does_not_exist(competition, tmp_path):
    comps = competition()
    res = invoke("run", "toy", "--competitions", comps, "--data-root", tmp_path / "nowhere", "--runs-dir",
                 tmp_path / "runs")  # fmt: skip
    assert (
        res.exit_code == 2
        and "data root" in res.output
        and "does not exist; pass --data-root DIR" in " ".join(res.output.split())
    )
    assert not (tmp_path / "runs").exists()


def test_unknown_competition(tmp_path):
    res = invoke("run", "nope", "--competitions", REPO / "competitions", "--runs-dir", tmp_path / "runs")
    assert res.exit_code == 2 and "no competition 'nope'" in res.output and "known competitions" in res.output


def test_submission_layout_that_cannot_hold_the_metric_fails_before_training(competition):
    comps = competition(task="multiclass", metric="logloss")  # logloss needs one column per class
    message = bad(comps)
    assert "metric 'logloss' scores class probabilities but sample_submission has one column 'y'" in message


def test_gpu_without_gpu(competition, monkeypatch):
    import compete.device as device

    monkeypatch.setattr(device, "gpu_present", lambda: False)
    assert "--device gpu was asked for but no GPU is usable" in bad(competition(), "--device", "gpu")


def test_init_infers_and_then_runs_without_edits(tmp_path, competition):
    comps = competition(name="src")
    data = comps.parent / "data" / "src"
    new_comps = tmp_path / "newcomps"
    res = invoke("init", "fresh", "--data-dir", data, "--competitions", new_comps)
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())
    assert "task: binary (the target has two values (no, yes))" in out
    assert (
        "target: y (named by sample_submission" in out and "id: id (first column of sample_submission" in out
    )
    again = invoke("init", "fresh", "--data-dir", data, "--competitions", new_comps)
    assert again.exit_code == 2 and "already exists; pass --force" in again.output
    ran = invoke("run", "fresh", "--competitions", new_comps, "--runs-dir", tmp_path / "runs", "--models",
                 "lightgbm", "--json")  # fmt: skip
    assert ran.exit_code == 0, ran.output


def test_rows_without_a_target_are_counted_on_screen_and_the_schema_is_kept(competition):
    comps = competition()
    tr, _ = make_frames()
    tr.loc[[3, 5, 7], "y"] = None
    write(comps, "train.csv", tr)
    res = runner.invoke(app, [str(a) for a in run_args(comps)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "3 rows have no target 'y'; they are left out (237 rows remain)" in res.output
    run_dir = next((comps.parent / "runs" / "toy").iterdir())
    schema = {c["column"]: c for c in json.loads((run_dir / "schema.json").read_text())}
    assert schema["x"]["type"] == "numeric" and schema["c"]["type"] == "categorical"
    assert schema["when"]["type"] == "datetime" and all(c["reason"] for c in schema.values())


def _rated(task: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """make_frames' three classes as the ratings 0 < 1 < 2 that quadratic weighted kappa orders."""
    tr, te = make_frames(task)
    return tr.assign(y=tr.y.map({"low": 0, "mid": 1, "high": 2})), te


@pytest.mark.parametrize(
    "task,metric",
    [("binary", "mcc"), ("binary", "balanced_accuracy"), ("multiclass", "qwk"), ("regression", "r2"),
     ("regression", "mape"), ("binary", "recall_at_precision_0.9")],
)  # fmt: skip
def test_each_kaggle_metric_runs_and_writes_labels_or_values(tmp_path, task, metric):
    from tests.conftest import write_competition

    frames = _rated(task) if metric == "qwk" else make_frames(task)
    comps = write_competition(tmp_path, task=task, metric=metric, train=frames[0], test=frames[1])
    res = invoke(*run_args(comps, "toy", "--json"))
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    sub = pd.read_csv(out["submission"])
    assert len(sub) == 120 and not sub.isna().any().any()
    if task == "regression":
        assert sub.y.dtype == float and sub.y.nunique() > 10
    else:  # labels in the training file's own values, cut at a threshold chosen on the OOF rows
        assert set(sub.y) <= set(frames[0].y)
    scores = json.loads((Path(out["submission"]).parent / "scores.json").read_text())
    assert scores["metric"] == metric and scores["greater_is_better"] == (metric != "mape")
    # the fitted pipeline, which holds the metric, is kept for compete predict
    assert "error" not in scores["artifacts"] and (Path(out["submission"]).parent / "artifacts").is_dir()
    if task != "regression":
        assert "threshold" in scores


def test_qwk_on_labels_without_an_order_is_refused(competition):
    comps = competition(task="multiclass", metric="qwk")
    message = bad(comps)
    assert "metric 'qwk' weighs each class by its distance" in message
    assert "target 'y' holds labels that are not numbers ('high', 'low', 'mid')" in message
    assert "write the ratings as numbers" in message
