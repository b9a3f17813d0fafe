"""bench/suite.py reads compete's run record (not --json output); bench/gpu_check.py refuses without a GPU.

No compete run and no GPU needed: fake run records and a fake ``compete`` script in tmp folders.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from compete.records.runs import record_run

ROOT = Path(__file__).resolve().parents[1]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


suite = load("suite")


def fake_run(runs: Path, competition: str, run_id: str, cv: float) -> Path:
    """A run folder with scores.json and submission.csv, and its ledger row, as compete writes them."""
    folder = runs / competition / run_id
    folder.mkdir(parents=True)
    scores = {"metric": "auc", "greater_is_better": True, "final": "lightgbm", "cv": cv,
              "models": {"lightgbm": {"cv": cv, "devices": ["cpu", "cpu"], "seconds": 1.5}},
              "budget": {"seconds": 60}}  # fmt: skip
    (folder / "scores.json").write_text(json.dumps(scores))
    (folder / "submission.csv").write_text("id,y\n1,0.5\n")
    record_run(runs, {"run_id": run_id, "competition": competition, "cv_score": cv, "wall_s": 3.0,
                      "path": str(folder), "submission": str(folder / "submission.csv")})  # fmt: skip
    return folder


def test_read_run_takes_the_new_record(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    fake_run(runs, "titanic", "20260101-000000-0001", 0.70)
    fake_run(runs, "adult", "20260101-000001-0002", 0.90)
    before = suite.run_ids(runs, "titanic")
    folder = fake_run(runs, "titanic", "20260101-000002-0003", 0.80)
    got = suite.read_run(runs, "titanic", before)
    assert got["run_id"] == "20260101-000002-0003"
    assert got["path"] == folder and got["submission"] == folder / "submission.csv"
    assert (got["cv"], got["final"], got["models"], got["budget"]) == (0.80, "lightgbm", {"lightgbm": 0.80},
                                                                        {"seconds": 60})  # fmt: skip
    with pytest.raises(LookupError, match="no new run of titanic"):
        suite.read_run(runs, "titanic", suite.run_ids(runs, "titanic"))
    (folder / "submission.csv").unlink()
    with pytest.raises(LookupError, match="no submission"):
        suite.read_run(runs, "titanic", before)


def test_compete_command_line_is_the_users(tmp_path: Path) -> None:
    args = argparse.Namespace(specs=ROOT / "competitions", budget=120.0, compete_budget=True)
    cmd = suite.compete_cmd(tmp_path / "titanic", args, tmp_path / "runs", tmp_path / "sub.csv")
    assert "--json" not in cmd
    assert cmd[1:3] == ["run", "titanic"]
    assert cmd[cmd.index("--time-budget") + 1] == "120"
    assert cmd[cmd.index("--runs-dir") + 1] == str(tmp_path / "runs")


def fake_compete(tmp_path: Path, body: str) -> str:
    """An executable standing in for ``compete``: it gets the suite's argv."""
    script = tmp_path / "compete"
    script.write_text(f"#!{sys.executable}\nimport sys\nargv = sys.argv[1:]\n{body}\n")
    script.chmod(0o755)
    return str(script)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("print('titanic: 891 rows')\nprint(\"KeyError: 'lightgbm#tuned1'\", file=sys.stderr)\nsys.exit(1)",
         "exit 1"),
        ("print('titanic: 891 rows')\nprint('all done')", "no 'submission:' last line"),
        ("print('titanic: 891 rows')\nprint('submission: sub.csv  cv auc 0.8')", "no new run of titanic"),
    ],
)  # fmt: skip
def test_compete_failure_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, body: str, problem: str
) -> None:
    monkeypatch.setattr(suite, "compete_command", lambda: fake_compete(tmp_path, body))
    args = argparse.Namespace(specs=ROOT / "competitions", budget=1.0, compete_budget=True, kill_factor=1.0)
    res = suite.run_system("compete", tmp_path / "titanic", {"metric": "auc"}, args, tmp_path)
    assert res.status == "FAILED" and res.score is None
    assert problem in res.note
    shown = capsys.readouterr().out
    assert "titanic compete FAILED" in shown and "titanic: 891 rows" in shown


