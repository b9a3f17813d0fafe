"""Fits as tasks on a Dask cluster: ``compete run NAME --cluster tcp://host:8786`` (or ``local:N``).

Every fit of a run — one model on one fold — is a task (:func:`compete.cv.foldloop.fit_fold`). The
run's typed frames, target and folds go to every worker once (scattered); each task returns the fold's
predictions, scores and (when the run keeps them) its fitted model and feature path, and the run
gathers them in fold order, so its record, ensemble and submission are made exactly as a local run
makes them. A fold's seed comes from the run's seed, the model's label and the fold, wherever it runs.

A task uses as many threads as its worker has (``--nthreads``; ``local:N`` gives each of its N workers
``cores / N``), so the libraries' threads do not fight over a machine's cores. A worker lost mid-run
costs only its tasks, which the scheduler gives to another worker. A lost scheduler ends the run with
:class:`ClusterError`; the fits finished by then stay in ``<runs>/.partial/<competition>/<id>/`` and
``compete run ... --resume <id>`` fits only the rest.

Dask is imported here only, and only when a cluster is asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compete.cv.foldloop import FoldContext, FoldFit, FoldResults, ModelResult, fit_fold, report_fold
from compete.errors import CompeteError, SpecError
from compete.progress import ModelStarted, Note, Reporter
from compete.spec import ModelSpec

__all__ = ["ClusterError", "Cluster", "open_cluster", "cross_fit_on", "Partial", "LOCAL_PREFIX"]

LOCAL_PREFIX = "local:"
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before saying it is not there


class ClusterError(CompeteError):
    """The Dask cluster cannot be reached, or was lost during a run."""


@dataclass
class Cluster:
    """A connected Dask client (and the local cluster it started, for ``local:N``)."""

    address: str
    client: Any
    local: Any = None
    workers: dict[str, int] = field(default_factory=dict)  # worker address -> threads

    @property
    def cores(self) -> int:
        return sum(self.workers.values())

    def close(self) -> None:
        for part in (self.client, self.local):
            if part is not None:
                try:
                    part.close()
                except Exception:  # a cluster already gone has nothing left to close
                    pass


def _local(spec: str) -> tuple[int, int]:
    """``local:N`` → (workers, threads each)."""
    text = spec[len(LOCAL_PREFIX) :]
    if not text.isdigit() or int(text) < 1:
        raise SpecError(f"--cluster {spec!r}: local:N needs a number of workers N >= 1 (e.g. local:2)")
    n = int(text)
    return n, max(1, (os.cpu_count() or 1) // n)


@contextmanager
def open_cluster(address: str) -> Iterator[Cluster]:
    """Connect to the scheduler at ``address`` (``tcp://host:8786``), or start ``local:N`` workers on
    this machine (processes, on 127.0.0.1); closed (and a local cluster stopped) on exit."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SpecError("--cluster needs Dask: pip install 'compete[dask]' (dask[distributed])") from None
    local = None
    if address.startswith(LOCAL_PREFIX):
        n, threads = _local(address)
        import dask

        with dask.config.set({"distributed.nanny.pre-spawn-environ.OMP_NUM_THREADS": threads}):
            local = LocalCluster(n_workers=n, threads_per_worker=threads, processes=True, host="127.0.0.1",
                                 dashboard_address=None)  # fmt: skip
        client = Client(local)
    else:
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(
                f"--cluster {address}: no Dask scheduler answers there ({type(exc).__name__}); start one "
                f"(`dask scheduler`, then `dask worker {address}` on each machine) or fix the address"
            ) from None
    cluster = Cluster(address, client, local)
    try:
        info = client.scheduler_info()
        cluster.workers = {w: int(d.get("nthreads", 1)) for w, d in info.get("workers", {}).items()}
        if not cluster.workers:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
            info = client.scheduler_info()
            cluster.workers = {w: int(d.get("nthreads", 1)) for w, d in info.get("workers", {}).items()}
        yield cluster
    except TimeoutError:
        raise ClusterError(
            f"--cluster {address}: the scheduler has no workers; start some with `dask worker {address}`"
        ) from None
    finally:
        cluster.close()


# ------------------------------------------------------------------------------------------ partial fits


@dataclass
class Partial:
    """The fits a cluster run has finished, kept on disk until the run is recorded (``--resume``).

    Each fit is kept under a key of everything it depends on (the data, the folds, the model's label and
    parameters, the seed and the device), so a resumed run only reuses fits that are the same fits.
    """

    folder: Path
    token: str

    @classmethod
    def at(cls, runs_dir: str | Path, competition: str, resume: str | None = None) -> Partial:
        from compete.records.runs import new_run_id

        token = resume or new_run_id()
        folder = Path(runs_dir) / ".partial" / competition / token
        if resume and not folder.is_dir():
            known = sorted(p.name for p in folder.parent.glob("*")) if folder.parent.is_dir() else []
            raise SpecError(
                f"--resume {resume}: no unfinished run {folder}; unfinished runs of {competition}: "
                f"{', '.join(known) or '(none)'}"
            )
        return cls(folder, token)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.joblib"

    def get(self, key: str) -> FoldFit | None:
        import joblib

        path = self._path(key)
        try:
            return joblib.load(path) if path.is_file() else None
        except Exception:  # a fit half-written when the run stopped is fitted again
            return None

    def put(self, key: str, fit: FoldFit) -> None:
        import joblib

        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self._path(key).with_suffix(".tmp")
        joblib.dump(fit, tmp)
        tmp.replace(self._path(key))

    def drop(self) -> None:
        """Forget the fits (the run is recorded, or failed for a reason a resume would meet again);
        the ``.partial`` folders go too once empty."""
        shutil.rmtree(self.folder, ignore_errors=True)
        for folder in (self.folder.parent, self.folder.parent.parent):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def fit_key(data_key: str, ctx: FoldContext, model: ModelSpec, k: int, device: str) -> str:
    """What one fit depends on, hashed (see :class:`Partial`)."""
    from compete.cv.splits import folds_signature

    payload = {"data": data_key, "folds": folds_signature(ctx.folds), "seed": ctx.seed, "label": model.label,
               "name": model.name, "params": model.params, "fold": k, "device": device, "task": ctx.task,
               "features": [str(s) for s in ctx.features], "resample": str(ctx.resample)}  # fmt: skip
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


# ------------------------------------------------------------------------------------------ fitting


def _fit_task(ctx: FoldContext, model: ModelSpec, k: int, device: str) -> FoldFit:
    """One fit on a worker, with the worker's threads; returns what the run needs back."""
    from dask.distributed import get_worker

    from compete.models import MODELS

    worker = get_worker()
    threads = int(worker.state.nthreads)
    param = MODELS.get(model.name, where="models").threads_param
    params = dict(model.params)
    if param and param not in params:
        params[param] = threads
    fit = fit_fold(ctx, model, k, device=device, params=params)
    fit.worker = str(worker.address)
    fit.transform = ctx.transform(k)
    return fit


def cross_fit_on(cluster: Cluster, ctx: FoldContext, models: list[ModelSpec], *, device: str = "cpu",
                 report: Reporter | None = None, partial: Partial | None = None,
                 data_key: str = "") -> list[ModelResult]:  # fmt: skip
    """Every model on every fold of ``ctx`` as tasks on ``cluster``, all submitted at once; each
    model's :class:`ModelResult` as a local :func:`~compete.cv.foldloop.cross_fit` would make it.
    Fits already in ``partial`` are not fitted again; each finished fit is put there."""
    from dask.distributed import as_completed

    start = time.perf_counter()
    folds = len(ctx.folds)
    done: dict[tuple[int, int], FoldFit] = {}
    keys = {(i, k): fit_key(data_key, ctx, m, k, device) for i, m in enumerate(models) for k in range(folds)}
    if partial is not None:
        for ik, key in keys.items():
            if (fit := partial.get(key)) is not None:
                done[ik] = fit
        if done and report:
            report(
                Note(
                    f"resuming {partial.token}: {len(done)} of {len(keys)} fits kept, {len(keys) - len(done)} to go"
                )
            )
    shipped = ctx.__class__(**{**ctx.__dict__, "_cache": {}, "_transforms": {}})  # frames are built there
    try:
        data = cluster.client.scatter(shipped, broadcast=True)
        futures = {}
        for i, model in enumerate(models):
            if report:
                report(ModelStarted(model.label, folds))
            for k in range(folds):
                if (i, k) not in done:
                    fut = cluster.client.submit(_fit_task, data, model, k, device, pure=False,
                                                key=f"fit-{model.label}-{k}-{keys[(i, k)][:8]}")  # fmt: skip
                    futures[fut] = (i, k)
                elif report:
                    _report(report, models[i].label, done[(i, k)], folds, done, i)
        for fut in as_completed(futures):
            i, k = futures[fut]
            fit = fut.result()
            done[(i, k)] = fit
            if partial is not None:
                partial.put(keys[(i, k)], fit)
            if report:
                _report(report, models[i].label, fit, folds, done, i)
    except CompeteError:
        raise
    except Exception as exc:
        if not _lost(exc):
            raise
        kept = len(done)
        where = f"; {kept} finished fits are kept: resume with --resume {partial.token}" if partial else ""
        raise ClusterError(f"--cluster {cluster.address}: the Dask scheduler went away during the run "
                           f"({type(exc).__name__}: {exc}){where}") from None  # fmt: skip
    results = []
    for i, model in enumerate(models):
        gathered = FoldResults(ctx, model)
        for k in range(folds):
            fit = done[(i, k)]
            if fit.transform is not None:
                ctx.set_transform(k, fit.transform)
            gathered.add(fit)
        results.append(gathered.result(sum(f.seconds for f in gathered.fits)))
    if report:
        report(Note(f"{len(keys)} fits on {len(cluster.workers)} workers ({cluster.cores} threads) in "
                    f"{time.perf_counter() - start:.1f} s"))  # fmt: skip
    return results


def _report(report: Reporter, label: str, fit: FoldFit, folds: int, done: dict, i: int) -> None:
    report_fold(report, label, fit, folds, [f for (j, _), f in done.items() if j == i])


def _lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the scheduler (not a fit) failed: a closed connection or a timeout."""
    from distributed.comm.core import CommClosedError

    return isinstance(exc, CommClosedError | OSError | TimeoutError) or type(exc).__name__ in {
        "CancelledError", "FutureCancelledError"}  # fmt: skip
