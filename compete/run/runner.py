"""``compete run``: spec → data → folds → models → ensemble → submission → run record.

:func:`run_competition` is the whole job as one importable function; the CLI only parses arguments
and prints what it reports. Everything is checked before anything is written: a bad spec or bad
data raises a :class:`~compete.errors.CompeteError` and leaves ``runs/`` untouched. Each stage is a
module of its own: loading (:mod:`compete.data.prepared`), the fold loop (:mod:`compete.cv.foldloop`),
the time budget's plan (:mod:`compete.run.plan`), the final choice (:mod:`compete.run.final`) and
the record (:mod:`compete.run.record`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from compete.cv.foldloop import ModelResult
from compete.data.prepared import Prepared, prepare_run, resolve_spec
from compete.progress import (
    DriftChecked,
    Events,
    ModelDone,
    ModelStarted,
    Note,
    Reporter,
    RunFinished,
    RunStarted,
    TuneDone,
    TuneStarted,
)
from compete.run.final import choose_final
from compete.run.options import RunOptions
from compete.run.record import write_run
from compete.run.refit import REFIT_SEEDS, REFIT_SHARE
from compete.run.result import Final, RunResult
from compete.spec import ModelSpec

if TYPE_CHECKING:
    from compete.compute.cluster import ClusterFits
    from compete.drift import QuickDrift
    from compete.run.plan import Budget, TuneTurn
    from compete.run.search import SearchResult
    from compete.tune.budget import BudgetTuner

__all__ = ["run_competition", "prepare_for_run"]


def prepare_for_run(opts: RunOptions, report: Reporter | None = None) -> Prepared:
    """The spec with ``opts``' overrides, loaded and split (no writes): what a run fits on."""
    spec = resolve_spec(opts, seed=opts.seed, folds=opts.folds, models=opts.models, resample=opts.resample)
    return prepare_run(opts, spec, opts.device, report)


def run_competition(opts: RunOptions, report: Reporter | None = None) -> RunResult:
    """Run a competition end to end and write its run record and submission.

    Examples
    --------
    .. code-block:: python

        result = run_competition(RunOptions("demo", models=["lightgbm"]))
        result.cv_score, result.submission
    """
    from compete.submission.build import check_layout
    from compete.tune.params import resolve_params, run_fingerprint

    start = time.perf_counter()
    emit = Events(report)
    budget = _budget(opts)
    prep = prepare_for_run(opts, emit)  # data first: a study's name holds their fingerprint
    data = prep.data
    check_layout(
        data.sample, data.test[prep.spec.id], id_col=prep.spec.id, codec=prep.codec, metric=prep.codec.metric
    )
    prep.ctx.keep_models = opts.keep_models and prep.spec.keep_models  # for the run's artifacts/
    prep.spec, notes = resolve_params(prep.spec, opts.params, storage=opts.tune_storage,
                                      runs_dir=opts.runs_dir, fingerprint=run_fingerprint(prep))  # fmt: skip
    for text in [*notes, *data.notes]:
        emit(Note(text))
    address = _cluster_address(opts, prep, budget)
    drift = _warn_on_drift(prep, emit, budget, opts.runs_dir)
    search = _search(opts, prep, emit, budget)
    spec, ctx = prep.spec, prep.ctx
    emit(RunStarted(spec.name, len(ctx.y), len(ctx.X_test), ctx.X.shape[1], len(ctx.folds), prep.device,
                    [m.label for m in spec.models]))  # fmt: skip
    with ExitStack() as stack:
        pool = None if address is None else stack.enter_context(_pool(opts, prep, address, emit))
        results = _fit_models(prep, _first_pass(spec.models, budget), emit, budget, pool=pool)
        refit = _refit_seeds(opts, prep, budget)
        if budget is not None:
            budget.held = REFIT_SHARE * budget.left() if refit else 0.0  # the refit's time, kept back
            results += _second_pass(prep, results, emit, budget, pool, *_diversity(opts, spec.models))
            budget.held = 0.0
        final = _choose(prep, results, emit, budget)
        if refit:
            _refit(prep, results, final, refit, emit, budget)
        final.info["fits"] = _fit_time(emit, results, budget)
        if search is not None:
            final.info["search"] = search.as_info()
        if budget is not None:
            final.info["budget"] = budget.summary()
        emit(RunFinished(final.label, final.score))
        if (errors := emit.summary()) is not None:
            final.info["display_errors"] = errors
        result = write_run(opts, prep, results, final, emit.log, time.perf_counter() - start)
    if drift is not None:
        drift.save()  # only now: a run that fails leaves nothing under runs/
    prep.save_cache()
    return result