def test_compete_success_scores_the_recorded_submission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = """
import json
from pathlib import Path
from compete.records.runs import record_run
runs = Path(argv[argv.index("--runs-dir") + 1])
folder = runs / "titanic" / "20260101-000009-0009"
folder.mkdir(parents=True)
scores = {"cv": 0.85, "final": "xgboost", "models": {"xgboost": {"cv": 0.85}}}
(folder / "scores.json").write_text(json.dumps(scores))
(folder / "submission.csv").write_text("id,y\\n1,0.5\\n")
record_run(runs, {"run_id": folder.name, "competition": "titanic", "cv_score": 0.85, "path": str(folder),
                  "submission": str(folder / "submission.csv")})
print("progress display")
print(f"submission: {folder / 'submission.csv'}  cv auc 0.85000  (1.0 s)")
"""
    monkeypatch.setattr(suite, "compete_command", lambda: fake_compete(tmp_path, body))
    scored = []
    monkeypatch.setattr(suite, "score", lambda folder, meta, sub: scored.append(sub) or 0.75)
    args = argparse.Namespace(specs=ROOT / "competitions", budget=1.0, compete_budget=True, kill_factor=1.0)
    res = suite.run_system("compete", tmp_path / "titanic", {"metric": "auc"}, args, tmp_path)
    assert (res.status, res.score, res.cv) == ("ok", 0.75, 0.85)
    assert scored == [tmp_path / "runs" / "titanic" / "20260101-000009-0009" / "submission.csv"]


def test_gpu_check_without_gpu_exits_2(tmp_path: Path) -> None:
    env = {**os.environ, "COMPETE_GPU_CHECK_FAKE_NONE": "1"}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py"), "--data-root", str(tmp_path),
                          "--out", str(tmp_path / "gpu.json")], capture_output=True, text=True, env=env,
                         timeout=60)  # fmt: skip
    assert out.returncode == 2
    assert "no GPU: nvidia-smi lists none; run this on a machine with an NVIDIA GPU" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert not (tmp_path / "gpu.json").exists()


def test_replay_blend_scores_a_stored_library_with_and_without_bags(tmp_path: Path) -> None:
    replay_blend = load("replay_blend")
    rng = np.random.default_rng(0)
    n, n_test = 200, 80
    labels = rng.choice(["no", "yes"], n + n_test)  # text labels: the answers are encoded as the run's
    y = (labels == "yes").astype(int)
    data = tmp_path / "data" / "toy"
    data.mkdir(parents=True)
    pd.DataFrame({"id": range(n), "t": labels[:n]}).to_csv(data / "train.csv", index=False)
    pd.DataFrame({"id": range(n, n + n_test)}).to_csv(data / "test.csv", index=False)
    pd.DataFrame({"id": range(n, n + n_test), "t": labels[n:]}).to_csv(data / "answers.csv", index=False)
    run = tmp_path / "runs" / "toy" / "20260101-000000-abcd"
    run.mkdir(parents=True)
    fits = {f"m{i}": np.clip(y + rng.normal(0, 0.6 + 0.2 * i, n + n_test), 0, 1) for i in range(3)}
    oof = pd.DataFrame({k: v[:n] for k, v in fits.items()} | {"y": y[:n], "fold": np.arange(n) % 5})
    oof.to_parquet(run / "oof.parquet")
    pd.DataFrame({k: v[n:] for k, v in fits.items()}).to_parquet(run / "test.parquet")
    (run / "scores.json").write_text(json.dumps({"metric": "auc"}))
    (run / "spec.json").write_text(json.dumps({"task": "binary", "target": "t", "id": "id", "metric": "auc"}))

    row = replay_blend.replay(run, data, [1, 20])
    assert 1 <= row["fits bags=1"] <= row["fits bags=20"] <= 3
    best_single = max(roc_auc_score(y[n:], v[n:]) for v in fits.values())
    assert best_single - 0.05 < row["answers bags=1"] <= 1  # scored against the encoded answers
    assert 0.5 < row["cv bags=20"] <= 1
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "replay_blend.py"), "toy", "--data-root",
                          str(tmp_path / "data"), "--runs", str(tmp_path / "runs")],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert "answers bags=20" in out.stdout and "mean:" in out.stdout


def test_the_generated_many_class_competition_sets_up_through_init_as_the_local_ones_do(
    tmp_path: Path,
) -> None:
    from compete.data.infer import init_competition

    generated = load("generated")
    generated.classes_7(tmp_path)
    folder = tmp_path / "classes-7"
    meta = json.loads((folder / "meta.json").read_text())
    train, test = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "test.csv")
    answers, sample = pd.read_csv(folder / "answers.csv"), pd.read_csv(folder / "sample_submission.csv")
    assert (len(train), len(test)) == (22_000, 8_000) and meta["target"] not in test.columns
    assert answers[meta["id"]].tolist() == test[meta["id"]].tolist() == sample[meta["id"]].tolist()
    assert sorted(train["Class"].unique()) == list("ABCDEFG") == list(sample.columns[1:])
    made = init_competition("c7", folder, competitions_dir=tmp_path / "specs", metric=meta["metric"])
    assert made.settings["task"] == "multiclass" and made.settings["target"] == "Class"
    assert made.settings["id"] == "row_id"
