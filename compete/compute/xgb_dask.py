"""XGBoost on data no worker holds: ``[[models]] name = "xgboost"`` with ``distributed = true``.

The other models of a cluster run are fitted one fold per task, each task holding the whole typed
frame. This one is data-parallel (:mod:`xgboost.dask`): the run writes its typed, model-ready train
rows (with each row's fold and target) and test rows as parquet parts into the run's folder, every
worker reads only its share of the parts, and XGBoost trains on all of them at once, one fold after
another, with early stopping on the fold's validation rows. A worker so needs memory for its share of
the frame and of XGBoost's quantized matrix, not for the whole frame: the run reports each worker's
peak memory against the frame's size.

What it does not do, said rather than pretended:

- the process that starts the run still reads and types the csv (as every run does), so it needs the
  whole frame's memory once; the workers need the run's folder on a shared file system;
- feature recipes and resampling are fitted on a fold's pandas frames, so a distributed model trains
  on the typed columns only (the spec is refused with a message when it names either);
- the trees are XGBoost's distributed ones (quantile sketches merged across workers), close to but
  not the same bits as a local fit's; ``--time-budget`` does not slice a distributed fit.

LightGBM's Dask interface is not used: it has no early stopping (its issue tracker says so), and a
GBDT without it either overfits or needs its rounds set by hand.
"""

from __future__ import annotations

import gc
import resource
import shutil
import time
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

__all__ = ["check_distributed", "fit_distributed", "write_parts", "read_parts", "PART_ROWS", "FOLD", "TARGET"]

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


def write_parts(folder: Path, ctx: FoldContext) -> dict[str, Any]:
    """The context's model-ready train rows (with ``__fold__`` and ``__target__``) and test rows as
    parquet parts under ``folder``. Categoricals are kept as their codes and every other column as
    float32, the type XGBoost bins anyway (so the trees are the same as from float64, in half the
    memory). Returns what the workers need to read them back: the folders, the categoricals' dtypes,
    the model-ready frame's size as a local run holds it and the parts' size in memory."""
    from compete.features.finalize import Finalize

    fin = Finalize().fit(ctx.X)  # unsupervised: which columns are dates or text (no target)
    shutil.rmtree(folder, ignore_errors=True)
    fold = ctx.fold_of_row().astype(np.int8)
    size = held = 0
    cats: dict[str, pd.CategoricalDtype] = {}
    for name, frame in (("train", ctx.X), ("test", ctx.X_test)):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for n, a in enumerate(range(0, len(frame), PART_ROWS)):
            part = fin.transform(frame.iloc[a : a + PART_ROWS])
            size += int(part.memory_usage(deep=True).sum())
            cats = {c: t for c, t in part.dtypes.items() if isinstance(t, pd.CategoricalDtype)}
            part = pd.DataFrame({c: part[c].cat.codes if c in cats else part[c].astype("float32")
                                 for c in part.columns})  # fmt: skip
            if name == "train":
                part = part.assign(**{FOLD: fold[a : a + PART_ROWS], TARGET: ctx.y[a : a + PART_ROWS]})
            held += int(part.memory_usage(deep=True).sum())
            part.reset_index(drop=True).to_parquet(folder / name / f"part.{n:05d}.parquet")
    return {"folder": str(folder), "dtypes": cats, "bytes": size, "parts_bytes": held}


