"""``compete run --cluster``: the same answers as a local run, on a ``local:N`` cluster and on a real
``dask scheduler`` with two ``dask worker`` processes started here on 127.0.0.1; a worker killed
mid-run costs nothing; a scheduler lost mid-run is a clear error, and ``--resume`` finishes the run
without refitting what was done."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from compete.cli import app
from compete.progress import FoldDone, Note
from compete.run.options import RunOptions
from compete.run.runner import run_competition
from tests.conftest import write_competition

MODELS = '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 60, n_jobs = 1}\n' \
         '[[models]]\nname = "random_forest"\nparams = {n_estimators = 40, n_jobs = 1}\n'  # fmt: skip
SCHEDULER = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker"]


def _opts(comps: Path, root: Path, runs: str, **kw) -> RunOptions:
    return RunOptions("toy", competitions_dir=comps, data_root=root / "data", runs_dir=root / runs, **kw)


def _same_run(a: Path, b: Path) -> None:
    for name in ("oof.parquet", "test.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name), check_exact=True)
    assert (a / "submission.csv").read_bytes() == (b / "submission.csv").read_bytes()
    sa, sb = (json.loads((p / "scores.json").read_text()) for p in (a, b))
    assert sa["folds"] == sb["folds"] and sa["final"] == sb["final"] and sa["cv"] == sb["cv"]


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A competition and its local run, the reference every cluster run must equal."""
    root = tmp_path_factory.mktemp("cluster")
    comps = write_competition(root, models=MODELS, n=600)
    local = run_competition(_opts(comps, root, "local"))
    return comps, root, local.path


def test_a_local_cluster_gives_the_local_runs_answers(toy) -> None:
    comps, root, local = toy
    events: list = []
    on_cluster = run_competition(_opts(comps, root, "on-local-cluster", cluster="local:2"), events.append)
    _same_run(local, on_cluster.path)
    assert sum(isinstance(e, FoldDone) for e in events) == 6
    assert any(isinstance(e, Note) and e.text.startswith("cluster local:2: 2 workers") for e in events)
    assert not (root / "on-local-cluster" / ".partial").exists()  # recorded: nothing left to resume


