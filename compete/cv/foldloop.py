"""The fold loop: for each fold, fit recipes and model on the training part only, predict the rest.

Per fold, in this order: the spec's feature recipes are fitted on the training part
(:func:`compete.features.build_pipeline`) and applied to the validation part and the test set;
:class:`~compete.features.finalize.Finalize` makes the frames model-ready; the resampler (if any) changes the
training part only; the model is fitted with early stopping on the validation part. Validation rows
get out-of-fold (OOF) predictions; test predictions are averaged over the fold models.

Early stopping watches the validation part, as competitors do; the number of rounds is the only
thing it learns from those rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compete.cv.splits import Folds
from compete.features.finalize import Finalize
from compete.progress import FoldDone, Note, Reporter
from compete.scoring.metrics import Metric
from compete.seeding import derive_seed
from compete.spec import ModelSpec, StepSpec

__all__ = ["FoldContext", "FoldFrames", "FoldTransform", "FoldFit", "FoldResults", "ModelResult", "OutOfTime", "MIN_FOLD_SECONDS", "fits_of",
           "cross_fit", "fit_fold", "report_fold", "score_oof", "seed_mean"]  # fmt: skip

FoldParams = Callable[[int], dict[str, Any]]
OnFold = Callable[[int, np.ndarray], None]


@dataclass
class FoldTransform:
    """One fold's fitted feature path, from typed frame to model-ready frame: the spec's recipes
    (fitted on the fold's training part), then the :class:`~compete.features.finalize.Finalize` step."""

    pipeline: Any
    finalize: Finalize

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = self.pipeline.transform(X) if self.pipeline is not None else X
        return self.finalize.transform(out)


@dataclass
class FoldFrames:
    """One fold's model-ready frames (shared by every model of the run) and the transform that made
    the validation and test frames."""

    X_train: pd.DataFrame
    y_train: np.ndarray
    weight: np.ndarray | None
    X_valid: pd.DataFrame
    X_test: pd.DataFrame
    transform: FoldTransform


@dataclass
class FoldContext:
    """Everything the models of one run share: typed features, encoded target, folds, recipes."""

    X: pd.DataFrame
    y: np.ndarray
    X_test: pd.DataFrame
    folds: Folds
    task: str
    metric: Metric
    seed: int
    features: tuple[StepSpec, ...] = ()
    resample: StepSpec | None = None
    spec_dir: Path | None = None
    keep_models: bool = (
        False  # keep each fold's fitted model on its ModelResult (to save the run's artifacts)
    )
    keys: tuple[str, ...] = ()  # group keys: columns recipes read and models never see (Finalize)
    _cache: dict[int, FoldFrames] = field(default_factory=dict, repr=False)
    _transforms: dict[int, FoldTransform] = field(default_factory=dict, repr=False)
    _keep: bool | None = field(default=None, repr=False)
    full_transform: FoldTransform | None = field(
        default=None, repr=False
    )  # the full-data refit's feature path

    def fold_of_row(self) -> np.ndarray:
        """Each training row's validation fold; -1 for a row no fold validates (time splits)."""
        fold = np.full(len(self.y), -1)
        for k, (_, va) in enumerate(self.folds):
            fold[va] = k
        return fold

    def without_keys(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The typed train and test frames less the group keys (:attr:`keys`): the columns a model could see
        without recipes (what adversarial validation compares)."""
        keys = list(self.keys)
        return (self.X.drop(columns=keys), self.X_test.drop(columns=keys)) if keys else (self.X, self.X_test)

    def keeps_frames(self) -> bool:
        """Whether fold frames are kept between fits: when every fold's frames together are estimated
        under :data:`FOLD_CACHE_BYTES` (a small table, whose tuning trials reuse them hundreds of times).
        On a large table a fold's frames are built when the fold starts and freed when it ends, and a
        later fit builds them again (the same frames: the recipes are seeded per fold)."""
        if self._keep is None:
            size = self.X.memory_usage(deep=True).sum() + self.X_test.memory_usage(deep=True).sum()
            self._keep = bool(len(self.folds) * size <= FOLD_CACHE_BYTES)
        return self._keep

    def frames(self, k: int) -> FoldFrames:
        """Fold ``k``'s frames: built, and on a small table kept for every later fit
        (:meth:`keeps_frames`)."""
        if k in self._cache:
            return self._cache[k]
        built = self._build(k)
        self._transforms[k] = built.transform
        if self.keeps_frames():
            self._cache[k] = built
        return built

    def fresh(self, **changes: Any) -> FoldContext:
        """A copy with ``changes`` (other recipes, ``keep_models``) and none of the fold frames or
        feature paths built so far: what a cluster worker receives, or a run with other features fits on."""
        from dataclasses import replace

        return replace(self, **changes, _cache={}, _transforms={}, _keep=None, full_transform=None)

    def set_transform(self, k: int, transform: FoldTransform) -> None:
        """Keep fold ``k``'s feature path fitted elsewhere (a cluster worker): the same as :meth:`frames`
        would fit here, the recipes being seeded per fold."""
        self._transforms.setdefault(k, transform)

    def transform(self, k: int) -> FoldTransform:
        """Fold ``k``'s fitted feature path (what predicting new rows replays), without its frames."""
        if k not in self._transforms:
            self.frames(k)
        return self._transforms[k]

    def _build(self, k: int) -> FoldFrames:
        tr, va = self.folds[k]
        return self._build_rows(tr, va, k)

    def full_frames(self) -> FoldFrames:
        """Every training row as one training part (no validation rows), the recipes and resampler
        fitted on all of them: what a full-data refit trains on (:mod:`compete.run.refit`). The test
        rows never had a target, so nothing here sees a row it is scored on; the run's CV stays the
        folds'. Not kept: a refit builds it once."""
        return self._build_rows(np.arange(len(self.y)), np.array([], dtype=int), "full")

    def _build_rows(self, tr: np.ndarray, va: np.ndarray, k: int | str) -> FoldFrames:
        """Recipes, finalizer and resampler fitted on rows ``tr`` (seeded by ``k``), applied to ``va`` and test."""
        X_tr, y_tr = self.X.iloc[tr], self.y[tr]
        X_va, X_te = self.X.iloc[va], self.X_test
        pipe = None
        if self.features:
            from compete.features import build_pipeline

            pipe = build_pipeline(self.features, task=self.task, seed=derive_seed(self.seed, "features", k),
                                  spec_dir=self.spec_dir)  # fmt: skip
            X_tr, y_tr = pipe.fit_transform_train(X_tr, y_tr, unlabeled=pd.concat([X_va, X_te]))
            X_va, X_te = pipe.transform(X_va), pipe.transform(X_te)
        fin = Finalize(keys=self.keys).fit(X_tr, unlabeled=X_te)
        X_tr, X_va, X_te = fin.transform(X_tr), fin.transform(X_va), fin.transform(X_te)
        weight = None
        if self.resample is not None:
            from compete.resample import make_resampler

            sampler = make_resampler(
                self.resample, task=self.task, seed=derive_seed(self.seed, "resample", k)
            )
            if sampler is not None:
                X_tr, y_tr, weight = sampler.apply(X_tr, y_tr)
        return FoldFrames(X_tr, np.asarray(y_tr), weight, X_va, X_te, FoldTransform(pipe, fin))


@dataclass
class ModelResult:
    """Out-of-fold and test predictions of one model, with its scores (in model space)."""

    label: str
    name: str
    oof: np.ndarray
    test: np.ndarray
    fold_scores: list[float]
    score: float
    devices: list[str]
    best_iterations: list[int | None]
    seconds: float
    params: dict[str, Any] = field(default_factory=dict)
    models: list[Any] = field(
        default_factory=list, repr=False
    )  # the fitted fold models, when the context keeps them
    fold_seconds: list[float] = field(default_factory=list)  # each fold's fit and predictions
    workers: list[str] = field(default_factory=list)  # the cluster worker of each fold (empty: fitted here)
    # the full-data refit's models, one per seed (compete.run.refit), when the context keeps models
    full_models: list[Any] = field(default_factory=list, repr=False)

    @property
    def std(self) -> float:
        return float(np.std(self.fold_scores))


def _empty(n: int, task: str, n_classes: int) -> np.ndarray:
    return np.full((n, n_classes) if task == "multiclass" else n, np.nan)


MIN_FOLD_SECONDS = 0.2
#: Fold frames of every fold are kept between fits up to this estimate (folds × typed train + test).
FOLD_CACHE_BYTES = 256 * 2**20


class OutOfTime(Exception):
    """A model could not finish its folds before the run's deadline (``--time-budget``)."""


@dataclass
class FoldFit:
    """One model fitted on one fold: its predictions for the fold's validation rows and for the test
    rows, and how the fit went. What :func:`fit_fold` returns, locally or as a cluster task."""

    fold: int
    oof: np.ndarray
    test: np.ndarray
    score: float
    device: str
    best_iteration: int | None
    seconds: float
    model: Any = None  # the fitted model, when the context keeps models
    gpu_error: str | None = None  # why the GPU could not be used, when ``--device auto`` fell back
    worker: str = ""  # the cluster worker that fitted it ("" when fitted here)
    transform: FoldTransform | None = None  # the fold's feature path, when fitted elsewhere


def fit_fold(ctx: FoldContext, model: ModelSpec, k: int, *, device: str = "cpu",
             params: dict[str, Any] | None = None, limit: float | None = None) -> FoldFit:  # fmt: skip
    """Fit ``model`` on fold ``k``'s training part (``params``: the model's, unless given; ``limit``:
    seconds the fit may take) and predict the fold's validation rows and the test rows. The fold's
    seed is derived from the run's seed, the model's label and ``k``, so the fit is the same wherever
    it runs."""
    from compete.models import make_model

    t0 = time.perf_counter()
    _, va = ctx.folds[k]
    f = ctx.frames(k)
    est = make_model(model.name, ctx.task, model.params if params is None else params, device,
                     derive_seed(ctx.seed, model.label, k), limit)  # fmt: skip
    est.fit(f.X_train, f.y_train, f.X_valid, ctx.y[va], sample_weight=f.weight)
    oof, test = est.predict_raw(f.X_valid), est.predict_raw(f.X_test)
    return FoldFit(k, oof, test, ctx.metric.score(ctx.y[va], oof), est.device_, est.best_iteration_,
                   time.perf_counter() - t0, est if ctx.keep_models else None,
                   getattr(est, "gpu_error_", None))  # fmt: skip


class FoldResults:
    """A model's fold fits gathered into its :class:`ModelResult`, added in fold order (a cluster run
    adds them so once all are back), so a run's predictions do not depend on where or when each fold
    was fitted."""

    def __init__(self, ctx: FoldContext, model: ModelSpec) -> None:
        n_classes = int(ctx.y.max()) + 1 if ctx.task == "multiclass" else 1
        self.ctx, self.model = ctx, model
        self.oof = _empty(len(ctx.y), ctx.task, n_classes)
        self.test = np.zeros_like(_empty(len(ctx.X_test), ctx.task, n_classes))
        self.fits: list[FoldFit] = []

    def add(self, fit: FoldFit) -> None:
        """Fit ``fit`` in: fold 0 first, then 1, ... (the sum of test predictions keeps that order)."""
        assert fit.fold == len(self.fits), "folds are added in order"
        self.oof[self.ctx.folds[fit.fold][1]] = fit.oof
        self.test += fit.test / len(self.ctx.folds)
        self.fits.append(fit)

    def result(self, seconds: float) -> ModelResult:
        fits = self.fits
        models = [f.model for f in fits] if self.ctx.keep_models else []
        return ModelResult(self.model.label, self.model.name, self.oof, self.test, [f.score for f in fits],
                           score_oof(self.ctx, self.oof), [f.device for f in fits], [f.best_iteration for f in fits],
                           seconds, dict(self.model.params), models, [round(f.seconds, 3) for f in fits],
                           [f.worker for f in fits] if any(f.worker for f in fits) else [])  # fmt: skip


def cross_fit(ctx: FoldContext, model: ModelSpec, *, device: str = "cpu", report: Reporter | None = None,
              fold_params: FoldParams | None = None, on_fold: OnFold | None = None,
              deadline: float | None = None, must_finish: bool = False) -> ModelResult:  # fmt: skip
    """Fit ``model`` on every fold of ``ctx``, one after another (:func:`fit_fold`); OOF +
    fold-averaged test predictions and scores.

    With a ``deadline`` (``time.monotonic()`` seconds), each fold's fit gets an equal share of the time
    left and stops boosting when it is spent; :class:`OutOfTime` is raised if a fold cannot start,
    unless ``must_finish``, which gives every fold at least a short slice (a few boosting rounds).

    ``fold_params(k)`` adds parameters to fold ``k``'s model only (``tune``'s in-fold pruning
    callbacks); ``on_fold(k, oof)`` is called after fold ``k`` with the OOF predictions so far (NaN on
    rows not validated yet) and may raise to stop, as ``tune``'s pruning does.
    """
    gathered, start = FoldResults(ctx, model), time.perf_counter()
    for k in range(len(ctx.folds)):
        params = {**model.params, **fold_params(k)} if fold_params else model.params
        limit = None if deadline is None else (deadline - time.monotonic()) / (len(ctx.folds) - k)
        if limit is not None and must_finish:
            limit = max(limit, MIN_FOLD_SECONDS)
        elif limit is not None and limit <= 0:
            raise OutOfTime(f"{model.label}: out of time before fold {k}")
        fit = fit_fold(ctx, model, k, device=device, params=params, limit=limit)
        gathered.add(fit)
        if report:
            report_fold(report, model.label, fit, len(ctx.folds), gathered.fits)
        if on_fold:
            on_fold(k, gathered.oof)
    return gathered.result(time.perf_counter() - start)


def report_fold(report: Reporter, label: str, fit: FoldFit, folds: int, done: list[FoldFit]) -> None:
    """:class:`FoldDone` for ``fit``, after a note when it is the first of the model's fits ``done``
    so far (``fit`` among them) to fall back from the GPU to the CPU."""
    if fit.gpu_error and fit.device == "cpu" and sum(f.device == "cpu" for f in done) == 1:
        report(Note(f"{label}: the GPU is unusable ({fit.gpu_error}); it trains on the CPU"))
    report(FoldDone(label, fit.fold, folds, fit.score, fit.seconds, fit.device))


def fits_of(results: list[ModelResult]) -> dict[str, Any]:
    """The fold fits of ``results`` as a time budget's record counts them: their total seconds, the
    longest one, and (when they ran on a cluster) each worker's seconds.

    >>> r = ModelResult("m", "m", None, None, [], 0.0, [], [], 5.5, {}, fold_seconds=[2.0, 3.5],
    ...                 workers=["tcp://a", "tcp://b"])
    >>> fits_of([r])
    {'fit_seconds': 5.5, 'longest': 3.5, 'workers': {'tcp://a': 2.0, 'tcp://b': 3.5}}
    """
    seconds = [s for r in results for s in r.fold_seconds]
    step: dict[str, Any] = {
        "fit_seconds": round(sum(seconds), 2),
        "longest": round(max(seconds, default=0.0), 2),
    }
    workers = [w for r in results for w in r.workers]
    if any(workers):
        by_worker: dict[str, float] = {}
        for w, s in zip(workers, seconds, strict=True):
            by_worker[w] = round(by_worker.get(w, 0.0) + s, 2)
        step["workers"] = by_worker
    return step


def seed_mean(preds: list[np.ndarray]) -> np.ndarray:
    """The mean of several fits' predictions, in the order given: how a full-data refit's seeds are
    averaged, by the run and by ``compete predict`` alike (the same bits)."""
    return np.asarray(np.mean(np.stack(preds), axis=0))


def score_oof(ctx: FoldContext, oof: np.ndarray) -> float:
    """The metric over every validated row (rows a time split never validates are left out)."""
    mask = ~np.isnan(oof).any(axis=1) if oof.ndim == 2 else ~np.isnan(oof)
    return ctx.metric.score(ctx.y[mask], oof[mask])
