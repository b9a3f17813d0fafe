"""``compete tune``: an Optuna study whose objective is the competition's own cross-validated score.

The objective is :func:`compete.cv.foldloop.cross_fit` on the folds, recipes, resampling and metric that
``compete run`` uses (one code path): the data are prepared once per process and each trial only
draws parameters from the model's ``search_space``. After every fold the trial reports the OOF score
so far, so a :class:`~optuna.pruners.MedianPruner` stops hopeless trials; inside a fold LightGBM and
XGBoost also report their validation loss every few rounds (not CatBoost). Anything that sees the
target is still fitted inside the folds, on the training part only.

Studies live in an RDB storage (default ``runs/optuna.sqlite3``; ``postgresql://...`` lets several
processes share one study). A heartbeat marks the trial of a killed process as failed, so a
``kill -9`` loses at most the trial in flight, and running ``tune`` again continues the same study:
its name is the competition, the model and a hash of what changes the objective: the spec's parts
and a fingerprint of the prepared data (:func:`data_fingerprint`), so workers given different data
never share a study. Studies named by compete 0.1.0 (spec only, no data) are not continued by
``tune``; ``run --params best`` still reads them when no study of this data exists, and says so.

Examples
--------
.. code-block:: python

    opts = TuneOptions("demo", model="lightgbm", trials=20)
    tune(opts).best_value
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from compete.data.prepared import CompetitionRef, Prepared, prepare_run, resolve_spec
from compete.errors import ModelError, SpecError
from compete.models.space import LowestView, draw_params
from compete.progress import Reporter, StudyOpened, TrialDone
from compete.seeding import derive_seed
from compete.spec import ModelSpec, Spec
from compete.tune.naming import data_fingerprint, model_spec, search_overrides, study_name
from compete.tune.objective import Objective, now
from compete.tune.storage import open_storage, safe_url, storage_url

__all__ = ["TuneOptions", "TuneResult", "tune", "open_study", "progress", "counts", "best_trial", "trial_params",
           "result_of"]  # fmt: skip


@dataclass(kw_only=True)
class TuneOptions(CompetitionRef):
    """What a user can choose for one ``compete tune`` (the CLI's options), on top of which competition
    and where.

    ``trials`` is the number of trials this process runs (``None``: until ``timeout``); ``search``
    narrows or fixes parameters on top of the spec's ``[tune.<model>]`` table.

    Examples
    --------
    >>> opts = TuneOptions("demo", model="lightgbm", trials=20)
    >>> opts.competition, opts.model, opts.in_fold_pruning
    ('demo', 'lightgbm', True)
    """

    model: str
    trials: int | None = None
    timeout: float | None = None
    storage: str | None = None
    study: str | None = None
    device: str = "auto"
    seed: int | None = None
    search: dict[str, Any] = field(default_factory=dict)
    heartbeat: int = 10
    in_fold_pruning: bool = True
    cluster: str | None = None  # run the trials as tasks on this Dask cluster (compete.tune.cluster)


@dataclass
class TuneResult:
    """What one ``tune`` call did, and where the study stands."""

    study: str
    storage: str
    direction: str
    metric: str
    trials_run: int
    completed: int
    pruned: int
    failed: int
    total_trials: int
    best_value: float | None
    best_params: dict[str, Any] | None
    best_number: int | None
    wall_s: float


def _open_study(opts: TuneOptions, spec: Spec, model: ModelSpec, overrides: dict[str, Any],
                direction: str, data: str) -> Any:  # fmt: skip
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage_url(opts.storage, opts.runs_dir)
    storage = open_storage(url, opts.heartbeat)
    name = opts.study or study_name(spec, model, overrides, data)
    probe = optuna.create_study(storage=storage, study_name=name, direction=direction, load_if_exists=True)  # type: ignore[arg-type]
    if probe.direction.name.lower() != direction:
        raise SpecError(f"--study {name!r} exists with direction {probe.direction.name.lower()}, but metric "
                        f"{spec.metric!r} needs {direction}; pick another --study name")  # fmt: skip
    seen = probe.user_attrs.get("data")
    if seen is not None and seen != data:  # only a --study name can get here: generated names hash the data
        raise SpecError(f"--study {name!r} was tuned on other data (fingerprint {seen}, this process has {data}); "
                        "give every worker the same data, or pick another --study name")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(probe)
    shared = not url.startswith("sqlite") or opts.storage is not None
    seed = derive_seed(spec.seed, "tune", len(probe.trials), os.getpid() if shared else 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    study.set_user_attr("competition", spec.name)
    study.set_user_attr("model", model.label)
    study.set_user_attr("metric", spec.metric)
    study.set_user_attr("data", data)
    return study, url


def tune(opts: TuneOptions, report: Reporter | None = None) -> TuneResult:
    """Run (or continue) the study for ``opts.model`` on ``opts.competition``; see the module docstring."""

    if opts.trials is None and opts.timeout is None:
        raise SpecError("tune needs --trials N or --timeout SECONDS (or both) to know when to stop")
    if (opts.trials is not None and opts.trials < 1) or (opts.timeout is not None and opts.timeout <= 0):
        raise SpecError(
            f"--trials must be at least 1 and --timeout positive; got {opts.trials!r}, {opts.timeout!r}"
        )
    start = now()
    if opts.cluster:
        from compete.tune.cluster import tune_on_cluster

        return tune_on_cluster(opts, report)
    prep, model, overrides, study, url = open_study(opts, report)
    deadline = start + opts.timeout if opts.timeout else None
    objective = Objective(prep, model, overrides, deadline, opts.in_fold_pruning)
    remaining = None if deadline is None else max(deadline - now(), 0.001)
    callbacks = [progress(report, start, objective.numbers), _stop_at(deadline)]
    study.optimize(
        objective, n_trials=opts.trials, timeout=remaining, catch=(Exception,), callbacks=callbacks
    )
    prep.save_cache()
    return result_of(study, url, objective.numbers, now() - start)


def open_study(
    opts: TuneOptions, report: Reporter | None = None
) -> tuple[Prepared, ModelSpec, dict[str, Any], Any, str]:
    """The data prepared and the study opened (created when new) for ``opts``; reports
    :class:`~compete.progress.StudyOpened`. Returns the prepared data, the model, the search
    overrides, the study and its storage URL."""
    spec = resolve_spec(opts, seed=opts.seed)
    model = model_spec(spec, opts.model)
    overrides = search_overrides(spec, model, opts.search)
    draw_params(LowestView(), model, spec.task, overrides)  # bad overrides fail now, not as failed trials
    prep = prepare_run(opts, spec, opts.device, report)
    data = data_fingerprint(prep.ctx)  # the study's name includes the data it is tuned on
    direction = "maximize" if prep.ctx.metric.greater_is_better else "minimize"
    study, url = _open_study(opts, spec, model, overrides, direction, data)
    if report:
        report(StudyOpened(study.study_name, safe_url(url), direction, spec.metric, len(study.trials), opts.trials,
                           opts.timeout, len(prep.ctx.y), len(prep.ctx.folds), prep.device, data))  # fmt: skip
    return prep, model, overrides, study, url


def _stop_at(deadline: float | None) -> Callable[[Any, Any], None]:
    """A study callback that starts no trial past ``deadline`` (on :func:`~compete.tune.objective.now`, as the trials' own
    checks are)."""

    def callback(study: Any, trial: Any) -> None:
        if deadline is not None and now() >= deadline:
            study.stop()

    return callback


def progress(
    report: Reporter | None, start: float, mine: set[int], label: str = ""
) -> Callable[[Any, Any], None]:
    """A study callback that sends :class:`~compete.progress.TrialDone` (``label``: a budget turn's)."""

    def callback(study: Any, trial: Any) -> None:
        if report:
            best = best_trial(study)
            report(TrialDone(trial.number, trial.state.name.lower(), trial.value, best.value if best else None,
                             best.number if best else None,
                             sum(1 for t in study.trials if t.number in mine and t.state.is_finished()),
                             now() - start, trial.user_attrs.get("pruned", ""), label))  # fmt: skip

    return callback


def best_trial(study: Any) -> Any:
    try:
        return study.best_trial
    except ValueError:  # no completed trial yet
        return None


def result_of(study: Any, url: str, numbers: set[int], wall_s: float) -> TuneResult:
    """Where the study stands; the counts are of the trials this process ran (``numbers``)."""
    mine = [t for t in study.trials if t.number in numbers]
    tally = counts(mine)
    if mine and tally["failed"] == len(mine):
        errors = [t.user_attrs.get("error", "see the log") for t in mine]
        raise ModelError(f"every trial of study {study.study_name!r} failed; first error: {errors[0]}")
    best = best_trial(study)
    return TuneResult(study.study_name, safe_url(url), study.direction.name.lower(),
                      study.user_attrs.get("metric", ""), tally["trials"], tally["completed"],
                      tally["pruned"], tally["failed"], len(study.trials),
                      best.value if best else None, trial_params(best) if best else None,
                      best.number if best else None, wall_s)  # fmt: skip


def counts(trials: list[Any]) -> dict[str, int]:
    """How many of ``trials`` there are, and how many completed, were pruned and failed."""
    states = [t.state.name for t in trials]
    return {"trials": len(trials), "completed": states.count("COMPLETE"), "pruned": states.count("PRUNED"),
            "failed": states.count("FAIL")}  # fmt: skip


def trial_params(trial: Any) -> dict[str, Any]:
    return dict(trial.user_attrs.get("params") or trial.params)
