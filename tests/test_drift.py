"""Adversarial validation: ≈ 0.5 when test is drawn like train, high with the giveaway feature on top."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import compete.drift as drift_module
from compete.data.prepared import CompetitionRef
from compete.drift import DRIFT_WARN_AUC, drift_auc, quick_drift, run_drift
from compete.errors import DataError
from compete.run.options import RunOptions
from tests.test_submit import app, toy

cli = CliRunner()


def frames(n: int = 600, shift: float = 0.0, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def one(size: int, moved: float) -> pd.DataFrame:
        return pd.DataFrame({
            "a": rng.normal(size=size),
            "b": rng.normal(moved, 1, size=size),
            "c": pd.Categorical(rng.choice(["x", "y", "z"], size), categories=["x", "y", "z"]),
        })  # fmt: skip

    return one(n, 0.0), one(n // 2, shift)


def test_same_distribution_scores_near_half():
    report = drift_auc(*frames(), seed=0)
    assert abs(report.auc - 0.5) < 0.08 and not report.high and report.warning() is None
    assert report.verdict == "test looks like train" and len(report.fold_aucs) == 5
    assert sum(report.importance.values()) == pytest.approx(1.0) and set(report.importance) == {"a", "b", "c"}


def test_a_shifted_feature_is_found_and_warned_about():
    report = drift_auc(*frames(shift=2.0), seed=0)
    assert report.auc > 0.9 and report.high and report.top(1)[0][0] == "b"
    assert report.top(1)[0][1] > 0.5
    assert report.warning().startswith(f"adversarial validation AUC {report.auc:.3f} >= {DRIFT_WARN_AUC}")
    assert "(most by b," in report.warning()


def test_same_seed_same_report_and_sampling_keeps_both_sides():
    X, X_test = frames(shift=0.5)
    first, second = drift_auc(X, X_test, seed=3), drift_auc(X, X_test, seed=3)
    assert first.auc == second.auc and first.importance == second.importance
    small = drift_auc(X, X_test, seed=3, max_rows=300)
    assert small.sampled and (small.n_train, small.n_test) == (600, 300)


def test_run_quick_check_is_kept_and_read_back_for_the_same_frames_only(tmp_path, monkeypatch):
    cache = tmp_path / "cache" / "check.json"
    X, X_test = frames(shift=2.0)
    from compete.records import atomic

    writes: list[Path] = []
    write = atomic.write_text_atomic

    def counted(text: str, path: Path) -> Path:
        writes.append(Path(path))
        return write(text, path)

    monkeypatch.setattr(atomic, "write_text_atomic", counted)
    first = quick_drift(X, X_test, seed=1, cache=cache)
    assert first.fitted and first.report.high and len(first.report.fold_aucs) == 2
    assert not cache.exists()  # nothing is written until the caller saves it
    first.save()
    assert writes == [cache] and json.loads(cache.read_text()) == {
        "key": first.key,
        "report": first.report.to_dict(),
    }
    saved, inode = cache.read_bytes(), cache.stat().st_ino
    again = quick_drift(X, X_test, seed=1, cache=cache)  # same frames, same seed: read back
    assert (
        not again.fitted and again.report == first.report and again.report.warning() == first.report.warning()
    )
    again.save()  # a report read back is not written again: the file is the one first.save() wrote
    assert writes == [cache] and cache.read_bytes() == saved and cache.stat().st_ino == inode
    X_test.loc[0, "a"] += 1.0  # one changed value is another key: fitted again
    changed = quick_drift(X, X_test, seed=1, cache=cache)
    assert changed.fitted and changed.key != first.key
    changed.save()
    assert writes == [cache, cache]
    assert json.loads(cache.read_text()) == {"key": changed.key, "report": changed.report.to_dict()}
    assert quick_drift(X, X_test, seed=2, cache=cache).fitted  # another seed, another key
    cache.write_text("not json")  # a damaged file is fitted again, not an error
    assert quick_drift(X, X_test, seed=1, cache=cache).fitted
    assert quick_drift(X, X_test, seed=1).fitted  # no cache file at all


def test_categories_unseen_in_train_datetimes_and_text_are_handled():
    X, X_test = frames(n=300)
    X_test["c"] = pd.Categorical(["w"] * len(X_test))  # a level train never has: the split is plain
    for f, start in ((X, "2024-01-01"), (X_test, "2025-01-01")):
        f["when"] = pd.date_range(start, periods=len(f), freq="D")
        f["note"] = "some words here"
    report = drift_auc(X, X_test, seed=0)
    assert report.auc > 0.95 and report.top(1)[0][0] in {
        "c",
        "when__elapsed",
        "when__year",
        "when__dayofyear",
    }


def test_errors_name_the_problem():
    X, X_test = frames(n=40)
    with pytest.raises(DataError, match=r"test lacks the train columns \['a'\]"):
        drift_auc(X, X_test.drop(columns="a"))
    with pytest.raises(DataError, match="needs at least 5 train and 5 test rows; got 40 and 3"):
        drift_auc(X, X_test.iloc[:3])


def test_run_drift_saves_a_report_beside_the_runs_and_the_command_prints_it(tmp_path):
    comps = toy(tmp_path)
    root = tmp_path
    res = run_drift(CompetitionRef("toy", comps, root / "data", None, root / "runs"), folds=3)
    saved = json.loads((res.path / "drift.json").read_text())
    assert res.path.parent == root / "runs" / "toy" and res.drift_id.startswith("drift-")
    assert saved["auc"] == res.report.auc and saved["n_train"] == 200 and saved["n_test"] == 100
    names = set(saved["importance"])
    assert {"x", "c"} <= names and any(n.startswith("when__") for n in names) and "when" not in names
    assert "y" not in saved["features"] and "id" not in saved["features"]
    out = cli.invoke(app, ["drift", "toy", "--competitions", str(comps), "--data-root", str(root / "data"),
                           "--runs-dir", str(root / "runs"), "--folds", "3", "--top", "2"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "train-vs-test AUC" in out.output and "features that give the split away" in out.output
    assert len(list((root / "runs" / "toy").glob("drift-*/drift.json"))) == 2


def test_run_warns_on_a_shifted_test_set_and_the_next_run_reads_the_check_back(tmp_path, monkeypatch):
    from compete.run.runner import run_competition
    from tests.conftest import write_competition

    comps = write_competition(tmp_path)
    test_csv = tmp_path / "data" / "toy" / "test.csv"
    shifted = pd.read_csv(test_csv)
    shifted["x"] += 5.0  # every test row is easy to tell from the train rows
    shifted.to_csv(test_csv, index=False)
    fits = []
    real = drift_module.drift_auc
    monkeypatch.setattr(drift_module, "drift_auc", lambda *a, **k: fits.append(1) or real(*a, **k))
    opts = RunOptions("toy", comps, tmp_path / "data", None, tmp_path / "runs", device="cpu")
    logs = [(run_competition(opts).path / "run.log").read_text() for _ in range(2)]
    assert all("warning: adversarial validation AUC" in log and "(most by x" in log for log in logs)
    checks = [[json.loads(e) for e in log.splitlines() if '"drift"' in e] for log in logs]
    assert [c[0]["fitted"] for c in checks] == [True, False] and checks[0][0]["auc"] == checks[1][0][
        "auc"
    ] > 0.9
    assert len(fits) == 1 and (tmp_path / "runs" / ".cache" / "drift" / "toy.json").is_file()


def test_a_run_that_fails_after_the_drift_check_leaves_no_cache(tmp_path, monkeypatch):
    import compete.run.runner as runner
    from compete.errors import ModelError
    from tests.conftest import write_competition

    def broken(*args, **kwargs):
        raise ModelError("broken on purpose")

    monkeypatch.setattr(runner, "_fit_models", broken)
    comps = write_competition(tmp_path)
    with pytest.raises(ModelError):
        runner.run_competition(
            RunOptions("toy", comps, tmp_path / "data", None, tmp_path / "runs", device="cpu")
        )
    assert not (tmp_path / "runs" / ".cache").exists()