def _cluster_address(opts: RunOptions, prep: Prepared, budget: Budget | None) -> str | None:
    """Where the fits run: ``--cluster``, else the spec's ``[compute] cluster``, else here (``None``);
    refused by name first: ``--resume`` without a cluster or with a budget, and what a ``distributed``
    model cannot do (:func:`compete.compute.xgb_dask.check_distributed`)."""
    from compete.errors import SpecError

    address = opts.cluster or prep.spec.compute.get("cluster") or None
    if address is None and opts.resume:
        raise SpecError(f"--resume {opts.resume} continues a cluster run: give its --cluster too")
    from compete.compute.xgb_dask import check_distributed

    check_distributed(prep.spec.models, prep.ctx, cluster=address is not None, budget=budget is not None)
    if opts.resume and budget is not None:
        raise SpecError(f"--resume {opts.resume} finishes a run without a time budget (a budgeted run's fits "
                        "depend on its clock): drop --time-budget")  # fmt: skip
    return address


def _pool(
    opts: RunOptions, prep: Prepared, address: str, emit: Events
) -> AbstractContextManager[ClusterFits]:
    """The run's fits on the cluster at ``address`` (:func:`compete.compute.cluster.fits_on`); the fits
    finished by a run without a budget are kept for ``--resume`` while it lasts, and left behind only
    when the cluster is lost."""
    from compete.compute.cluster import Partial, fits_on

    partial = Partial.at(opts.runs_dir, prep.spec.name, opts.resume)
    return fits_on(
        address, prep.ctx, device=prep.device, report=emit, partial=partial, data_key=prep.data_key
    )


def _search(opts: RunOptions, prep: Prepared, emit: Events, budget: Budget | None) -> SearchResult | None:
    """The feature search (:mod:`compete.run.search`) when asked for (``--search``, ``[search] features``)
    or by default when the spec names no recipes; ``None`` when it does not run. A budget under a
    minute leaves it out, and so does a ``distributed`` model (it trains on the typed columns only)."""
    asked = opts.search if opts.search is not None else prep.spec.search.get("features")
    wanted = asked if asked is not None else not prep.spec.features
    if not wanted or (budget is not None and budget.seconds < 60 and opts.search is None):
        return None
    if any(m.distributed for m in prep.spec.models):
        emit(Note("feature search: off, as a distributed model trains on the typed columns only"))
        return None
    from compete.run.search import search_features

    return search_features(prep, emit, budget)


def _diversity(
    opts: RunOptions, models: tuple[ModelSpec, ...]
) -> tuple[tuple[ModelSpec, ...], tuple[ModelSpec, ...]]:
    """The models of another kind a budget's second pass offers the ensemble (:class:`compete.run.plan.SecondPass`),
    before and after its first tuning turn: a linear model on Yeo-Johnson numbers clipped at 3 standard
    deviations (ridge's regularisation by leave-one-out in each fold); then the other
    starting configurations of the spec's libraries (``Model.portfolio``: LightGBM's randomised and
    large-leaf ones), extra trees and a random forest. A model kind is offered unless the spec names
    it; none is when ``--models`` chose the run's models. (A distributed model never runs under a
    budget: ``check_distributed`` refuses it.)"""
    from compete.models import MODELS
    from compete.run.plan import fast_params

    if opts.models:
        return (), ()
    named = {m.name for m in models}
    early = (ModelSpec("linear", {"numeric": "power", "clip": 3.0, "alpha": "auto", "spline": 8}, "linear"),)
    portfolio = tuple(
        ModelSpec(m.name, {**fast_params(m.name), **m.params, **config}, f"{m.label}-{key}")
        for m in models
        for key, config in MODELS.get(m.name).portfolio.items()
    )
    forests = (ModelSpec("extra_trees"), ModelSpec("random_forest"))
    return tuple(m for m in early if m.name not in named), portfolio + tuple(
        m for m in forests if m.name not in named
    )


