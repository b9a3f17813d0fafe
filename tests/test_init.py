"""`compete init` through the command line: the metric follows sample_submission's layout for every
label type, every column is printed with its inferred type and reason, and boolean labels survive a run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from compete.cli import app
from compete.data.schema import infer_schema
from compete.spec import SchemaSpec

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def frames(labels: np.ndarray, n: int = 120) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train (id, x, c, note, label) and test (id, x, c, note) with a learnable two-class label."""
    rng = np.random.default_rng(0)
    total = n + 40
    x = rng.normal(size=total)
    note = [f"free text number {i} here" for i in range(total)]
    frame = pd.DataFrame({"id": np.arange(1000, 1000 + total), "x": x, "c": rng.choice(["a", "b"], total),
                          "note": note, "label": np.where(x > 0, labels[1], labels[0])})  # fmt: skip
    return frame.iloc[:n], frame.iloc[n:].drop(columns="label")


def folder(tmp_path: Path, train: pd.DataFrame, test: pd.DataFrame, sample_value: object) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    train.to_csv(data / "train.csv", index=False)
    test.to_csv(data / "test.csv", index=False)
    pd.DataFrame({"id": test["id"], "label": sample_value}).to_csv(
        data / "sample_submission.csv", index=False
    )
    return data


def init(tmp_path: Path, data: Path, *extra: object) -> tuple[str, dict]:
    res = invoke("init", "comp", "--data-dir", data, "--competitions", tmp_path / "comps", *extra)
    assert res.exit_code == 0, res.output
    spec = tomllib.loads((tmp_path / "comps" / "comp" / "competition.toml").read_text())
    return " ".join(res.output.split()), spec


@pytest.mark.parametrize(
    ("labels", "sample_value", "metric", "why"),
    [
        ((False, True), False, "accuracy", "holds booleans (False)"),
        (("false", "true"), "false", "accuracy", "holds booleans (False)"),  # pandas reads true/false as bool
        (("no", "yes"), "no", "accuracy", "holds text (no)"),
        ((0, 1), 0, "accuracy", "holds whole numbers that are target values (0)"),
        ((0, 1), 0.5, "auc", "holds fractions (0.5): probabilities, so auc"),
        (("no", "yes"), 0, "auc", "holds whole numbers that are not target values (0)"),
    ],
)
def test_metric_follows_the_sample_layout(tmp_path, labels, sample_value, metric, why):
    train, test = frames(np.array(labels, dtype=object))
    out, spec = init(tmp_path, folder(tmp_path, train, test, sample_value))
    assert spec["metric"] == metric and spec["task"] == "binary"
    assert f"metric: {metric} (sample_submission's 'label' {why}" in out


def test_multiclass_in_one_column_is_labels(tmp_path):
    train, test = frames(np.array(["a", "b"], dtype=object))
    train = train.assign(label=np.where(train.x > 1, "z", train.label))
    out, spec = init(tmp_path, folder(tmp_path, train, test, "a"))
    assert spec["task"] == "multiclass" and spec["metric"] == "accuracy"


def test_every_column_is_printed_with_its_type_and_reason(tmp_path):
    train, test = frames(np.array([0, 1]))
    train = train.assign(only_train=1.0, flat=7)
    test = test.assign(flat=7)
    out, spec = init(tmp_path, folder(tmp_path, train, test, 0))
    for line in (
        "id id identifies the rows",
        "label target the column to predict",
        "x numeric numbers",
        "c categorical strings",
        "note text free text",
        "flat ignored a single value",
        "only_train ignored in train only (test lacks it)",
    ):
        assert line in out, line
    assert spec["schema"]["ignore"] == ["only_train"]


def test_describe_is_json_ready_and_names_id_like_columns():
    import json

    def frame(start: int) -> pd.DataFrame:
        codes = [f"k{i}" for i in range(start, start + 100)]
        return pd.DataFrame({"n": np.arange(100.0), "code": codes, "d": ["2024-01-02"] * 99 + [None]})

    schema = infer_schema(frame(0), frame(100), SchemaSpec(numeric=("n",)))
    rows = json.loads(json.dumps(schema.describe()))
    assert rows[0] == {"column": "n", "type": "numeric", "reason": "set in the spec (schema.numeric)"}
    assert rows[1]["type"] == "id-like" and "mostly distinct" in rows[1]["reason"]
    assert rows[2] == {"column": "d", "type": "ignored", "reason": "a single value"}


@pytest.mark.parametrize(
    ("labels", "placeholder", "written"),
    [((False, True), False, {"True", "False"}), (("false", "true"), "false", {"true", "false"}),
     (("FALSE", "TRUE"), "FALSE", {"TRUE", "FALSE"})],
)  # fmt: skip
def test_boolean_labels_end_to_end(tmp_path, labels, placeholder, written):
    """The submission writes booleans as the competition spells them (pandas reads all three as bools)."""
    train, test = frames(np.array(labels))
    data = folder(tmp_path, train, test, placeholder)
    _, spec = init(tmp_path, data)
    assert spec["metric"] == "accuracy"
    res = invoke("run", "comp", "--competitions", tmp_path / "comps", "--runs-dir", tmp_path / "runs",
                 "--models", "lightgbm", "--folds", "3", "--device", "cpu", "--output", tmp_path / "sub.csv")  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = (tmp_path / "sub.csv").read_text().splitlines()
    assert lines[0] == "id,label" and len(lines) == 41
    assert {line.split(",")[1] for line in lines[1:]} == written


def _hourly(days: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    when = pd.date_range("2024-01-01", periods=24 * days, freq="h")
    return pd.DataFrame({"id": np.arange(len(when)), "when": when.strftime("%Y-%m-%d %H:%M:%S"),
                         "temp": rng.normal(size=len(when)).round(3), "count": rng.integers(0, 500, len(when))})  # fmt: skip


@pytest.mark.parametrize(
    ("split", "cv", "why"),
    [
        ("days", {"scheme": "group", "group": "when", "group_period": "day"},
         "group on 'when' by day: the test rows fall on 22 days between the training days, 0% of them in train"),
        ("later", {"scheme": "time", "time": "when"},
         "time on 'when': every test row comes after the last training row"),
        ("random", {"scheme": "kfold"}, "kfold 5-fold (regression)"),
    ],
)  # fmt: skip
def test_the_folds_mirror_how_train_and_test_were_split_in_time(tmp_path, split, cv, why):
    frame = _hourly()
    day = pd.to_datetime(frame["when"]).dt.day
    chosen = {"days": day >= 20, "later": frame.index >= 1200, "random": frame.index % 4 == 0}[split]
    train, test = frame[~chosen], frame[chosen].drop(columns="count")
    out, spec = init(tmp_path, folder(tmp_path, train, test, 0).parent / "data", "--target", "count")
    assert {k: spec["cv"][k] for k in cv} == cv and all(
        k not in spec["cv"] for k in {"group", "time"} - set(cv)
    )
    assert f"cv: {why}" in out
