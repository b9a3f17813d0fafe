"""XGBoost on data no worker holds: ``[[models]] name = "xgboost"`` with ``distributed = true``.

The other models of a cluster run are fitted one fold per task, each task holding the whole typed
frame. This one is data-parallel: the run writes its typed, model-ready train rows (with each row's
fold and target) and test rows as parquet parts into the run's folder, and for each fold every worker
builds XGBoost's quantized matrix from its own share of the parts, read one part at a time through a
:class:`xgboost.DataIter` (a pyarrow row filter on the fold), inside one XGBoost ``collective``
session (a :class:`~xgboost.tracker.RabitTracker` started by the run): the quantile sketch, the
histograms and the early-stopping metric are reduced across the workers, so the trees are those of
one model trained on all the fold's rows. A worker so holds its share of the quantized matrices and
one part of raw rows at a time, not the frame: the run reports each worker's peak memory against the
frame's size. Each worker then predicts its own parts' validation and test rows.

What it does not do, said rather than pretended:

- the process that starts the run still reads and types the csv (as every run does), so it needs the
  whole frame's memory once; the workers need the run's folder on a shared file system, and must
  reach the run's process (the tracker listens on the address it uses to reach the scheduler);
- feature recipes and resampling are fitted on a fold's pandas frames, so a distributed model trains
  on the typed columns only (the spec is refused with a message when it names either);
- the trees are XGBoost's distributed ones (quantile sketches merged across workers), close to but
  not the same bits as a local fit's; ``--time-budget`` does not slice a distributed fit; a worker
  lost in the middle of a fold ends the run (a collective session cannot replace a member).

LightGBM's Dask interface is not used: it has no early stopping (its issue tracker says so), and a
GBDT without it either overfits or needs its rounds set by hand.
"""

from __future__ import annotations

import gc
import resource
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compete.cv.foldloop import FoldContext, ModelResult, score_oof
from compete.errors import SpecError
from compete.progress import FoldDone, ModelStarted, Note, Reporter
from compete.seeding import derive_seed
from compete.spec import ModelSpec

if TYPE_CHECKING:
    from compete.compute.cluster import Cluster

__all__ = ["check_distributed", "fit_distributed", "write_parts", "read_part", "PART_ROWS", "FOLD", "TARGET"]

PART_ROWS = 500_000  # rows per parquet part: the unit a worker reads
FOLD, TARGET = "__fold__", "__target__"
OBJECTIVE = {"binary": "binary:logistic", "multiclass": "multi:softprob", "regression": "reg:squarederror"}
NOT_NATIVE = {"n_estimators", "n_jobs", "random_state", "enable_categorical", "tree_method", "device"}


def check_distributed(models: tuple[ModelSpec, ...] | list[ModelSpec], ctx: FoldContext, *, cluster: bool,
                      budget: bool) -> None:  # fmt: skip
    """Refuse what a distributed model cannot do, naming the spec's key and what to do instead."""
    for i, m in enumerate(models):
        if not m.distributed:
            continue
        key = f"models[{i}].distributed"
        if not cluster:
            raise SpecError(f"{key} = true trains on a Dask cluster: give --cluster ADDRESS (or local:N), or "
                            "set [compute] cluster, or drop distributed")  # fmt: skip
        if ctx.features or ctx.resample is not None:
            what = "[[features]] recipes" if ctx.features else "[resample]"
            raise SpecError(f"{key} = true trains on the typed columns, and this spec has {what}, which are "
                            f"fitted on each fold's pandas frames: remove them or drop distributed")  # fmt: skip
        if budget:
            raise SpecError(f"{key} = true does not slice its fits by a time budget: drop --time-budget or "
                            "distributed")  # fmt: skip
        if any(len(tr) + len(va) != len(ctx.y) for tr, va in ctx.folds):
            raise SpecError(f"{key} = true trains each fold on every row outside it, and these folds train on "
                            "fewer (a time split): use cv.scheme kfold, stratified or group, or drop distributed")  # fmt: skip