def _choose(prep: Prepared, results: list[ModelResult], emit: Events, budget: Budget | None) -> Final:
    """The final choice (:func:`compete.run.final.choose_final`); a repeated k-fold check of a single
    fit's edge (:mod:`compete.run.recheck`) goes into the budget's record, after that fit."""
    final = choose_final(prep, results, device=prep.device, left=budget.left if budget is not None else None,
                         report=emit)  # fmt: skip
    again = final.info.get("ensemble", {}).get("repeated")
    if budget is not None and again is not None:
        budget.record("repeated k-fold", again["seconds"], "done", fit_seconds=again["seconds"],
                      longest=again["longest"], after=again["single"])  # fmt: skip
    return final


def _refit_seeds(opts: RunOptions, prep: Prepared, budget: Budget | None) -> int:
    """How many seeds the full-data refit (:mod:`compete.run.refit`) fits per configuration; 0 when it
    does not run. ``--refit/--no-refit``, else the spec's ``[refit] full``, else on under a time budget
    (the budget keeps its time back from the second pass). Distributed fits are left out by
    :func:`compete.run.refit.refit_groups`."""
    table = prep.spec.refit
    wanted = opts.refit if opts.refit is not None else table.get("full", budget is not None)
    if not wanted:
        return 0
    return int(table.get("seeds", REFIT_SEEDS))


def _refit(prep: Prepared, results: list[ModelResult], final: Final, seeds: int, emit: Events,
           budget: Budget | None) -> None:  # fmt: skip
    """The final choice's fits refitted on every row for the test predictions; into the run record and,
    under a budget, its plan (after the fits it refits)."""
    from compete.run.refit import refit_full

    info = refit_full(prep.ctx, results, final, seeds=seeds, device=prep.device,
                      greater_is_better=prep.ctx.metric.greater_is_better,
                      left=budget.left if budget is not None else None, report=emit)  # fmt: skip
    if info is None:
        return
    final.info["refit"] = info
    if budget is not None:
        after = info["refitted"][0]["labels"][0]
        budget.record("refit", info["seconds"], "done", fit_seconds=info["fit_seconds"],
                      longest=info["longest"], after=after)  # fmt: skip


def _fit_time(emit: Events, results: list[ModelResult], budget: Budget | None) -> dict[str, float]:
    """The run's fit-seconds and critical path (:func:`compete.run.plan.critical_path`; without a
    budget every fit is independent: the longest one), said on the display: their ratio is the most
    a cluster of that many cores could speed up the fits."""
    from compete.cv.foldloop import fits_of

    if budget is not None:
        summary = budget.summary()
        total, path = summary["fit_seconds"], summary["critical_path"]
    else:
        fits = fits_of(results)
        total, path = fits["fit_seconds"], fits["longest"]
    if path > 0:
        emit(Note(f"fits: {total:,.1f} fit-seconds, critical path {path:,.1f} s (up to {total / path:,.1f}x "
                  "sooner with as many cores)"))  # fmt: skip
    return {"fit_seconds": total, "critical_path": path}


def _budget(opts: RunOptions) -> Budget | None:
    if opts.time_budget is None:
        return None
    from compete.run.plan import Budget

    return Budget(float(opts.time_budget), start=opts.started or time.monotonic())


def _first_pass(models: tuple[ModelSpec, ...], budget: Budget | None) -> list[ModelSpec]:
    """The spec's models; under a budget at each model's fast settings (:func:`compete.run.plan.fast_models`)."""
    if budget is None:
        return list(models)
    from compete.run.plan import fast_models

    return fast_models(list(models))


