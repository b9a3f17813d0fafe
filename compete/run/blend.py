"""``compete ensemble``: blend or stack the predictions of past runs into a new run.

Only runs made with the same folds can be combined: their OOF predictions must come from the same
train/validation splits, or the ensemble's score would mix in-fold and out-of-fold information. The
folds of each run are identified by the signature stored in its ``scores.json``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from compete.errors import RunError
from compete.progress import Events, Note, Reporter
from compete.records.runs import RunRecord
from compete.run.final import choose_final
from compete.run.options import RunOptions
from compete.run.record import write_run
from compete.run.result import RunResult
from compete.run.runner import prepare_for_run
from compete.spec import StepSpec

__all__ = ["ensemble_runs"]


def ensemble_runs(opts: RunOptions, run_ids: list[str], method: str, params: dict[str, Any] | None = None,
                  report: Reporter | None = None) -> RunResult:  # fmt: skip
    """Combine the final predictions of ``run_ids`` with ensemble ``method``; writes a new run record."""
    from compete.cv.foldloop import ModelResult, score_oof
    from compete.cv.splits import folds_signature
    from compete.ensemble import ENSEMBLES
    from compete.records.runs import load_run

    start = time.perf_counter()
    ENSEMBLES.get(method, where="--method")
    if len(run_ids) < 2:
        raise RunError(f"--runs names {len(run_ids)} run; an ensemble needs two or more, e.g. --runs ID1,ID2")
    name = opts.load_spec().name
    records = [load_run(opts.runs_dir, name, run_id) for run_id in run_ids]
    ids = [rec.run_id for rec in records]
    twice = next((i for i in ids if ids.count(i) > 1), None)
    if twice:
        raise RunError(f"--runs names run {twice} twice ({', '.join(run_ids)}); name distinct runs")
    prep = prepare_for_run(_same_cv_as(opts, records[0]))
    ctx, signature = prep.ctx, folds_signature(prep.ctx.folds)
    results = []
    for rec in records:
        if rec.folds_signature != signature:
            raise RunError(
                f"run {rec.run_id} was made with different folds (signature {rec.folds_signature} vs "
                f"{signature} for the current spec and seed); OOF predictions of different folds cannot be "
                "blended or stacked: re-run it with the same cv settings and --seed"
            )
        label = str(rec.scores["final"])
        oof, test = rec.oof[label], rec.test[label]
        folds = [ctx.metric.score(ctx.y[va], oof[va]) for _, va in ctx.folds]
        results.append(ModelResult(f"{rec.run_id}:{label}", label, oof, test, folds, score_oof(ctx, oof), [],
                                   [], 0.0))  # fmt: skip
    final = choose_final(prep, results, StepSpec(method, params or {}), always_ensemble=True)
    emit = Events(report)
    emit(Note(f"combined {len(results)} runs ({', '.join(run_ids)}) with {method}"))
    return write_run(opts, prep, results, final, emit.log, time.perf_counter() - start, kind="ensemble")


def _same_cv_as(opts: RunOptions, rec: RunRecord) -> RunOptions:
    """The options with the seed and fold count run ``rec`` was made with."""
    spec = json.loads((rec.path / "spec.json").read_text())
    return dataclasses.replace(opts, seed=spec["seed"], folds=spec["cv"]["folds"])
