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
>>> opts = TuneOptions("demo", model="lightgbm", trials=20)  # doctest: +SKIP
>>> tune(opts).best_value  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from compete.errors import ModelError, RunError, SpecError
from compete.run.runner import RunOptions
from compete.seeding import derive_seed
from compete.spec import ModelSpec, Spec, check_search_override

__all__ = ["BudgetTuner", "TuneOptions", "TuneResult", "tune", "tunable", "study_name", "storage_url",
           "search_overrides", "data_fingerprint", "legacy_study_name"]  # fmt: skip

# The clock of --timeout and of the budget's turns; a test may replace it to step time by hand.
clock = time.monotonic
Reporter = Callable[..., None]
STEP = 1_000_000  # in-fold reports of fold k use steps (k + 1) * STEP + mark; fold reports use step k
# In-fold reports come at equal *learning progress* (rounds x learning rate), not at equal rounds: at
# round 50 a trial learning at 0.01 is far behind one at 0.1 and would always be pruned, so a study
# compared at equal rounds drifts to fast, coarse learners (on house-prices 1,210 of 1,277 trials
# were pruned at round 50 and the best rate was 0.12). Mark m is reached at rounds x rate >= m x 5:
# round 50 at rate 0.1, round 500 at 0.01.
IN_FOLD_PROGRESS = 5.0
IN_FOLD_METRIC = {
    "lightgbm": {"binary": "binary_logloss", "multiclass": "multi_logloss", "regression": "l2"},
    "xgboost": {"binary": "logloss", "multiclass": "mlogloss", "regression": "rmse"},
}


@dataclass
class TuneOptions:
    """What a user can choose for one ``compete tune`` (the CLI's options).

    ``trials`` is the number of trials this process runs (``None``: until ``timeout``); ``search``
    narrows or fixes parameters on top of the spec's ``[tune.<model>]`` table.
    """

    competition: str
    model: str
    trials: int | None = None
    timeout: float | None = None
    storage: str | None = None
    study: str | None = None
    device: str = "auto"
    seed: int | None = None
    competitions_dir: str | Path = "competitions"
    data_root: str | Path | None = None
    data_dir: str | Path | None = None
    runs_dir: str | Path = "runs"
    search: dict[str, Any] = field(default_factory=dict)
    heartbeat: int = 10
    in_fold_pruning: bool = True

    def run_options(self) -> RunOptions:
        return RunOptions(self.competition, self.competitions_dir, self.data_root, self.data_dir,
                          self.runs_dir, self.seed, self.device)  # fmt: skip


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


# storage -------------------------------------------------------------------------------------------
def storage_url(storage: str | None, runs_dir: str | Path = "runs") -> str:
    """The storage URL: ``storage`` as given, or an SQLite file ``<runs_dir>/optuna.sqlite3``."""
    if storage:
        return storage
    return f"sqlite:///{(Path(runs_dir) / 'optuna.sqlite3').resolve()}"


def _storage(url: str, heartbeat: int | None = None) -> Any:
    import optuna

    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"timeout": 60}}
    hb: dict[str, Any] = {"heartbeat_interval": heartbeat, "grace_period": 3 * heartbeat} if heartbeat else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, **hb)
    except ImportError as exc:
        raise RunError(f"--storage {_safe(url)}: the database driver is missing ({exc}); for PostgreSQL "
                       "install it with `pip install 'compete[postgres]'`") from None  # fmt: skip
    except Exception as exc:  # sqlalchemy's errors: bad URL, server down, no permission
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RunError(f"--storage {_safe(url)}: cannot open the study storage: {first}; check the URL "
                       "(e.g. postgresql://user:password@host/db) and that the server is up") from None  # fmt: skip


def _safe(url: str) -> str:
    """The URL with any password hidden."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url


# the model, its search table and the study name ---------------------------------------------------
def _model_spec(spec: Spec, model: str) -> ModelSpec:
    """The spec's entry for ``model`` (by label, then name), or the model with its defaults."""
    from compete.models import MODELS

    for m in spec.models:
        if m.label == model:
            return m
    for m in spec.models:
        if m.name == model:
            return m
    MODELS.get(model, where="--model")  # an unknown name fails here, with the known ones
    if not tunable(model):
        names = [n for n in MODELS.names() if tunable(n)]
        raise SpecError(f"--model {model!r} has no search space; tunable models: {', '.join(names)}")
    return ModelSpec(model)