def test_without_a_cluster_dask_is_never_imported(toy) -> None:
    comps, root, _ = toy
    code = (f"import sys; from compete.run.options import RunOptions; from compete.run.runner import run_competition; "
            f"run_competition(RunOptions('toy', competitions_dir={str(comps)!r}, data_root={str(root / 'data')!r}, "
            f"runs_dir={str(root / 'no-dask')!r})); print(sorted(m for m in sys.modules if m.split('.')[0] in "
            f"('dask', 'distributed')))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_bad_cluster_options_are_named(toy) -> None:
    comps, root, _ = toy
    runner = CliRunner()
    args = ["run", "toy", "--competitions", str(comps), "--data-root", str(root / "data"), "--runs-dir",
            str(root / "bad")]  # fmt: skip
    cases = {
        ("--cluster", "local:x"): "--cluster 'local:x': local:N needs a number of workers N >= 1",
        ("--cluster", "tcp://127.0.0.1:9"): "--cluster tcp://127.0.0.1:9: no Dask scheduler answers there",
        ("--resume", "20260101-000000-0000"): "--resume 20260101-000000-0000 continues a cluster run",
        (
            "--cluster",
            "local:1",
            "--resume",
            "x",
            "--time-budget",
            "60",
        ): "--resume x finishes a run without a time budget",
        ("--cluster", "local:1", "--resume", "nope"): "--resume nope: no unfinished run",
    }
    for extra, message in cases.items():
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert message in " ".join(result.output.split()), (extra, result.output)
        assert "Traceback" not in result.output
    assert not (root / "bad" / "toy").exists()


def test_a_time_budget_plans_with_the_clusters_workers(toy) -> None:
    """Under --time-budget on local:2 the first pass runs side by side, the second pass tunes with a
    trial on each worker, and the record says which worker ran what, with the critical path."""
    comps, root, _ = toy
    events: list = []
    result = run_competition(
        _opts(comps, root, "budget-cluster", cluster="local:2", time_budget=30), events.append
    )
    budget = json.loads((result.path / "scores.json").read_text())["budget"]
    assert budget["spent"] <= 30 * 1.1, budget["spent"]
    steps = {s.get("label", s["step"]): s for s in budget["steps"]}
    first = [steps["lightgbm"], steps["random_forest"]]
    assert all(s["status"] == "done" and len(s["workers"]) == 2 for s in first), first
    turns = [s for s in budget["steps"] if s["step"].startswith("tune ")]
    assert turns and turns[0]["completed"] >= 2 and turns[0]["workers"], turns
    assert turns[0]["after"] == turns[0]["step"].removeprefix("tune ")
    assert 0 < budget["critical_path"] < budget["fit_seconds"]
    assert budget["fit_seconds"] == pytest.approx(
        sum(s.get("fit_seconds", 0.0) for s in budget["steps"]), abs=0.1
    )
    assert (result.path / "submission.csv").is_file()


XGB = '[[models]]\nname = "xgboost"\nparams = {n_estimators = 80, max_depth = 4}\n'


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_distributed_xgboost_trains_on_parquet_parts(tmp_path, task) -> None:
    """`distributed = true`: xgboost.dask on the run's parquet parts, close to a local XGBoost fit (not
    the same bits: the quantile sketch is merged across workers), each worker's peak memory said, and
    the parts gone once the run is recorded."""
    metric = "accuracy" if task == "multiclass" else None  # the toy's sample_submission has one column
    local_comps = write_competition(tmp_path / "local", task=task, metric=metric, models=XGB, n=600)
    comps = write_competition(
        tmp_path / "dist", task=task, metric=metric, models=XGB + "distributed = true\n", n=600
    )
    local = run_competition(_opts(local_comps, tmp_path / "local", "runs"))
    events: list = []
    dist = run_competition(_opts(comps, tmp_path / "dist", "runs", cluster="local:2"), events.append)
    sl, sd = (json.loads((r.path / "scores.json").read_text()) for r in (local, dist))
    assert abs(sl["cv"] - sd["cv"]) < 0.03, (sl["cv"], sd["cv"])
    tl, td = (pd.read_parquet(r.path / "test.parquet").to_numpy().ravel() for r in (local, dist))
    assert np.corrcoef(tl, td)[0, 1] > 0.95
    notes = [e.text for e in events if isinstance(e, Note)]
    assert any(
        re.search(r"xgboost \(distributed\): 2 workers' peak memory [\d,]+, [\d,]+ MB", t) for t in notes
    ), notes
    assert sum(isinstance(e, FoldDone) for e in events) == 3
    assert not (tmp_path / "dist" / "runs" / ".partial").exists()


def test_parquet_parts_give_each_fold_its_rows_in_order(tmp_path) -> None:
    """What a distributed fit reads: parts small enough that each worker has one, a fold's rows only
    (pyarrow's row filter), in the frame's order, the categoricals back as the run's own levels and
    codes, every other column as float32."""
    from compete.compute.xgb_dask import TARGET, read_part, write_parts
    from compete.cv.foldloop import FoldContext
    from compete.scoring.metrics import get_metric

    rng = np.random.default_rng(0)
    n = 1_000
    X = pd.DataFrame({"a": rng.normal(size=n), "k": pd.Categorical(rng.choice(["x", "y", "z"], n)),
                      "i": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 9, n)), dtype="Int64")})  # fmt: skip
    y = rng.integers(0, 2, n)
    fold = rng.integers(0, 3, n)
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(3)]
    ctx = FoldContext(X, y, X.iloc[:300], folds, "binary", get_metric("auc"), 0)
    parts = write_parts(tmp_path / "parts", ctx, workers=3)
    files = sorted(str(f) for f in (tmp_path / "parts" / "train").glob("part.*.parquet"))
    assert parts["rows"] == 334 and len(files) == 3 and parts["features"] == ["a", "k", "i"]
    assert parts["parts_bytes"] < parts["bytes"]
    for k in range(3):
        got = pd.concat([read_part(f, ["a", "k", "i", TARGET], parts["dtypes"], ("==", k)) for f in files])
        rows = np.flatnonzero(fold == k)
        assert len(got) == len(rows)
        assert got["a"].dtype == np.float32
        np.testing.assert_array_equal(got["a"].to_numpy(), X["a"].to_numpy()[rows].astype(np.float32))
        assert got["k"].dtype == X["k"].dtype
        assert (got["k"].to_numpy() == X["k"].to_numpy()[rows]).all()
        assert got["i"].isna().sum() == X["i"].iloc[rows].isna().sum()
        np.testing.assert_array_equal(got[TARGET].to_numpy(), y[rows])
        assert len(read_part(files[0], None, parts["dtypes"], ("!=", k))) == np.sum(fold[:334] != k)