def _warn_on_drift(
    prep: Prepared, emit: Events, budget: Budget | None, runs_dir: str | Path
) -> QuickDrift | None:
    """Adversarial validation (no target): warn when test rows are easy to tell from train rows.

    :func:`compete.drift.quick_drift`: a few percent of a LightGBM run on adult the first time
    (``bench/overhead.py``), read back from ``<runs>/.cache/drift/<competition>.json`` when the same
    data (the same :func:`compete.data.cache.data_key`) was checked before. Returns the check (saved by the caller once the run is recorded), or
    ``None`` when a budget under a minute leaves it out.
    """
    if budget is not None and budget.seconds < 60:
        return None
    from compete.drift import quick_cache, quick_drift

    check = quick_drift(*prep.ctx.without_keys(), prep.spec.seed, quick_cache(runs_dir, prep.spec.name),
                        data_key=prep.data_key)  # fmt: skip
    emit(DriftChecked(round(check.report.auc, 4), check.fitted, check.report.seconds))
    warning = check.report.warning()
    if warning:
        emit(Note(f"warning: {warning}"))
    return check


def _fit_models(prep: Prepared, models: list[ModelSpec], emit: Events, budget: Budget | None,
                second_pass: bool = False, pool: ClusterFits | None = None, after: str = "",
                share: float = 1.0, finish: bool = False) -> list[ModelResult]:  # fmt: skip
    """Fit ``models`` in turn (on a cluster: side by side, :func:`_fit_models_on`). Under a budget: in
    the first pass each model gets its share of time and the first always finishes; in the second pass
    a fit may use ``share`` of the time left, or is dropped (unless ``finish``: a fit that stops itself
    at its deadline, as a forest does, keeps every fold). ``after``: the fit a second-pass move starts from."""
    from compete.cv.foldloop import OutOfTime, cross_fit

    if pool is not None:
        return _fit_models_on(pool, models, emit, budget, second_pass, after, share, finish)
    results: list[ModelResult] = []
    for i, model in enumerate(models):
        deadline = None
        if budget is not None and second_pass:
            deadline = budget.end - (1.0 - share) * budget.left()
        elif budget is not None:
            deadline = budget.first_pass_deadline(len(models) - i, not results)
        emit(ModelStarted(model.label, len(prep.ctx.folds)))
        t0 = time.perf_counter()
        try:
            must = finish if second_pass else not results
            results.append(cross_fit(prep.ctx, model, device=prep.device, report=emit, deadline=deadline,
                                     must_finish=must))  # fmt: skip
        except OutOfTime:
            if budget is not None:
                spent = time.perf_counter() - t0
                budget.record(model.label, spent, "dropped: out of time", fit_seconds=round(spent, 2))
            emit(Note(f"{model.label}: dropped, its folds did not fit in the time budget"))
            continue
        _fitted(emit, budget, results[-1], after)
    return results


def _fit_models_on(pool: ClusterFits, models: list[ModelSpec], emit: Events, budget: Budget | None,
                   second_pass: bool, after: str, share: float = 1.0, finish: bool = False) -> list[ModelResult]:  # fmt: skip
    """``models`` side by side on the cluster, every fold a task. Under a budget the first pass shares
    the cluster's fit-seconds of 60% of the time left among all its fits (the first model always
    finishes); a second-pass fit may use ``share`` of the time left."""
    from compete.run.plan import FIRST_PASS_SHARE

    deadline = None
    if budget is not None:  # the pool counts in time.monotonic(): the budget's clock may be a test's
        share = share if second_pass else FIRST_PASS_SHARE
        deadline = time.monotonic() + budget.left() * share
    t0 = time.perf_counter()
    must = finish if second_pass else budget is not None
    fitted = pool.cross_fit(models, deadline=deadline, must_finish=must)
    results: list[ModelResult] = []
    for model, r in zip(models, fitted, strict=True):
        if r is None:
            if budget is not None:
                budget.record(model.label, time.perf_counter() - t0, "dropped: out of time")
            emit(Note(f"{model.label}: dropped, its folds did not fit in the time budget"))
            continue
        results.append(r)
        _fitted(emit, budget, r, after)
    return results