def search_overrides(spec: Spec, model: ModelSpec, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """``[tune.<label>]`` (or ``[tune.<name>]``) from the spec, updated with ``extra``, checked."""
    own = spec.tune.get(model.label, spec.tune.get(model.name, {}))
    where = f"{spec.source or spec.name}: tune.{model.label}"
    if not isinstance(own, dict):
        raise SpecError(f"{where}: expected a table of parameters, got {own!r}")
    merged = {**own, **(extra or {})}
    for key, value in merged.items():
        check_search_override(f"{where}.{key}", value)
    return merged


# The fields each spec part had in 0.1.0 are always hashed, as they were, so studies made then keep
# their names. A field added since is hashed only when it differs from its default: adding one (as
# cv.group_period was) renames no study, and setting it starts a new one.
HASHED_IN_0_1 = {
    "CVSpec": ("scheme", "folds", "seed", "group", "time"),
    "SchemaSpec": ("numeric", "categorical", "datetime", "text", "ignore", "na_values"),
    "JoinSpec": ("file", "on"),
    "StepSpec": ("name", "params"),
}


def _hashed(part: Any) -> dict[str, Any]:
    """``part``'s fields as the objective hash sees them (see :data:`HASHED_IN_0_1`)."""
    always = HASHED_IN_0_1[type(part).__name__]
    out = {}
    for f in dataclasses.fields(part):
        value = getattr(part, f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if f.name in always or value != default:
            out[f.name] = value
    return out


def data_fingerprint(ctx: Any) -> str:
    """Sizes and a hash of the data the objective is computed on: ``prep.ctx``'s typed ``X``, encoded
    ``y`` and typed ``X_test`` (values, row order, column names and dtypes).

    Part of a study's name (:func:`study_name`): processes that prepared different data (another
    data folder, an edited train.csv, another schema) tune different studies.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> ctx = SimpleNamespace(X=pd.DataFrame({"a": [1.0, 2.0]}), y=np.array([0, 1]), X_test=pd.DataFrame({"a": [3.0]}))
    >>> data_fingerprint(ctx).split(":")[0]
    '2x1+1x1'
    """
    import pandas as pd

    digest = hashlib.sha256()
    for name, part in (("X", ctx.X), ("y", ctx.y), ("X_test", ctx.X_test)):
        if not isinstance(part, pd.DataFrame):
            values = np.asarray(part)
            part = pd.DataFrame(values.reshape(len(values), -1))
        layout = [name, list(part.shape), [[str(c), str(t)] for c, t in part.dtypes.items()]]
        digest.update(json.dumps(layout).encode())
        if part.size:
            digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
    sizes = "+".join(f"{len(f)}x{f.shape[1]}" for f in (ctx.X, ctx.X_test))
    return f"{sizes}:{digest.hexdigest()[:16]}"


def objective_hash(spec: Spec, model: ModelSpec, overrides: dict[str, Any], data: str | None = None) -> str:
    """A hash of every spec part that changes the objective (files, folds, recipes, metric, fixed params)
    and of the data (``data``: :func:`data_fingerprint`; ``None`` gives compete 0.1.0's hash, spec only)."""
    fixed = {k: v for k, v in overrides.items() if not isinstance(v, dict | list)}
    key = {"task": spec.task, "target": spec.target, "metric": spec.metric, "positive": spec.positive,
           "seed": spec.seed, "cv": _hashed(spec.cv), "schema": _hashed(spec.schema),
           "joins": [_hashed(j) for j in spec.joins], "files": spec.files,
           "features": [_hashed(s) for s in spec.features],
           "resample": _hashed(spec.resample) if spec.resample else None,
           "model": model.name, "params": model.params, "fixed": fixed}  # fmt: skip
    if data is not None:
        key["data"] = data
    text = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def study_name(spec: Spec, model: ModelSpec, overrides: dict[str, Any], data: str) -> str:
    """``<competition>.<model label>.<objective hash>``: the same spec on the same data (``data``:
    :func:`data_fingerprint` of the prepared run) continues the same study."""
    return f"{spec.name}.{model.label}.{objective_hash(spec, model, overrides, data)}"


def legacy_study_name(spec: Spec, model: ModelSpec, overrides: dict[str, Any]) -> str:
    """The name compete 0.1.0 gave this study (a hash of the spec only, not of the data)."""
    return f"{spec.name}.{model.label}.{objective_hash(spec, model, overrides)}"


# drawing parameters --------------------------------------------------------------------------------
class _Narrowed:
    """A trial seen through the spec's overrides: fixed values, narrowed ranges, chosen subsets."""

    def __init__(self, trial: Any, overrides: dict[str, Any]) -> None:
        self.trial, self.overrides = trial, overrides
        self.seen: set[str] = set()

    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> Any:
        return self._suggest(name, "float", low=low, high=high, log=log, step=step)

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False, step: int = 1) -> Any:
        return self._suggest(name, "int", low=low, high=high, log=log, step=step)

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return self._suggest(name, "categorical", choices=list(choices))

    def _suggest(self, name: str, kind: str, **space: Any) -> Any:
        self.seen.add(name)
        value = self.overrides.get(name, space)
        if isinstance(value, list):
            value = {"choices": value}
        if not isinstance(value, dict):
            return value
        if "choices" in value:
            return self.trial.suggest_categorical(name, value["choices"])
        space = {**space, **value}
        if space.get("log"):
            space["step"] = None if kind == "float" else 1
        fn = self.trial.suggest_float if kind == "float" else self.trial.suggest_int
        return fn(name, space["low"], space["high"], log=bool(space.get("log")), step=space.get("step"))


class _Lowest:
    """Stands in for a trial in a dry run that checks the overrides against the space."""

    def suggest_float(self, name: str, low: float, high: float, **_: Any) -> float:
        return low

    suggest_int = suggest_float  # type: ignore[assignment]

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return list(choices)[0]


def draw_params(trial: Any, model: ModelSpec, task: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The trial's parameters: the spec's ``params``, then the drawn ones, then fixed extras."""
    from compete.models import MODELS

    view = _Narrowed(trial, overrides)
    cls: Any = MODELS.get(model.name)
    drawn = cls.search_space(view, task)
    extras = {k: v for k, v in overrides.items() if k not in view.seen}
    ranged = sorted(k for k, v in extras.items() if isinstance(v, dict | list))
    if ranged:
        raise SpecError(f"tune.{model.label}.{ranged[0]}: not in {model.name}'s search space, so it cannot be "
                        f"narrowed (fix it with a plain value instead); searched: {', '.join(sorted(view.seen))}")  # fmt: skip
    return {**model.params, **drawn, **extras}


# the objective -------------------------------------------------------------------------------------
class _InFold:
    """Reports a library's validation loss every few rounds; stops the fit when the pruner says so.

    It stops training (rather than raising inside the library, as optuna-integration's callbacks do)
    so the adapters' GPU fallback never sees the pruning; the fold hook then raises ``TrialPruned``.
    """

    def __init__(self, trial: Any, fold: int, sign: float, metric: str, prune: bool, deadline: float | None,
                 learning_rate: float) -> None:  # fmt: skip
        self.trial, self.fold, self.sign, self.metric = trial, fold, sign, metric
        self.prune, self.deadline, self.learning_rate = prune, deadline, learning_rate
        self.pruned_at: int | None = None
        self.out_of_time: int | None = None
        self.mark = 0  # the last learning-progress mark reported

    def check(self, rnd: int, loss: float) -> bool:
        if self.deadline is not None and clock() > self.deadline:
            self.out_of_time = rnd  # --timeout: stop this fit now, the trial ends at the fold hook
            return True
        mark = int(rnd * self.learning_rate / IN_FOLD_PROGRESS)
        if not self.prune or mark <= self.mark or not math.isfinite(loss):
            return False
        self.mark = mark
        self.trial.report(self.sign * loss, (self.fold + 1) * STEP + mark)
        if self.trial.should_prune():
            self.pruned_at = rnd
        return self.pruned_at is not None

    def lightgbm(self) -> Callable[[Any], None]:
        def callback(env: Any) -> None:
            import lightgbm as lgb

            for _, name, value, *_ in env.evaluation_result_list or ():
                if name.removeprefix("valid ") == self.metric and self.check(env.iteration, value):
                    raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

        callback.order = 40  # type: ignore[attr-defined]
        return callback

    def xgboost(self) -> Any:
        import xgboost as xgb

        outer = self

        class Callback(xgb.callback.TrainingCallback):  # type: ignore[misc]
            def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
                first: dict[str, Any] = next(iter(evals_log.values()), {})
                scores = first.get(outer.metric, [])
                return bool(scores) and outer.check(epoch, float(scores[-1]))

        return Callback()


def _default_rate(name: str) -> float:
    from compete.models import MODELS

    cls: Any = MODELS.get(name)
    return float(cls.default_params("regression").get("learning_rate", 0.1))


def tunable(name: str) -> bool:
    """Whether the registered model ``name`` has a search space."""
    from compete.models import MODELS

    return name in MODELS.names() and hasattr(MODELS.get(name), "search_space")


def _in_fold_support(name: str) -> bool:
    from compete.models import MODELS

    if name == "xgboost":
        return True  # XGBoost takes ``callbacks`` as a constructor parameter
    return name == "lightgbm" and bool(getattr(MODELS.get(name), "fit_callbacks", False))


class _Objective:
    """One trial: draw parameters, cross-fit on the prepared folds, report after every fold."""

    def __init__(self, prep: Any, model: ModelSpec, overrides: dict[str, Any], deadline: float | None,
                 in_fold: bool, sliced: bool = False, keep: Callable[[Any], None] | None = None) -> None:  # fmt: skip
        """``sliced``: each fold's fit also stops boosting at ``deadline`` (time-sliced, as under
        ``--time-budget``); ``keep(result)`` gets every completed trial's :class:`ModelResult`."""
        self.prep, self.model, self.overrides, self.deadline = prep, model, overrides, deadline
        self.sliced, self.keep = sliced, keep
        self.hooked = (
            prep.device != "gpu" and _in_fold_support(model.name) and (in_fold or deadline is not None)
        )
        self.in_fold = in_fold
        self.sign = 1.0 if prep.ctx.metric.greater_is_better else -1.0  # losses: lower is better
        self.numbers: set[int] = set()  # the trials this process ran (other workers share the study)

    def __call__(self, trial: Any) -> float:
        from compete.cv.foldloop import cross_fit, score_oof

        self.numbers.add(trial.number)
        params = draw_params(trial, self.model, self.prep.spec.task, self.overrides)
        trial.set_user_attr("params", params)
        hooks: dict[int, _InFold] = {}

        def fold_params(k: int) -> dict[str, Any]:
            if not self.hooked:
                return {}
            metric = IN_FOLD_METRIC[self.model.name][self.prep.spec.task]
            rate = float(params.get("learning_rate", _default_rate(self.model.name)))
            hooks[k] = _InFold(trial, k, -self.sign, metric, self.in_fold, self.deadline, rate)
            return {"callbacks": [getattr(hooks[k], self.model.name)()]}

        def on_fold(k: int, oof: np.ndarray) -> None:
            self._after_fold(trial, k, score_oof(self.prep.ctx, oof), hooks.get(k))

        spec = ModelSpec(self.model.name, params, self.model.alias)
        try:
            result = cross_fit(self.prep.ctx, spec, device=self.prep.device, fold_params=fold_params,
                               on_fold=on_fold, deadline=self.deadline if self.sliced else None)  # fmt: skip
        except Exception as exc:
            import optuna

            if not isinstance(exc, optuna.TrialPruned):
                trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:500])
            raise
        if self.keep:
            self.keep(result)
        return result.score

    def _after_fold(self, trial: Any, k: int, score: float, hook: _InFold | None) -> None:
        import optuna

        if hook is not None and hook.out_of_time is not None:
            trial.set_user_attr("pruned", f"out of time in fold {k}, round {hook.out_of_time}")
            raise optuna.TrialPruned(f"--timeout reached in fold {k}")
        if hook is not None and hook.pruned_at is not None:
            trial.set_user_attr("pruned", f"fold {k}, round {hook.pruned_at}")
            raise optuna.TrialPruned(f"pruned inside fold {k} at round {hook.pruned_at}")
        trial.report(score, k)
        if k + 1 < len(self.prep.ctx.folds) and trial.should_prune():
            trial.set_user_attr("pruned", f"after fold {k}")
            raise optuna.TrialPruned(f"pruned after fold {k}")
        if self.deadline is not None and clock() > self.deadline and k + 1 < len(self.prep.ctx.folds):
            trial.set_user_attr("pruned", f"out of time after fold {k}")
            raise optuna.TrialPruned(f"--timeout reached after fold {k}")