def write_parts(folder: Path, ctx: FoldContext, workers: int = 1) -> dict[str, Any]:
    """The context's model-ready train rows (with ``__fold__`` and ``__target__``) and test rows as
    parquet parts under ``folder``. Categoricals are kept as their codes and every other column as
    float32, the type XGBoost bins anyway (so the trees are the same as from float64, in half the
    memory), in parts of :data:`PART_ROWS` rows, fewer when that gives every one of ``workers`` a part.
    Returns what the workers need to read them back: the folders, the categoricals' dtypes, the rows
    of a part, the model-ready frame's size as a local run holds it and the parts' size in memory."""
    from compete.features.finalize import Finalize

    # unsupervised: which columns are dates or text, which calendar parts the test rows reach (no target)
    fin = Finalize(keys=ctx.keys).fit(ctx.X, unlabeled=ctx.X_test)
    shutil.rmtree(folder, ignore_errors=True)
    fold = ctx.fold_of_row().astype(np.int8)
    rows = min(PART_ROWS, max(1, -(-len(ctx.X) // max(1, workers))))  # every worker gets a part to train on
    size = held = 0
    cats: dict[str, pd.CategoricalDtype] = {}
    features: list[str] = []
    for name, frame in (("train", ctx.X), ("test", ctx.X_test)):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for n, a in enumerate(range(0, len(frame), rows)):
            part = fin.transform(frame.iloc[a : a + rows])
            size += int(part.memory_usage(deep=True).sum())
            cats = {c: t for c, t in part.dtypes.items() if isinstance(t, pd.CategoricalDtype)}
            features = [str(c) for c in part.columns]
            part = pd.DataFrame({c: part[c].cat.codes if c in cats else part[c].astype("float32")
                                 for c in part.columns})  # fmt: skip
            if name == "train":
                part = part.assign(**{FOLD: fold[a : a + rows], TARGET: ctx.y[a : a + rows]})
            held += int(part.memory_usage(deep=True).sum())
            part.reset_index(drop=True).to_parquet(folder / name / f"part.{n:05d}.parquet")
    return {"folder": str(folder), "dtypes": cats, "features": features, "rows": rows, "bytes": size,
            "parts_bytes": held}  # fmt: skip


def _decode(part: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    """A part read back: the categoricals' codes made the run's categories again (same levels, same codes)."""
    cats = {c: pd.Categorical.from_codes(part[c].to_numpy(), dtype=t) for c, t in dtypes.items()
            if c in part.columns}  # fmt: skip
    return part.assign(**cats) if cats else part


def _native(model: ModelSpec, task: str, classes: int, seed: int, device: str) -> tuple[dict[str, Any], int]:
    """The model's parameters (defaults under the spec's) as :func:`xgboost.train` takes them, and its
    rounds."""
    from compete.models.xgboost import XGBoostModel

    params = {**XGBoostModel.default_params(task), **model.params}
    native = {k: v for k, v in params.items() if k not in NOT_NATIVE}
    native.update(objective=OBJECTIVE[task], eval_metric=XGBoostModel.EVAL_METRIC[task], tree_method="hist",
                  seed=seed, device="cuda" if device == "gpu" else "cpu")  # fmt: skip
    if task == "multiclass":
        native["num_class"] = classes
    return native, int(params.get("n_estimators", 1000))


def _peak_rss() -> int:
    """This process's peak resident memory in bytes (run on every worker): Linux's ``VmHWM``, the high
    mark of the process's own memory. (``getrusage``'s ``ru_maxrss`` is no use here: a worker started
    by fork and exec keeps its parent's peak in it.) Elsewhere, ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _batches(files: list[str], features: list[str], dtypes: dict[str, Any], fold: tuple[str, int]) -> Any:
    """An :class:`xgboost.DataIter` over parquet parts, one part a batch, only the rows ``fold`` selects
    (``("!=", k)``: fold k's training rows; ``("==", k)``: its validation rows). XGBoost walks it twice
    (sketch, then quantize) and keeps none of the raw rows."""
    import xgboost as xgb

    class Parts(xgb.DataIter):  # type: ignore[misc]
        def __init__(self) -> None:
            self.i = 0
            super().__init__(release_data=True)

        def next(self, input_data: Any) -> bool:
            while self.i < len(files):
                part = read_part(files[self.i], features + [TARGET], dtypes, fold)
                self.i += 1
                if len(part):
                    input_data(data=part[features], label=part[TARGET].to_numpy())
                    return True
            return False

        def reset(self) -> None:
            self.i = 0

    return Parts()


def read_part(
    file: str, columns: list[str] | None, dtypes: dict[str, Any], fold: tuple[str, int] | None = None
) -> pd.DataFrame:
    """One parquet part's ``columns`` (all: ``None``), only the rows of ``fold`` (``(op, k)`` on
    ``__fold__``; pyarrow filters them as it reads), the categoricals made the run's again."""
    import pyarrow.parquet as pq

    filters = [(FOLD, fold[0], fold[1])] if fold is not None else None
    return _decode(pq.read_table(file, columns=columns, filters=filters).to_pandas(), dtypes)


def _files(parts: dict[str, Any], name: str) -> list[str]:
    return sorted(str(f) for f in (Path(parts["folder"]) / name).glob("part.*.parquet"))


def _tracker(client: Any, workers: int) -> dict[str, Any]:
    """An XGBoost tracker for one collective session of ``workers``, in this process, listening on the
    address this process reaches the scheduler from (so the workers can reach it too)."""
    import socket
    from threading import Thread
    from urllib.parse import urlparse

    from xgboost.tracker import RabitTracker

    where = urlparse(client.scheduler.address)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((where.hostname or "127.0.0.1", where.port or 8786))
        host = probe.getsockname()[0]
    tracker = RabitTracker(n_workers=workers, host_ip=host, sortby="task")
    tracker.start()
    Thread(target=tracker.wait_for, daemon=True).start()
    return dict(tracker.worker_args())


def _fold_on_worker(coll: dict[str, Any], train: list[str], test: list[str], features: list[str],
                    dtypes: dict[str, Any], k: int, params: dict[str, Any], rounds: int, patience: int,
                    max_bin: int) -> dict[str, Any]:  # fmt: skip
    """One worker's part of fold ``k`` (a Dask task): its training parts' quantized matrix, trained with
    the other workers' in one collective session (early stopping on every worker's validation rows),
    then its own parts' validation and test rows predicted; and its peak memory."""
    import xgboost as xgb
    from distributed import get_worker
    from xgboost.dask import CommunicatorContext

    threads = int(get_worker().state.nthreads)
    with CommunicatorContext(**coll):
        dtrain = xgb.QuantileDMatrix(_batches(train, features, dtypes, ("!=", k)), max_bin=max_bin,
                                     enable_categorical=True, nthread=threads)  # fmt: skip
        dvalid = xgb.QuantileDMatrix(_batches(train, features, dtypes, ("==", k)), ref=dtrain,
                                     enable_categorical=True, nthread=threads)  # fmt: skip
        booster = xgb.train({**params, "nthread": threads}, dtrain, rounds, evals=[(dvalid, "valid")],
                            early_stopping_rounds=patience, verbose_eval=False)  # fmt: skip
    best = int(getattr(booster, "best_iteration", booster.num_boosted_rounds() - 1))
    del dtrain, dvalid
    gc.collect()
    upto = (0, best + 1)

    def predict(file: str, fold: tuple[str, int] | None) -> np.ndarray:
        part = read_part(file, features, dtypes, fold)
        return np.asarray(booster.predict(xgb.DMatrix(part, enable_categorical=True, nthread=threads),
                                          iteration_range=upto))  # fmt: skip

    valid = {f: predict(f, ("==", k)) for f in train}
    out = {f: predict(f, None) for f in test}
    return {"best": best, "valid": valid, "test": out, "peak": _peak_rss()}


def fit_distributed(cluster: Cluster, ctx: FoldContext, model: ModelSpec, parts: dict[str, Any], *,
                    device: str = "cpu", report: Reporter | None = None) -> ModelResult:  # fmt: skip
    """``model`` fitted data-parallel on every fold of ``ctx`` from the parquet ``parts``
    (:func:`write_parts`): each worker quantizes its share of the parts, the fold's training rows
    train and its validation rows stop the boosting, in one collective session over the workers;
    OOF and fold-averaged test predictions as a local cross-fit makes them. Only the target of the
    fold's training rows trains; the validation rows' target only stops the rounds, as locally."""
    from compete.models.xgboost import XGBoostModel

    client, folds = cluster.client, len(ctx.folds)
    workers = sorted(client.scheduler_info()["workers"])
    classes = int(ctx.y.max()) + 1 if ctx.task == "multiclass" else 1
    train, test = _files(parts, "train"), _files(parts, "test")
    features = list(parts["features"])
    share = {w: (train[i :: len(workers)], test[i :: len(workers)]) for i, w in enumerate(workers)}
    active = [w for w in workers if share[w][0]]  # a worker that joined after the parts were cut has none
    start_row = {f: n * parts["rows"] for n, f in enumerate(train)}
    start_test = {f: n * parts["rows"] for n, f in enumerate(test)}
    fold_of_row = ctx.fold_of_row()
    multi = ctx.task == "multiclass"
    oof = np.full((len(ctx.y), classes) if multi else len(ctx.y), np.nan)
    test_pred = np.zeros((len(ctx.X_test), classes) if multi else len(ctx.X_test))
    scores, rounds, seconds, peaks = [], [], [], {w: 0 for w in active}
    start = time.perf_counter()
    if report:
        report(ModelStarted(model.label, folds))
    for k in range(folds):
        t0 = time.perf_counter()
        params, n = _native(model, ctx.task, classes, derive_seed(ctx.seed, model.label, k), device)
        coll = _tracker(client, len(active))  # the session waits for exactly its members
        tasks = [client.submit(_fold_on_worker, coll, share[w][0], share[w][1], features, parts["dtypes"], k,
                               params, n, XGBoostModel(task=ctx.task).early_stopping_rounds,
                               int(model.params.get("max_bin", 256)), workers=[w], allow_other_workers=False,
                               pure=False, key=f"xgb-dask-{model.label}-{k}-{uuid.uuid4().hex}")
                 for w in active]  # fmt: skip
        done = client.gather(tasks)
        for w, got in zip(active, done, strict=True):
            peaks[w] = max(peaks[w], got["peak"])
            for f, pred in got["valid"].items():
                a = start_row[f]
                rows = a + np.flatnonzero(fold_of_row[a : a + parts["rows"]] == k)
                oof[rows] = pred
            for f, pred in got["test"].items():
                test_pred[start_test[f] : start_test[f] + len(pred)] += pred / folds
        va = np.flatnonzero(fold_of_row == k)
        scores.append(ctx.metric.score(ctx.y[va], oof[va]))
        rounds.append(done[0]["best"])
        seconds.append(round(time.perf_counter() - t0, 3))
        if report:
            report(FoldDone(model.label, k, folds, scores[-1], seconds[-1], device))
    if report:
        mb = ", ".join(f"{v / 2**20:,.0f}" for v in peaks.values())
        report(Note(f"{model.label} (distributed): {len(peaks)} workers' peak memory {mb} MB; the model-ready "
                    f"frame (train + test) is {parts['bytes'] / 2**20:,.0f} MB ({parts['parts_bytes'] / 2**20:,.0f} MB as "
                    "the parts' float32 columns and codes)"))  # fmt: skip
    return ModelResult(model.label, model.name, oof, test_pred, scores, score_oof(ctx, oof), [device] * folds,
                       list(rounds), time.perf_counter() - start, dict(model.params), [], seconds,
                       ["dask"] * folds)  # fmt: skip
