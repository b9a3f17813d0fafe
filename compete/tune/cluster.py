"""``compete tune NAME --model M --cluster ADDRESS --trials N``: the trials as Dask tasks on one study.

The alternative to starting ``compete tune`` by hand on each machine against one PostgreSQL study:
this process prepares the data and opens the study (as :func:`compete.tune.study.tune` does), then
gives each worker of the cluster one task, :func:`compete.tune.study.tune` for its share of the trials
(or until ``--timeout``), on the same study and storage. The workers draw their parameters from the
study (TPE with the constant liar, each with its own seed), so they do not repeat each other, and
each trial uses the threads of the worker that runs it. While they run, this process follows the
study and reports each finished trial. The storage must be reachable from every worker: the default
SQLite file under ``--runs-dir`` serves ``local:N`` and workers sharing this machine's disk; a cluster
of several machines needs ``--storage postgresql://...``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from compete.progress import Reporter, TrialDone
from compete.tune.objective import now
from compete.tune.study import TuneOptions, TuneResult, best_trial, open_study, result_of, tune

__all__ = ["tune_on_cluster", "shares"]

POLL_SECONDS = 1.0


def shares(trials: int | None, workers: int) -> list[int | None]:
    """Each worker's trials: ``trials`` split as evenly as can be (``None``: each until the timeout).

    >>> shares(10, 3), shares(2, 4), shares(None, 2)
    ([4, 3, 3], [1, 1], [None, None])
    """
    if trials is None:
        return [None] * workers
    return [trials // workers + (i < trials % workers) for i in range(min(workers, trials))]


def _absolute(opts: TuneOptions) -> TuneOptions:
    """``opts`` with its folders as absolute paths, so a worker started elsewhere finds them."""
    paths: dict[str, Any] = {k: Path(v).resolve() for k in ("competitions_dir", "data_root", "data_dir", "runs_dir")
             if (v := getattr(opts, k)) is not None}  # fmt: skip
    competition = opts.competition
    if competition.endswith(".toml") and Path(competition).exists():
        competition = str(Path(competition).resolve())
    return dataclasses.replace(opts, competition=competition, **paths)


def _task(opts: TuneOptions) -> TuneResult:
    return tune(opts)


def tune_on_cluster(opts: TuneOptions, report: Reporter | None = None) -> TuneResult:
    """Run ``opts``' trials as one task per worker of the cluster ``opts.cluster`` on one study."""
    from compete.compute.cluster import ClusterError, open_cluster
    from compete.tune.storage import storage_url

    start = now()
    url = storage_url(opts.storage, opts.runs_dir)
    plain = _absolute(dataclasses.replace(opts, cluster=None, storage=url))  # each task seeds its own sampler
    prep, _, _, study, _ = open_study(plain, report)
    prep.save_cache()  # the workers read the typed data back instead of parsing the csv again
    before = {t.number for t in study.trials}
    address = str(opts.cluster)
    with open_cluster(address) as cluster:
        workers = list(cluster.workers)
        futures = [cluster.client.submit(_task, dataclasses.replace(plain, trials=n), workers=[w],
                                         allow_other_workers=True, pure=False)
                   for w, n in zip(workers, shares(opts.trials, len(workers)), strict=False)]  # fmt: skip
        seen: set[int] = set()
        try:
            while not all(f.done() for f in futures):
                _follow(study, before, seen, start, report)
                time.sleep(POLL_SECONDS)
            cluster.client.gather(futures)  # a task's error (every trial failed, ...) is raised here
        except OSError as exc:
            raise ClusterError(f"--cluster {address}: the Dask scheduler went away during tuning ({exc}); "
                               "the finished trials are in the study: run tune again to go on") from None  # fmt: skip
        _follow(study, before, seen, start, report)
    return result_of(study, url, {t.number for t in study.trials} - before, now() - start)


def _follow(study: Any, before: set[int], seen: set[int], start: float, report: Reporter | None) -> None:
    """Report the study's trials finished since the last look (by any worker)."""
    if report is None:
        return
    trials = [t for t in study.get_trials(deepcopy=False) if t.number not in before]
    finished = [t for t in trials if t.state.is_finished()]
    for t in finished:
        if t.number in seen:
            continue
        seen.add(t.number)
        best = best_trial(study)
        report(TrialDone(t.number, t.state.name.lower(), t.value, best.value if best else None,
                         best.number if best else None, len(seen), now() - start, t.user_attrs.get("pruned", "")))  # fmt: skip