# tune ----------------------------------------------------------------------------------------------
def _open_study(opts: TuneOptions, spec: Spec, model: ModelSpec, overrides: dict[str, Any],
                direction: str, data: str) -> Any:  # fmt: skip
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage_url(opts.storage, opts.runs_dir)
    storage = _storage(url, opts.heartbeat)
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

    from compete.run.runner import prepare_run, resolve_spec

    if opts.trials is None and opts.timeout is None:
        raise SpecError("tune needs --trials N or --timeout SECONDS (or both) to know when to stop")
    if (opts.trials is not None and opts.trials < 1) or (opts.timeout is not None and opts.timeout <= 0):
        raise SpecError(
            f"--trials must be at least 1 and --timeout positive; got {opts.trials!r}, {opts.timeout!r}"
        )
    start = clock()
    spec = resolve_spec(opts.run_options())
    model = _model_spec(spec, opts.model)
    overrides = search_overrides(spec, model, opts.search)
    draw_params(_Lowest(), model, spec.task, overrides)  # bad overrides fail now, not as failed trials
    prep = prepare_run(opts.run_options(), spec)
    data = data_fingerprint(prep.ctx)  # the study's name includes the data it is tuned on
    direction = "maximize" if prep.ctx.metric.greater_is_better else "minimize"
    study, url = _open_study(opts, spec, model, overrides, direction, data)
    before = {t.number for t in study.trials}
    deadline = start + opts.timeout if opts.timeout else None
    if report:
        report("study", study=study.study_name, storage=_safe(url), direction=direction, metric=spec.metric,
               existing=len(before), trials=opts.trials, timeout=opts.timeout, rows=len(prep.ctx.y),
               folds=len(prep.ctx.folds), device=prep.device, data=data)  # fmt: skip
    objective = _Objective(prep, model, overrides, deadline, opts.in_fold_pruning)
    remaining = None if deadline is None else max(deadline - clock(), 0.001)
    callbacks = [_progress(report, start, objective.numbers), _stop_at(deadline)]
    study.optimize(
        objective, n_trials=opts.trials, timeout=remaining, catch=(Exception,), callbacks=callbacks
    )
    return _result(study, url, objective.numbers, clock() - start)


