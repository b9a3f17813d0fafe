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

Under ``--time-budget`` the run's plan counts the cluster's cores (:class:`ClusterFits`): the first
pass's fits all run side by side, sharing the cluster's fit-seconds; a tuning turn keeps a trial on
every worker (each a whole cross-fit on one worker, not pruned); a fit's folds, and with more workers
than folds its seed bags, run side by side. Each fit's worker and seconds go into the run record.

Dask is imported here only, and only when a cluster is asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compete.cv.foldloop import (
    MIN_FOLD_SECONDS,
    FoldContext,
    FoldFit,
    FoldResults,
    ModelResult,
    OutOfTime,
    cross_fit,
    fit_fold,
    report_fold,
)
from compete.errors import CompeteError, SpecError
from compete.progress import ModelStarted, Note, Reporter
from compete.spec import ModelSpec

__all__ = [
    "ClusterError",
    "Cluster",
    "ClusterFits",
    "open_cluster",
    "fits_on",
    "Partial",
    "LOCAL_PREFIX",
]

LOCAL_PREFIX = "local:"
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before saying it is not there
MAX_RESUBMITS = 8  # fits submitted again after their data was lost with a worker, per batch


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


def _threads(model: ModelSpec, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with the running worker's threads as the model's thread count (unless set)."""
    from dask.distributed import get_worker

    from compete.models import MODELS

    param = MODELS.get(model.name, where="models").threads_param
    params = dict(params)
    if param and param not in params:
        params[param] = int(get_worker().state.nthreads)
    return params


def _fit_task(ctx: FoldContext, model: ModelSpec, k: int, device: str, limit: float | None = None,
              until: float | None = None, must_finish: bool = False) -> FoldFit:  # fmt: skip
    """One fit on a worker, with the worker's threads; returns what the run needs back. Under a time
    budget the fit boosts for at most ``limit`` seconds and until ``until`` (wall-clock time, as
    machines share it), and is :class:`OutOfTime` when it starts after ``until`` (unless
    ``must_finish``: then it gets a short slice)."""
    from dask.distributed import get_worker

    if until is not None:
        left = until - time.time()
        if left <= 0 and not must_finish:
            raise OutOfTime(f"{model.label}: out of time before fold {k}")
        limit = left if limit is None else min(limit, left)
        if must_finish:
            limit = max(limit, MIN_FOLD_SECONDS)
    fit = fit_fold(ctx, model, k, device=device, params=_threads(model, model.params), limit=limit)
    fit.worker = str(get_worker().address)
    fit.transform = ctx.transform(k)
    return fit


def _trial_task(ctx: FoldContext, model: ModelSpec, device: str, until: float) -> ModelResult:
    """One tuning trial on a worker: ``model`` on every fold in turn (:func:`cross_fit`), each fold's
    fit stopping at ``until`` (wall-clock time), with the worker's threads."""
    from dask.distributed import get_worker

    threaded = ModelSpec(model.name, _threads(model, model.params), model.alias)
    result = cross_fit(ctx, threaded, device=device, deadline=time.monotonic() + (until - time.time()))
    result.params = dict(model.params)
    result.workers = [str(get_worker().address)] * len(result.fold_seconds)
    return result


class ClusterFits:
    """One run's fits on a cluster: the run's typed frames, target and folds scattered to every worker
    once, then batches of fits (:meth:`cross_fit`) and tuning trials (:meth:`submit_trial`) as tasks.

    Use it as a context manager (:func:`fits_on`): a lost scheduler becomes :class:`ClusterError`.
    """

    def __init__(self, cluster: Cluster, ctx: FoldContext, *, device: str = "cpu",
                 report: Reporter | None = None, partial: Partial | None = None, data_key: str = "") -> None:  # fmt: skip
        self.cluster, self.ctx, self.device, self.report = cluster, ctx, device, report
        self.partial, self.data_key = partial, data_key
        self.fitted = 0  # fits finished (or kept from a resumed run)
        # where a distributed model's parquet parts go: the run's folder (workers must share its disk)
        self.scratch = partial.folder if partial is not None else Path(tempfile.mkdtemp(prefix="compete-"))
        self._parts: dict[str, Any] | None = None
        self._data: Any = None  # the context on every worker, scattered at the first fold task

    @property
    def data(self) -> Any:
        """The context, scattered to every worker the first time a task needs it (a run of only
        ``distributed`` models never ships the whole frame to each worker)."""
        if self._data is None:
            shipped = self.ctx.fresh()  # the fold frames are built there
            with self.guard():
                self._data = self.cluster.client.scatter(shipped, broadcast=True)
        return self._data

    @property
    def slots(self) -> int:
        """How many tasks run at once: the cluster's workers."""
        return max(1, len(self.cluster.workers))

    @property
    def parallel(self) -> int:
        """How many of a model's folds run at once: the speed-up of one cross-fit over fitting it here."""
        return max(1, min(self.slots, len(self.ctx.folds)))

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn the scheduler's loss into :class:`ClusterError` (saying what ``--resume`` keeps)."""
        try:
            yield
        except (CompeteError, OutOfTime):
            raise
        except Exception as exc:
            if not _lost(exc):
                raise
            partial = self.partial
            where = (
                f"; {self.fitted} finished fits are kept: resume with --resume {partial.token}"
                if partial
                else ""
            )
            raise ClusterError(f"--cluster {self.cluster.address}: the Dask scheduler went away during the run "
                               f"({type(exc).__name__}: {exc}){where}") from None  # fmt: skip

    def cross_fit(self, models: list[ModelSpec], *, deadline: float | None = None,
                  must_finish: bool = False) -> list[ModelResult | None]:  # fmt: skip
        """Every model on every fold of the context: each fold a task (:meth:`fit_tasks`), a
        ``distributed`` model data-parallel over the whole cluster after them
        (:func:`compete.compute.xgb_dask.fit_distributed`)."""
        plain = [m for m in models if not m.distributed]
        fitted = iter(self.fit_tasks(plain, deadline=deadline, must_finish=must_finish) if plain else [])
        return [self._distributed(m) if m.distributed else next(fitted) for m in models]

    def _distributed(self, model: ModelSpec) -> ModelResult:
        from compete.compute.xgb_dask import fit_distributed, write_parts

        with self.guard():
            if self._parts is None:
                workers = len(self.cluster.client.scheduler_info()["workers"])
                self._parts = write_parts(self.scratch / "data", self.ctx, workers)
            result = fit_distributed(self.cluster, self.ctx, model, self._parts, device=self.device,
                                     report=self.report)  # fmt: skip
        self.fitted += len(self.ctx.folds)
        return result

    def fit_tasks(self, models: list[ModelSpec], *, deadline: float | None = None,
                  must_finish: bool = False) -> list[ModelResult | None]:  # fmt: skip
        """Every model on every fold of the context, all submitted at once (the first model's folds
        first); each model's :class:`ModelResult` as a local :func:`~compete.cv.foldloop.cross_fit`
        would make it.

        Without a ``deadline`` (a run without a budget), fits already in the run's :class:`Partial` are
        not fitted again and each finished fit is put there. With a ``deadline`` (``time.monotonic()``
        seconds), every fit gets an equal share of the cluster's fit-seconds until then (workers ×
        seconds left / fits) and stops boosting when it is spent; a model with a fold that cannot start
        in time is ``None`` (dropped), except the first when ``must_finish``.
        """
        from dask.distributed import as_completed

        start = time.perf_counter()
        folds = len(self.ctx.folds)
        pairs = [(i, k) for i in range(len(models)) for k in range(folds)]
        keys = {(i, k): fit_key(self.data_key, self.ctx, models[i], k, self.device) for i, k in pairs}
        partial = self.partial if deadline is None else None  # a budgeted fit depends on the clock too
        done: dict[tuple[int, int], FoldFit] = {}
        if partial is not None:
            done = {ik: fit for ik in pairs if (fit := partial.get(keys[ik])) is not None}
            self.fitted += len(done)
            if done and self.report:
                self.report(Note(f"resuming {partial.token}: {len(done)} of {len(pairs)} fits kept, "
                                 f"{len(pairs) - len(done)} to go"))  # fmt: skip
        timing: dict[str, Any] = {}
        if deadline is not None:
            left = deadline - time.monotonic()
            timing["until"] = time.time() + left
            timing["limit"] = max(left, 0.0) * self.slots / max(1, len(pairs) - len(done))
        dropped: set[int] = set()
        client = self.cluster.client
        with self.guard():
            futures = {}

            def submit(i: int, k: int) -> Any:
                fut = client.submit(_fit_task, self.data, models[i], k, self.device, **timing,
                                    must_finish=must_finish and i == 0, pure=False, priority=-i,
                                    key=f"fit-{models[i].label}-{k}-{uuid.uuid4().hex[:12]}")  # fmt: skip
                futures[fut] = (i, k)
                return fut

            for i, model in enumerate(models):
                if self.report:
                    self.report(ModelStarted(model.label, folds))
                for k in range(folds):
                    if (i, k) in done:
                        self._report(models[i].label, done[(i, k)], done, i)
                        continue
                    submit(i, k)
            retries = 0
            finished = as_completed(list(futures))
            for fut in finished:
                i, k = futures[fut]
                if i in dropped:
                    continue
                try:
                    fit = fut.result()
                except OutOfTime:
                    dropped.add(i)
                    client.cancel([f for f, (j, _) in futures.items() if j == i and not f.done()])
                    continue
                except Exception as exc:
                    # a worker lost with the only copy of the scattered context (one that had not yet
                    # reached the others) takes its dependants with it: scatter again, fit again
                    if not _lost(exc) or retries >= MAX_RESUBMITS or not self._alive():
                        raise
                    retries += 1
                    self._data = None
                    finished.add(submit(i, k))
                    continue
                done[(i, k)] = fit
                self.fitted += 1
                if partial is not None:
                    partial.put(keys[(i, k)], fit)
                self._report(models[i].label, fit, done, i)
        results: list[ModelResult | None] = []
        for i, model in enumerate(models):
            if i in dropped:
                results.append(None)
                continue
            gathered = FoldResults(self.ctx, model)
            for k in range(folds):
                fit = done[(i, k)]
                if fit.transform is not None:
                    self.ctx.set_transform(k, fit.transform)
                gathered.add(fit)
            results.append(gathered.result(sum(f.seconds for f in gathered.fits)))
        if self.report and len(models) > 1:  # a batch (the first pass); a single fit's folds say it already
            self.report(Note(f"{len(pairs)} fits on {len(self.cluster.workers)} workers ({self.cluster.cores} "
                             f"threads) in {time.perf_counter() - start:.1f} s"))  # fmt: skip
        return results

    def _alive(self) -> bool:
        """Whether the scheduler still answers (what was lost is a worker's data, not the cluster)."""
        try:
            self.cluster.client.scheduler_info()
            return bool(self.cluster.client.status == "running")
        except Exception:
            return False

    def submit_trial(self, model: ModelSpec, deadline: float) -> Any:
        """A tuning trial (``model`` on every fold, one worker) as a task stopping at ``deadline``
        (``time.monotonic()`` seconds); its future gives the trial's :class:`ModelResult`."""
        until = time.time() + (deadline - time.monotonic())
        with self.guard():
            return self.cluster.client.submit(_trial_task, self.data, model, self.device, until, pure=False)

    def first_done(self, futures: list[Any]) -> Any:
        """The first of ``futures`` to finish."""
        from dask.distributed import wait

        with self.guard():
            finished = wait(futures, return_when="FIRST_COMPLETED").done
        return next(f for f in futures if f in finished)

    def _report(self, label: str, fit: FoldFit, done: dict, i: int) -> None:
        if self.report:
            report_fold(
                self.report, label, fit, len(self.ctx.folds), [f for (j, _), f in done.items() if j == i]
            )


@contextmanager
def fits_on(address: str, ctx: FoldContext, *, device: str = "cpu", report: Reporter | None = None,
            partial: Partial | None = None, data_key: str = "") -> Iterator[ClusterFits]:  # fmt: skip
    """A run's :class:`ClusterFits` on the cluster at ``address``. ``partial`` (the run's finished
    fits, for ``--resume``) is dropped when the run ends or fails for a reason a resume would meet
    again, and kept only when the cluster was lost (:class:`ClusterError`)."""
    try:
        with open_cluster(address) as cluster:
            if report:
                report(Note(f"cluster {address}: {len(cluster.workers)} workers, {cluster.cores} threads"))
            fits = ClusterFits(cluster, ctx, device=device, report=report, partial=partial, data_key=data_key)
            try:
                yield fits
            finally:
                shutil.rmtree(
                    fits.scratch / "data" if partial is not None else fits.scratch, ignore_errors=True
                )
    except ClusterError:
        raise
    except BaseException:
        if partial is not None:
            partial.drop()
        raise
    if partial is not None:
        partial.drop()


def _lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the scheduler (not a fit) failed: a closed connection or a timeout."""
    from distributed.comm.core import CommClosedError

    return isinstance(exc, CommClosedError | OSError | TimeoutError) or type(exc).__name__ in {
        "CancelledError", "FutureCancelledError"}  # fmt: skip
