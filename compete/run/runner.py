"""``compete run``: spec → data → folds → models → ensemble → submission → run record.

:func:`run_competition` is the whole job as one importable function; the CLI only parses arguments
and prints what it reports. Everything is checked before anything is written: a bad spec or bad
data raises a :class:`~compete.errors.CompeteError` and leaves ``runs/`` untouched.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compete.progress import Events, Reporter
from compete.spec import ModelSpec, Spec, StepSpec, find_spec, load_spec

if TYPE_CHECKING:
    from compete.drift import QuickDrift

__all__ = ["RunOptions", "RunResult", "run_competition", "prepare_run", "Prepared"]

DEFAULT_ENSEMBLE = "hill_climb"


@dataclass
class RunOptions:
    """What a user can choose for one run (the CLI's options)."""

    competition: str
    competitions_dir: str | Path = "competitions"
    data_root: str | Path | None = None
    data_dir: str | Path | None = None
    runs_dir: str | Path = "runs"
    seed: int | None = None
    device: str = "auto"
    models: list[str] | None = None
    folds: int | None = None
    resample: str | None = None
    output: str | Path | None = None
    note: str = ""
    time_budget: float | None = None
    started: float | None = None  # time.monotonic() when the budget's clock started (default: now)
    params: str = "best"  # default | best (the matching tune study's best trial) | a .json/.toml file
    tune_storage: str | None = None


@dataclass
class RunResult:
    """What a run produced."""

    run_id: str
    path: Path
    spec: Spec
    metric: str
    greater_is_better: bool
    scores: dict[str, dict[str, Any]]
    final: str
    cv_score: float
    submission: Path
    wall_s: float
    extra_outputs: list[Path] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The machine-readable summary printed by ``compete run --json``."""
        return {
            "run_id": self.run_id, "competition": self.spec.name, "metric": self.metric,
            "models": {k: v["cv"] for k, v in self.scores.items()}, "final": self.final,
            "cv_score": self.cv_score, "submission": str(self.submission), "run_dir": str(self.path),
            "wall_s": round(self.wall_s, 2),
        }  # fmt: skip


@dataclass
class Prepared:
    """A competition loaded, typed and split: what ``run`` and ``tune`` share."""

    spec: Spec
    data: Any
    codec: Any
    schema: Any
    ctx: Any
    device: str


def resolve_spec(opts: RunOptions) -> Spec:
    """Load the spec and apply the run's overrides (seed, folds, models, resample)."""
    spec = load_spec(find_spec(opts.competition, opts.competitions_dir))
    changes: dict[str, Any] = {}
    if opts.seed is not None:
        changes["seed"] = opts.seed
        changes["cv"] = dataclasses.replace(spec.cv, seed=opts.seed)
    if opts.folds is not None:
        changes["cv"] = dataclasses.replace(changes.get("cv", spec.cv), folds=opts.folds)
    if opts.models:
        from compete.models import MODELS

        for name in opts.models:
            MODELS.get(name, where="--models")
        changes["models"] = tuple(ModelSpec(n) for n in opts.models)
    if opts.resample is not None:
        changes["resample"] = StepSpec(opts.resample)
    return dataclasses.replace(spec, **changes) if changes else spec


def prepare_run(opts: RunOptions, spec: Spec | None = None) -> Prepared:
    """Everything before the models: data, schema, encoded target and folds (no writes)."""
    from compete.cv.foldloop import FoldContext
    from compete.cv.splits import make_folds
    from compete.data.files import load_competition, resolve_data_dir
    from compete.data.schema import infer_schema
    from compete.data.target import TargetCodec
    from compete.device import resolve_device
    from compete.scoring.metrics import get_metric
    from compete.submission.build import check_layout

    spec = spec or resolve_spec(opts)
    device = resolve_device(opts.device)
    folder = resolve_data_dir(spec, opts.data_root, opts.data_dir)
    _generate_if_needed(spec, folder)
    data = load_competition(spec, folder)
    codec = TargetCodec(spec.task, get_metric(spec.metric), spec.positive).fit(data.train[spec.target])
    y = codec.encode(data.train[spec.target])
    X_raw, X_test_raw = _features(spec, data.train), _features(spec, data.test)
    schema = infer_schema(X_raw, X_test_raw, spec.schema).fit(X_raw)
    X, X_test = _typed(schema, X_raw, X_test_raw)
    check_layout(data.sample, data.test[spec.id], id_col=spec.id, codec=codec, metric=codec.metric)
    folds = make_folds(spec.cv, y, data.train, spec.task)
    spec_dir = Path(spec.source).parent if spec.source else None
    ctx = FoldContext(X, y, X_test, folds, spec.task, codec.model_metric(), spec.seed, spec.features,
                      spec.resample, spec_dir)  # fmt: skip
    return Prepared(spec, data, codec, schema, ctx, device)


def _generate_if_needed(spec: Spec, folder: Path) -> None:
    if spec.generate and not (folder / "train.csv").exists():
        from compete.data.demo import write_demo

        write_demo(folder)


def _features(spec: Spec, frame: pd.DataFrame) -> pd.DataFrame:
    drop = [c for c in (spec.id, spec.target) if c in frame.columns]
    return frame.drop(columns=drop)


def _typed(schema: Any, X_raw: pd.DataFrame, X_test_raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed frames; id-like string columns (mostly distinct) become their frequency."""
    from compete.features.finalize import count_encode

    X, X_test = schema.apply(X_raw), schema.apply(X_test_raw[X_raw.columns])
    for col in schema.high_cardinality:
        X[f"{col}__count"], X_test[f"{col}__count"] = count_encode(X_raw[col], X_test_raw[col])
        X, X_test = X.drop(columns=col), X_test.drop(columns=col)
    return X, X_test


def run_competition(opts: RunOptions, report: Reporter | None = None) -> RunResult:
    """Run a competition end to end and write its run record and submission."""

    start = time.perf_counter()
    emit = Events(report)
    budget = None
    if opts.time_budget is not None:
        from compete.run.plan import Budget

        budget = Budget(float(opts.time_budget), start=opts.started or time.monotonic())
    from compete.tune.params import resolve_params, run_fingerprint

    prep = prepare_run(opts, resolve_spec(opts))  # data first: a study's name holds their fingerprint
    prep.spec, notes = resolve_params(prep.spec, opts.params, storage=opts.tune_storage,
                                      runs_dir=opts.runs_dir, fingerprint=run_fingerprint(prep))  # fmt: skip
    spec, ctx = prep.spec, prep.ctx
    for text in [*notes, *prep.data.notes]:
        emit("note", text=text)
    drift = _warn_on_drift(prep, emit, budget, opts.runs_dir)
    emit("start", competition=spec.name, rows=len(ctx.y), test_rows=len(ctx.X_test), folds=len(ctx.folds),
         features=ctx.X.shape[1], device=prep.device, models=[m.label for m in spec.models])  # fmt: skip
    models = list(spec.models)
    if budget is not None:
        from compete.run.plan import fast_models

        models = fast_models(models)
    results = _fit_models(prep, models, emit, budget)
    if budget is not None:
        results += _second_pass(prep, results, emit, budget)
    final = _finalize(prep, results)
    if budget is not None:
        final["info"]["budget"] = budget.summary()
    emit("final", label=final["label"], score=final["score"])
    final["info"].update(emit.summary())
    result = _write_run(opts, prep, results, final, emit.log, time.perf_counter() - start)
    if drift is not None:
        drift.save()  # only now: a run that fails leaves nothing under runs/
    return result


def _warn_on_drift(prep: Prepared, emit: Reporter, budget: Any, runs_dir: str | Path) -> QuickDrift | None:
    """Adversarial validation (no target): warn when test rows are easy to tell from train rows.

    :func:`compete.drift.quick_drift`: a few percent of a LightGBM run on adult the first time
    (``bench/overhead.py``), read back from ``<runs>/.cache/drift/<competition>.json`` when the same
    data was checked before. Returns the check (saved by the caller once the run is recorded), or
    ``None`` when a budget under a minute leaves it out.
    """
    if budget is not None and budget.seconds < 60:
        return None
    from compete.drift import quick_cache, quick_drift

    check = quick_drift(prep.ctx.X, prep.ctx.X_test, prep.spec.seed, quick_cache(runs_dir, prep.spec.name))
    emit("drift", auc=round(check.report.auc, 4), fitted=check.fitted, seconds=check.report.seconds)
    warning = check.report.warning()
    if warning:
        emit("note", text=f"warning: {warning}")
    return check


def _fit_models(prep: Prepared, models: list[ModelSpec], emit: Reporter, budget: Any,
                second_pass: bool = False) -> list[Any]:  # fmt: skip
    """Fit ``models`` in turn. Under a budget: in the first pass each model gets its share of time and
    the first always finishes; in the second pass a fit may use all the time left, or is dropped."""
    from compete.cv.foldloop import OutOfTime, cross_fit

    results: list[Any] = []
    for i, model in enumerate(models):
        deadline = None
        if budget is not None:
            deadline = budget.end if second_pass else budget.first_pass_deadline(len(models) - i, not results)
        emit("model_start", label=model.label, folds=len(prep.ctx.folds))
        t0 = time.perf_counter()
        try:
            results.append(cross_fit(prep.ctx, model, device=prep.device, report=emit, deadline=deadline,
                                     must_finish=not results and not second_pass))  # fmt: skip
        except OutOfTime:
            if budget is not None:
                budget.record(model.label, time.perf_counter() - t0, "dropped: out of time")
            emit("note", text=f"{model.label}: dropped, its folds did not fit in the time budget")
            continue
        r = results[-1]
        if budget is not None:
            budget.record(model.label, r.seconds, "done", cv=r.score)
        _model_done(emit, r)
    return results


def _model_done(emit: Reporter, r: Any) -> None:
    emit(
        "model_done",
        label=r.label,
        score=r.score,
        std=r.std,
        devices=sorted(set(r.devices)),
        seconds=r.seconds,
    )


def _second_pass(prep: Prepared, results: list[Any], emit: Reporter, budget: Any) -> list[Any]:
    """Tuning turns, slower learning rates and seed bags of the strongest boosted-tree families, each
    only while the time left covers it (see :mod:`compete.run.plan`)."""
    from compete.run.plan import SecondPass, TuneTurn

    plan = SecondPass(results, prep.ctx.metric.greater_is_better)
    tuners: dict[str, Any] = {}
    extra: list[Any] = []
    while (move := plan.next(budget.left())) is not None:
        if isinstance(move, TuneTurn):
            from compete.tune.study import BudgetTuner

            if move.base.label not in tuners:
                tuners[move.base.label] = BudgetTuner(prep, move.base)
            tuner = tuners[move.base.label]
            seconds = min(move.seconds, budget.left())
            emit("tune_start", label=move.alias, base=move.base.label, seconds=seconds)
            fit, info = tuner.turn(seconds, move.alias, emit)
            status = "error" if "error" in info else "done" if fit else "no better fit"
            emit("tune_done", label=move.alias, status=status, **info)
            budget.record(f"tune {move.base.label}", info.pop("seconds"), status, label=move.alias, **info)
            fitted = [fit] if fit is not None else []
            if fit is not None:
                _model_done(emit, fit)
        else:
            fitted = _fit_models(prep, [move], emit, budget, second_pass=True)
        plan.done(fitted[0] if fitted else None)
        extra += fitted
    return extra


def _finalize(prep: Prepared, results: list[Any], step: StepSpec | None = None,
              always_ensemble: bool = False) -> dict[str, Any]:  # fmt: skip
    """The predictions the submission is made of: the ensemble when its honest CV is better (or when
    asked for), else the best single model; label metrics get a threshold chosen on OOF predictions."""
    metric = prep.ctx.metric
    best = results[0]
    for r in results[1:]:
        if metric.better(r.score, best.score):
            best = r
    final: dict[str, Any] = {
        "label": best.label,
        "oof": best.oof,
        "test": best.test,
        "score": best.score,
        "info": {},
    }
    step = step or prep.spec.ensemble or StepSpec(DEFAULT_ENSEMBLE)
    if len(results) >= 2 and step.name != "none":
        ens = _ensemble(prep, results, step)
        final["info"]["ensemble"] = {"method": step.name, "score": ens["score"], "weights": ens["weights"],
                                     "chosen": always_ensemble or metric.better(ens["score"], best.score)}  # fmt: skip
        if final["info"]["ensemble"]["chosen"]:
            final.update({k: ens[k] for k in ("label", "oof", "test", "score")})
    return _with_threshold(prep, final)


def _ensemble(prep: Prepared, results: list[Any], step: StepSpec) -> dict[str, Any]:
    """Combine the models' OOF predictions; label metrics blend on log loss, then pick a threshold."""
    from compete.cv.foldloop import score_oof
    from compete.ensemble import combine
    from compete.scoring.metrics import get_metric
    from compete.seeding import derive_seed

    ctx = prep.ctx
    blend_metric = get_metric("logloss") if ctx.metric.needs == "label" else ctx.metric
    X, X_test = _meta_features(ctx) if step.params.get("features") else (None, None)
    res = combine(step.name, {r.label: r.oof for r in results}, {r.label: r.test for r in results}, ctx.y,
                  task=ctx.task, metric=blend_metric, folds=ctx.folds, seed=derive_seed(ctx.seed, "ensemble"),
                  params=step.params, X=X, X_test=X_test)  # fmt: skip
    return {"label": f"ensemble:{step.name}", "oof": res.oof, "test": res.test, "score": score_oof(ctx, res.oof),
            "weights": res.weights}  # fmt: skip


def _meta_features(ctx: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The original features for ``[ensemble] features = true`` (stacking's passthrough), made
    model-ready by :class:`~compete.features.finalize.Finalize` (unsupervised: no target is seen)."""
    from compete.features.finalize import Finalize

    fin = Finalize().fit(ctx.X)
    return fin.transform(ctx.X), fin.transform(ctx.X_test)


def _with_threshold(prep: Prepared, final: dict[str, Any]) -> dict[str, Any]:
    """For label metrics: a threshold chosen on all OOF rows, kept only when its cross-fitted CV score
    (each fold's rows labelled with a threshold chosen on the other folds) beats the default cut's
    (0.5 or argmax, nothing fitted). On small data a tuned cut, above all a multiclass one, can fit the
    OOF noise: then the default rule labels the submission and the default score is the CV."""
    from compete.scoring.thresholds import choose_threshold, cross_fitted_score

    ctx, oof, fold = prep.ctx, final["oof"], prep.ctx.fold_of_row()
    metric = prep.codec.metric
    threshold = choose_threshold(ctx.y[fold >= 0], oof[fold >= 0], metric)
    final["threshold"] = threshold
    if threshold is not None:
        tuned = cross_fitted_score(ctx.y, oof, fold, metric)
        used = metric.better(tuned, threshold.default_score)
        final["threshold"] = threshold if used else None
        final["score"] = tuned if used else threshold.default_score
        final["info"]["threshold"] = {**threshold.to_dict(), "cv_score": tuned, "used": used}
    return final


def _write_run(opts: RunOptions, prep: Prepared, results: list[Any], final: dict[str, Any], log: list[str],
               wall_s: float, kind: str = "run") -> RunResult:  # fmt: skip
    from compete.cv.splits import folds_signature
    from compete.records.atomic import write_atomic
    from compete.records.runs import new_run_id, pred_frame, record_run, staged_run
    from compete.submission.build import build_submission, spelled, validate_submission

    spec, data, codec, ctx = prep.spec, prep.data, prep.codec, prep.ctx
    metric = codec.metric
    sub = build_submission(data.sample, data.test[spec.id], final["test"], id_col=spec.id, codec=codec,
                           metric=metric, threshold=final["threshold"], label_text=data.label_text)  # fmt: skip
    labels = spelled(codec.classes_, data.label_text) if metric.needs == "label" else None
    validate_submission(sub, data.sample, spec.id, labels=labels, proba=metric.needs == "proba")
    scores = {r.label: _model_scores(r) for r in results}
    run_id = new_run_id()
    with staged_run(opts.runs_dir, spec.name, run_id) as tmp:
        oof = pred_frame({**{r.label: r.oof for r in results}, **_ens(final, results, "oof")})
        oof["y"], oof["fold"] = ctx.y, ctx.fold_of_row()
        oof.to_parquet(tmp / "oof.parquet")
        pred_frame({**{r.label: r.test for r in results}, **_ens(final, results, "test")}).to_parquet(
            tmp / "test.parquet"
        )
        (tmp / "spec.json").write_text(json.dumps(spec.to_dict(), indent=2, default=str))
        (tmp / "schema.json").write_text(json.dumps(prep.schema.describe(), indent=2))
        summary = {"metric": spec.metric, "greater_is_better": metric.greater_is_better, "models": scores,
                   "final": final["label"], "cv": final["score"],
                   "folds": folds_signature(ctx.folds), "seed": spec.seed, "device": prep.device,
                   **final.get("info", {})}  # fmt: skip
        (tmp / "scores.json").write_text(json.dumps(summary, indent=2, default=_json_default))
        (tmp / "run.log").write_text("\n".join(log) + "\n")
        write_atomic(sub, tmp / "submission.csv")
        if spec.task == "binary":
            from compete.scoring.plots import save_binary_plots

            mask = ~np.isnan(final["oof"])
            save_binary_plots(ctx.y[mask], final["oof"][mask], tmp, final["threshold"])
    path = Path(opts.runs_dir) / spec.name / run_id
    extra = [write_atomic(sub, opts.output)] if opts.output else []
    fold_std = float(np.std([ctx.metric.score(ctx.y[va], final["oof"][va]) for _, va in ctx.folds
                             if not np.isnan(final["oof"][va]).any()]))  # fmt: skip
    record_run(opts.runs_dir, {
        "run_id": run_id, "competition": spec.name, "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "metric": spec.metric, "greater_is_better": int(metric.greater_is_better), "cv_score": final["score"],
        "cv_std": fold_std, "final": final["label"], "models": json.dumps(list(scores)),
        "folds": summary["folds"], "seed": spec.seed, "device": prep.device, "wall_s": wall_s, "path": str(path),
        "submission": str(path / "submission.csv"), "kind": kind, "note": opts.note,
    })  # fmt: skip
    return RunResult(run_id, path, spec, spec.metric, metric.greater_is_better, scores, final["label"],
                     float(final["score"]), path / "submission.csv", wall_s, extra, final["info"])  # fmt: skip


def _ens(final: dict[str, Any], results: list[Any], key: str) -> dict[str, np.ndarray]:
    return {} if final["label"] in {r.label for r in results} else {final["label"]: final[key]}


def _model_scores(r: Any) -> dict[str, Any]:
    return {"cv": r.score, "std": r.std, "folds": r.fold_scores, "devices": r.devices,
            "best_iterations": r.best_iterations, "seconds": round(r.seconds, 2), "params": r.params}  # fmt: skip


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