def _stop_at(deadline: float | None) -> Callable[[Any, Any], None]:
    """A study callback that starts no trial past ``deadline`` (on :data:`clock`, as the trials' own
    checks are)."""

    def callback(study: Any, trial: Any) -> None:
        if deadline is not None and clock() >= deadline:
            study.stop()

    return callback


def _progress(
    report: Reporter | None, start: float, mine: set[int], **extra: Any
) -> Callable[[Any, Any], None]:
    """A study callback that sends ``trial_done`` (with ``extra``, e.g. a budget turn's label)."""

    def callback(study: Any, trial: Any) -> None:
        if report:
            best = _best(study)
            report("trial_done", **extra, number=trial.number, state=trial.state.name.lower(), value=trial.value,
                   best=best.value if best else None, best_number=best.number if best else None,
                   done=sum(1 for t in study.trials if t.number in mine and t.state.is_finished()),
                   elapsed=clock() - start, note=trial.user_attrs.get("pruned", ""))  # fmt: skip

    return callback


def _best(study: Any) -> Any:
    try:
        return study.best_trial
    except ValueError:  # no completed trial yet
        return None


def _result(study: Any, url: str, numbers: set[int], wall_s: float) -> TuneResult:
    """Where the study stands; the counts are of the trials this process ran (``numbers``)."""
    mine = [t for t in study.trials if t.number in numbers]
    counts = _counts(mine)
    if mine and counts["failed"] == len(mine):
        errors = [t.user_attrs.get("error", "see the log") for t in mine]
        raise ModelError(f"every trial of study {study.study_name!r} failed; first error: {errors[0]}")
    best = _best(study)
    return TuneResult(study.study_name, _safe(url), study.direction.name.lower(),
                      study.user_attrs.get("metric", ""), counts["trials"], counts["completed"],
                      counts["pruned"], counts["failed"], len(study.trials),
                      best.value if best else None, _trial_params(best) if best else None,
                      best.number if best else None, wall_s)  # fmt: skip