def test_what_distributed_cannot_do_is_named(tmp_path) -> None:
    runner = CliRunner()
    cases = {
        ("xgboost", "", ()): "models[0].distributed = true trains on a Dask cluster: give --cluster",
        ("lightgbm", "", ("--cluster", "local:1")): "models[0].distributed: is for xgboost only",
        ("xgboost", '[[features]]\nrecipe = "date_parts"\n', ("--cluster", "local:1")):
            "trains on the typed columns, and this spec has [[features]] recipes",
        ("xgboost", "", ("--cluster", "local:1", "--time-budget", "60")): "does not slice its fits by a time budget",
    }  # fmt: skip
    for i, ((name, extra, flags), message) in enumerate(cases.items()):
        models = f'{extra}[[models]]\nname = "{name}"\ndistributed = true\n'
        comps = write_competition(tmp_path / str(i), models=models)
        result = runner.invoke(app, ["run", "toy", "--competitions", str(comps), "--data-root",
                                     str(tmp_path / str(i) / "data"), "--runs-dir", str(tmp_path / str(i) / "runs"),
                                     *flags])  # fmt: skip
        assert result.exit_code == 2, (flags, result.output)
        assert message in " ".join(result.output.split()), (message, result.output)
        assert "Traceback" not in result.output and not (tmp_path / str(i) / "runs" / "toy").exists()


def test_a_worker_without_a_part_stays_out_of_the_session(tmp_path) -> None:
    """Parts cut for one worker on a cluster of two (a worker that joined later): the collective session
    is of the one worker that has parts, and the fit ends with every OOF row predicted."""
    from compete.compute.cluster import open_cluster
    from compete.compute.xgb_dask import fit_distributed, write_parts
    from compete.cv.foldloop import FoldContext
    from compete.scoring.metrics import get_metric
    from compete.spec import ModelSpec

    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=400), "k": pd.Categorical(rng.choice(list("xyz"), 400))})
    y = (X["a"] + (X["k"] == "x") > 0.3).to_numpy().astype(int)
    fold = np.arange(400) % 2
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(2)]
    ctx = FoldContext(X, y, X.iloc[:100], folds, "binary", get_metric("auc"), 0)
    parts = write_parts(tmp_path / "parts", ctx, workers=1)
    events: list = []
    with open_cluster("local:2") as cluster:
        result = fit_distributed(cluster, ctx, ModelSpec("xgboost", {"n_estimators": 20}, distributed=True),
                                 parts, report=events.append)  # fmt: skip
    assert not np.isnan(result.oof).any() and result.score > 0.8 and result.test.shape == (100,)
    notes = [e.text for e in events if isinstance(e, Note)]
    assert any("1 workers' peak memory" in t for t in notes), notes


def test_distributed_refuses_folds_that_train_on_fewer_than_every_other_row() -> None:
    """A time split's fold trains on the rows before it, not on every row outside it, which is what the
    parquet parts' fold filter gives: refused by name."""
    from compete.compute.xgb_dask import check_distributed
    from compete.cv.foldloop import FoldContext
    from compete.errors import SpecError
    from compete.scoring.metrics import get_metric
    from compete.spec import ModelSpec

    rows = np.arange(9)
    forward = [(rows[:3], rows[3:6]), (rows[:6], rows[6:])]
    ctx = FoldContext(pd.DataFrame({"a": rows}), rows % 2, None, forward, "binary", get_metric("auc"), 0)
    with pytest.raises(
        SpecError, match=r"models\[0\].distributed = true trains each fold on every row outside it"
    ):
        check_distributed([ModelSpec("xgboost", distributed=True)], ctx, cluster=True, budget=False)


# ------------------------------------------------------------------------- a real scheduler and workers


class RealCluster:
    """``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, started and stopped here."""

    def __init__(self, folder: Path, workers: int = 2) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "scheduler.json"
        self.file.unlink(missing_ok=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.scheduler = subprocess.Popen([*SCHEDULER, "--host", "127.0.0.1", "--port", "0",
                                           "--no-dashboard", "--scheduler-file", str(self.file)], **quiet)  # fmt: skip
        deadline = time.monotonic() + 60
        while not self.file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(self.file.read_text())["address"]
        self.workers = [subprocess.Popen([*WORKER, self.address, "--nthreads", "1", "--nworkers", "1",
                                          "--host", "127.0.0.1", "--no-dashboard", "--no-nanny"], **quiet)
                        for _ in range(workers)]  # fmt: skip
        from dask.distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=60)

    def stop(self) -> None:
        for proc in (*self.workers, self.scheduler):
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture
def real_cluster(tmp_path: Path) -> Iterator[RealCluster]:
    cluster = RealCluster(tmp_path / "dask")
    yield cluster
    cluster.stop()


def _cli(comps: Path, root: Path, runs: str, *extra: str):
    args = ["run", "toy", "--competitions", str(comps), "--data-root", str(root / "data"), "--runs-dir",
            str(root / runs), *extra]  # fmt: skip
    return CliRunner().invoke(app, args)


def _recorded(root: Path, runs: str) -> Path:
    return next((root / runs / "toy").glob("2*"))