def _decode(part: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    """A part read back: the categoricals' codes made the run's categories again (same levels, same codes)."""
    cats = {c: pd.Categorical.from_codes(part[c].to_numpy(), dtype=t) for c, t in dtypes.items()
            if c in part.columns}  # fmt: skip
    return part.assign(**cats) if cats else part


def read_parts(parts: dict[str, Any], name: str, columns: list[str] | None = None,
          filters: list[tuple[str, str, Any]] | None = None) -> Any:  # fmt: skip
    """The parts of ``name`` ("train" or "test") as a Dask DataFrame of ``columns``; with ``filters``
    (pyarrow's, row-wise) only the matching rows are ever materialized on a worker."""
    import dask.dataframe as dd

    frame = dd.read_parquet(str(Path(parts["folder"]) / name), columns=columns, filters=filters)
    meta = _decode(frame._meta, parts["dtypes"])
    return frame.map_partitions(_decode, parts["dtypes"], meta=meta)


def _native(model: ModelSpec, task: str, classes: int, seed: int, device: str) -> tuple[dict[str, Any], int]:
    """The model's parameters (defaults under the spec's) as :func:`xgboost.dask.train` takes them,
    and its rounds."""
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


def fit_distributed(cluster: Cluster, ctx: FoldContext, model: ModelSpec, parts: dict[str, Any], *,
                    device: str = "cpu", report: Reporter | None = None) -> ModelResult:  # fmt: skip
    """``model`` fitted with :mod:`xgboost.dask` on every fold of ``ctx`` from the parquet ``parts``
    (:func:`write_parts`): the fold's training rows train, its validation rows stop the boosting;
    OOF and fold-averaged test predictions as a local cross-fit makes them. Only the target of the
    fold's training rows trains; the validation rows' target only stops the rounds, as locally."""
    from xgboost import dask as dxgb

    from compete.models.xgboost import XGBoostModel

    client, folds = cluster.client, len(ctx.folds)
    classes = int(ctx.y.max()) + 1 if ctx.task == "multiclass" else 1
    features = [c for c in read_parts(parts, "test").columns]
    fold_of_row = ctx.fold_of_row()
    multi = ctx.task == "multiclass"
    oof = np.full((len(ctx.y), classes) if multi else len(ctx.y), np.nan)
    test_pred = np.zeros((len(ctx.X_test), classes) if multi else len(ctx.X_test))
    scores, rounds, seconds = [], [], []
    start = time.perf_counter()
    if report:
        report(ModelStarted(model.label, folds))
    for k in range(folds):
        t0 = time.perf_counter()
        # Each fold reads only its own rows (a row-wise parquet filter): the workers hold the fold's
        # training and validation rows once, as the matrices' sources, and nothing else of the frame.
        fit_rows = read_parts(parts, "train", features + [TARGET], [(FOLD, "!=", k)])
        valid_rows = read_parts(parts, "train", features + [TARGET], [(FOLD, "==", k)])
        dtrain = dxgb.DaskQuantileDMatrix(client, fit_rows[features], fit_rows[TARGET], enable_categorical=True,
                                          max_bin=int(model.params.get("max_bin", 256)))  # fmt: skip
        dvalid = dxgb.DaskQuantileDMatrix(client, valid_rows[features], valid_rows[TARGET], ref=dtrain,
                                          enable_categorical=True)  # fmt: skip
        del fit_rows, valid_rows
        params, n = _native(model, ctx.task, classes, derive_seed(ctx.seed, model.label, k), device)
        out = dxgb.train(client, params, dtrain, n, evals=[(dvalid, "valid")], verbose_eval=False,
                         early_stopping_rounds=XGBoostModel(task=ctx.task).early_stopping_rounds)  # fmt: skip
        booster = out["booster"]
        best = int(getattr(booster, "best_iteration", booster.num_boosted_rounds() - 1))
        upto = (0, best + 1)
        va = np.flatnonzero(fold_of_row == k)  # the parts keep the rows' order, and so does the filter
        del dtrain  # the training rows are done with before the predictions are made
        oof[va] = np.asarray(dxgb.predict(client, booster, dvalid, iteration_range=upto).compute())
        del dvalid
        client.run(gc.collect)
        test = read_parts(
            parts, "test"
        )  # read again for each fold: nothing of the frame is held between folds
        test_pred += np.asarray(dxgb.predict(client, booster, test, iteration_range=upto).compute()) / folds
        scores.append(ctx.metric.score(ctx.y[va], oof[va]))
        rounds.append(best)
        seconds.append(round(time.perf_counter() - t0, 3))
        del out, booster, test
        client.run(gc.collect)
        if report:
            report(FoldDone(model.label, k, folds, scores[-1], seconds[-1], device))
    peaks = client.run(_peak_rss)
    if report:
        mb = ", ".join(f"{v / 2**20:,.0f}" for v in peaks.values())
        report(Note(f"{model.label} (distributed): {len(peaks)} workers' peak memory {mb} MB; the model-ready "
                    f"frame (train + test) is {parts['bytes'] / 2**20:,.0f} MB ({parts['parts_bytes'] / 2**20:,.0f} MB as "
                    "the parts' float32 columns and codes)"))  # fmt: skip
    return ModelResult(model.label, model.name, oof, test_pred, scores, score_oof(ctx, oof), [device] * folds,
                       list(rounds), time.perf_counter() - start, dict(model.params), [], seconds,
                       ["dask"] * folds)  # fmt: skip