def _counts(trials: list[Any]) -> dict[str, int]:
    """How many of ``trials`` there are, and how many completed, were pruned and failed."""
    states = [t.state.name for t in trials]
    return {"trials": len(trials), "completed": states.count("COMPLETE"), "pruned": states.count("PRUNED"),
            "failed": states.count("FAIL")}  # fmt: skip


def _trial_params(trial: Any) -> dict[str, Any]:
    return dict(trial.user_attrs.get("params") or trial.params)


# tuning inside a time budget ------------------------------------------------------------------------
class BudgetTuner:
    """Tuning turns of one boosted-tree family inside ``run --time-budget`` (:mod:`compete.run.plan`).

    An in-memory study (nothing is stored: the objective is the run's own folds, already prepared)
    over the model's search space, with the spec's ``[tune.<model>]`` narrowing and the learning rate
    fixed at the first-pass fit's, so trials are fast and compared at one rate (the budget's rate
    ladder halves the winner afterwards). The first-pass fit enters as a finished trial with its
    per-fold scores, so median pruning works from the first trials. Each trial is the same
    :func:`~compete.cv.foldloop.cross_fit` as ``compete tune``'s: anything that sees the target is fitted
    inside the folds, on the training part only. Turns continue the same study.
    """

    def __init__(self, prep: Any, base: Any) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.prep, self.base = prep, base
        rate = base.params.get("learning_rate")
        self.model = ModelSpec(base.name, dict(base.params), base.label)
        fixed = {"learning_rate": rate} if isinstance(rate, int | float) else {}
        self.overrides = search_overrides(prep.spec, self.model, fixed)
        self.metric = prep.ctx.metric
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(seed=derive_seed(prep.spec.seed, "budget-tune", base.label),
                                                 multivariate=True)  # fmt: skip
        direction: Literal["maximize", "minimize"] = (
            "maximize" if self.metric.greater_is_better else "minimize"
        )
        self.study = optuna.create_study(direction=direction, sampler=sampler,
                                         pruner=optuna.pruners.MedianPruner(n_startup_trials=2))  # fmt: skip
        self.study.add_trial(optuna.trial.create_trial(
            state=optuna.trial.TrialState.COMPLETE, value=base.score, params={}, distributions={},
            intermediate_values=self._fold_steps(base.oof)))  # fmt: skip
        self.best = base

    def _expected(self) -> tuple[type[Exception], ...]:
        """The failures a trial may meet and the turn goes on after (counted as failed trials): the
        model's own fit errors (:meth:`~compete.models.base.Model.fit_errors`) and a fold that could not
        start before the turn's deadline."""
        from compete.cv.foldloop import OutOfTime
        from compete.models import MODELS

        cls: Any = MODELS.get(self.model.name)
        return (*cls.fit_errors(), OutOfTime)

    def _fold_steps(self, oof: np.ndarray) -> dict[int, float]:
        """The OOF score after each fold, as a trial reports it (rows of folds 0..k)."""
        from compete.cv.foldloop import score_oof

        ctx, steps = self.prep.ctx, {}
        seen = np.full_like(oof, np.nan, dtype=float)
        for k, (_, va) in enumerate(ctx.folds):
            seen[va] = oof[va]
            steps[k] = score_oof(ctx, seen)
        return steps

    def turn(self, seconds: float, alias: str, report: Reporter | None = None) -> tuple[Any, dict[str, Any]]:
        """Tune for ``seconds``; the best trial of this turn as a ``ModelResult`` labelled ``alias`` if it
        beats every fit so far (else ``None``), and what the turn did."""

        start = clock()
        deadline = start + seconds
        before = self.best

        def keep(result: Any) -> None:
            if self.metric.better(result.score, self.best.score):
                self.best = result

        def stop_when_short(study: Any, trial: Any) -> None:
            done = [
                t.duration.total_seconds() for t in study.trials if t.duration and t.state.name == "COMPLETE"
            ]
            typical = float(np.median(done)) if done else self.base.seconds  # the reference has no duration
            if deadline - clock() < 0.5 * typical:
                study.stop()  # the next trial would not finish: give the time back to the plan

        model = ModelSpec(self.model.name, self.model.params, alias)
        objective = _Objective(
            self.prep, model, self.overrides, deadline, in_fold=True, sliced=True, keep=keep
        )
        callbacks = [stop_when_short, _progress(report, start, objective.numbers, label=alias)]
        error = None
        try:
            self.study.optimize(objective, timeout=seconds, catch=self._expected(), callbacks=callbacks)
        except Exception as exc:  # not a failure a fit may meet: a bug, kept in the run record as such
            error = f"{type(exc).__name__}: {exc}"[:500]
        mine = [t for t in self.study.trials if t.number in objective.numbers]
        info = {**_counts(mine), "best_cv": self.best.score, "seconds": round(clock() - start, 2)}
        if error is not None:
            info["error"] = error
        return (self.best if self.best is not before else None), info