def _fitted(emit: Events, budget: Budget | None, r: ModelResult, after: str) -> None:
    """A model's folds are done: into the budget's record (with its fits and what it starts from) and
    onto the display."""
    if budget is not None:
        from compete.cv.foldloop import fits_of

        extra = {"after": after} if after else {}
        budget.record(r.label, r.seconds, "done", cv=r.score, **fits_of([r]), **extra)
    _model_done(emit, r)


def _model_done(emit: Events, r: ModelResult) -> None:
    emit(ModelDone(r.label, r.score, r.std, sorted(set(r.devices)), r.seconds))


def _second_pass(prep: Prepared, results: list[ModelResult], emit: Events, budget: Budget,
                 pool: ClusterFits | None = None, diversity: tuple[ModelSpec, ...] = (),
                 late: tuple[ModelSpec, ...] = ()) -> list[ModelResult]:  # fmt: skip
    """Tuning turns, slower learning rates and seed bags of the strongest boosted-tree families, each
    only while the time left covers it (see :mod:`compete.run.plan`). On a cluster the plan counts
    its cores: a fit's folds run side by side, a tuning turn runs a trial on every worker at once,
    and with more workers than folds, seed bags run side by side too."""
    from compete.run.plan import SecondPass, TuneTurn

    parallel, slots = (pool.parallel, pool.slots) if pool is not None else (1, 1)
    plan = SecondPass(results, prep.ctx.metric.greater_is_better, parallel=parallel, trials=slots,
                      diversity=diversity, late=late)  # fmt: skip
    tuners: dict[str, BudgetTuner] = {}
    extra: list[ModelResult] = []
    while (move := plan.next(budget.left())) is not None:
        if isinstance(move, TuneTurn):
            best, library = _tune_turn(prep, move, tuners, emit, budget, plan.after, pool, plan.done)
            extra += ([best] if best else []) + library
            continue
        moves = [move, *plan.more_seeds(budget.left(), slots // parallel - 1)]
        fitted = _fit_models(prep, moves, emit, budget, second_pass=True, pool=pool, after=plan.after,
                             share=plan.share, finish=plan.finish)  # fmt: skip
        plan.done(fitted[0] if fitted else None)
        extra += fitted
    return extra


def _tune_turn(prep: Prepared, move: TuneTurn, tuners: dict[str, BudgetTuner], emit: Events,
               budget: Budget, after: str, pool: ClusterFits | None,
               judge: Callable[[ModelResult | None], bool]) -> tuple[ModelResult | None, list[ModelResult]]:  # fmt: skip
    """One tuning turn of ``move.base``'s family (its study goes on across turns): its winner when a
    trial beats the family's fits so far, and its next-best trials for the ensemble's library. The
    turn's status is ``done`` when ``judge`` (the plan) finds the winner's cross-fitted CV better than
    the family's fit at that rate, else ``no better fit``."""
    from compete.tune.budget import BudgetTuner

    if move.base.label not in tuners:
        tuners[move.base.label] = BudgetTuner(prep, move.base)
    tuner = tuners[move.base.label]
    seconds = min(move.seconds, budget.left())
    emit(TuneStarted(move.alias, move.base.label, seconds))
    fit, turn = tuner.turn(seconds, move.alias, emit, pool=pool)
    better = judge(fit)
    status = "error" if turn.error else "done" if better else "no better fit"
    emit(TuneDone(move.alias, status, turn))
    budget.record(f"tune {move.base.label}", turn.seconds, status, label=move.alias, **turn.as_step(),
                  **tuner.fits, after=after, library=[r.label for r in tuner.library])  # fmt: skip
    for r in ([fit] if fit else []) + tuner.library:
        _model_done(emit, r)
    return fit, tuner.library