def test_a_real_cluster_gives_the_local_runs_answers_as_typed(toy, real_cluster) -> None:
    comps, root, local = toy
    result = _cli(comps, root, "real", "--cluster", real_cluster.address)
    assert result.exit_code == 0, result.output
    assert f"cluster {real_cluster.address}: 2 workers, 2 threads" in result.output
    assert result.output.strip().splitlines()[-1].startswith("submission:")
    _same_run(local, _recorded(root, "real"))


def test_the_demo_through_a_real_scheduler_and_two_workers_as_typed(tmp_path, real_cluster) -> None:
    """`compete run demo --cluster tcp://127.0.0.1:PORT` as a user types it, against the same command here."""
    repo = Path(__file__).resolve().parents[1]

    def demo(runs: str, *extra: str) -> Path:
        args = ["run", "demo", "--competitions", str(repo / "competitions"), "--data-root", str(tmp_path / "data"),
                "--runs-dir", str(tmp_path / runs), "--models", "lightgbm", "--folds", "3", "--no-search", *extra]  # fmt: skip
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.output.strip().splitlines()[-1].startswith("submission:")
        return next((tmp_path / runs / "demo").glob("2*"))

    _same_run(demo("here"), demo("there", "--cluster", real_cluster.address))


def test_a_worker_killed_mid_run_costs_only_its_tasks(toy, real_cluster) -> None:
    comps, root, local = toy
    victim = real_cluster.workers[0]

    def kill_a_worker(event) -> None:
        if isinstance(event, FoldDone) and victim.poll() is None:
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)

    run = run_competition(_opts(comps, root, "killed-worker", cluster=real_cluster.address), kill_a_worker)
    assert victim.poll() is not None  # it died before the run ended, and the run finished anyway
    _same_run(local, run.path)


def test_a_lost_scheduler_keeps_the_finished_fits_and_resume_does_the_rest(toy, tmp_path: Path) -> None:
    comps, root, local = toy
    first = RealCluster(tmp_path / "first")
    fits_seen = []

    def kill_the_scheduler(event) -> None:
        if isinstance(event, FoldDone):
            fits_seen.append(event)
            if len(fits_seen) == 2:
                first.scheduler.send_signal(signal.SIGKILL)

    try:
        from compete.compute.cluster import ClusterError

        with pytest.raises(ClusterError) as lost:
            run_competition(_opts(comps, root, "resumed", cluster=first.address), kill_the_scheduler)
    finally:
        first.stop()
    message = str(lost.value)
    assert f"--cluster {first.address}: the Dask scheduler went away during the run" in message
    token = re.search(r"resume with --resume (\S+)", message).group(1)
    kept = list((root / "resumed" / ".partial" / "toy" / token).glob("*.joblib"))
    assert len(kept) >= 2 and not (root / "resumed" / "toy").exists()  # fits kept, no run recorded
    second = RealCluster(tmp_path / "second")
    try:
        events: list = []
        run = run_competition(
            _opts(comps, root, "resumed", cluster=second.address, resume=token), events.append
        )
    finally:
        second.stop()
    notes = [e.text for e in events if isinstance(e, Note) and e.text.startswith("resuming")]
    assert notes and f"{len(kept)} of 6 fits kept" in notes[0]
    _same_run(local, run.path)
    assert not (root / "resumed" / ".partial" / "toy" / token).exists()


def test_the_spec_can_name_the_cluster(toy, tmp_path: Path) -> None:
    comps = write_competition(tmp_path, models=MODELS, n=600, extra='[compute]\ncluster = "local:2"\n')
    events: list = []
    run_competition(_opts(comps, tmp_path, "runs"), events.append)
    assert any(isinstance(e, Note) and e.text.startswith("cluster local:2") for e in events)
    assert os.environ.get("COMPETE_CLUSTER") is None
    np.testing.assert_array_equal(pd.read_parquet(_recorded(tmp_path, "runs") / "oof.parquet").to_numpy(),
                                  pd.read_parquet(toy[2] / "oof.parquet").to_numpy())  # fmt: skip


def test_tune_runs_its_trials_as_tasks_on_one_study(toy, tmp_path: Path) -> None:
    import optuna

    comps, root, _ = toy
    runs = tmp_path / "tune-runs"
    args = ["tune", "toy", "--model", "lightgbm", "--trials", "6", "--cluster", "local:2", "--competitions",
            str(comps), "--data-root", str(root / "data"), "--runs-dir", str(runs)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "6 trials in" in result.output
    storage = f"sqlite:///{runs / 'optuna.sqlite3'}"
    (summary,) = optuna.get_all_study_summaries(storage)
    study = optuna.load_study(study_name=summary.study_name, storage=storage)
    assert len(study.trials) == 6 and all(t.state.is_finished() for t in study.trials)
    drawn = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(drawn)) == 6  # the workers drew their own parameters, none repeated
