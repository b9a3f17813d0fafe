"""The run's final choice: the ensemble, or the best single fit when it is better beyond the noise, and for
label metrics a decision threshold kept only when its cross-fitted CV beats the default cut's.

Everything here works on OOF predictions: the ensemble's weights or meta-model are cross-fitted over
the run's own folds (:func:`compete.ensemble.combine`), the threshold is chosen on other folds' rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from compete.cv.foldloop import FoldContext, ModelResult
from compete.data.prepared import Prepared
from compete.progress import Reporter
from compete.run.recheck import SMALL_ROWS, as_gain, recheck_edge
from compete.run.result import EnsembleInfo, Final, ThresholdInfo
from compete.spec import StepSpec

__all__ = ["choose_final", "blend_params", "DEFAULT_ENSEMBLE", "SMALL_BAGS"]

DEFAULT_ENSEMBLE = "hill_climb"
SMALL_BAGS = 20  # bootstrap bags of hill climbing's selection on a small table (blend_params)


def choose_final(prep: Prepared, results: list[ModelResult], step: StepSpec | None = None,
                 always_ensemble: bool = False, *, device: str = "cpu", left: Callable[[], float] | None = None,
                 report: Reporter | None = None) -> Final:  # fmt: skip
    """The predictions the submission is made of: the ensemble unless the best single fit beats it by
    more than the fold-to-fold noise (:func:`compete.cv.noise.gain`), or when asked for; label metrics
    get a threshold chosen on OOF predictions.

    The ensemble's CV is honest (its weights are cross-fitted over the folds); the best single fit's is
    the best of many (on a small table, the luckiest of hundreds of tuning trials). So the choice of a
    single fit is cross-fitted too (:func:`compete.cv.pick.picked_oof`: each fold gets the predictions
    of the fit that scores best on the other folds), and a single fit is submitted only when that
    honest pick beats the ensemble by more than the fold-to-fold noise. On a small table that edge must
    also hold on other fold splits of the same rows (:mod:`compete.run.recheck`: repeated k-fold,
    fitted on ``device`` when the time ``left()`` covers it)."""
    metric = prep.ctx.metric
    best = results[0]
    for r in results[1:]:
        if metric.better(r.score, best.score):
            best = r
    final = Final(best.label, best.oof, best.test, best.score)
    step = step or prep.spec.ensemble or StepSpec(DEFAULT_ENSEMBLE)
    if len(results) >= 2 and step.name != "none":
        from compete.cv.noise import gain
        from compete.cv.pick import picked_oof

        params = blend_params(step, len(prep.ctx.y))
        ens, weights = _ensemble(prep, results, StepSpec(step.name, params))
        # the best single fit's edge over the ensemble, both scored honestly (the pick cross-fitted)
        edge = gain(prep.ctx, picked_oof(prep.ctx, [r.oof for r in results]), ens.oof)
        chosen = always_ensemble or metric.better(ens.score, best.score) or not edge.real
        info = EnsembleInfo(method=step.name, score=ens.score, weights=weights, chosen=chosen,
                            single_edge=edge.as_dict())  # fmt: skip
        if "bags" in params:
            info["bags"] = params["bags"]
        if not chosen:
            again = recheck_edge(prep, results, best, ens.oof, step.name, weights, device=device, left=left,
                                 report=report)  # fmt: skip
            if again is not None:
                info["repeated"] = again
                info["chosen"] = chosen = not as_gain(again).real
        final.info["ensemble"] = info
        if chosen:
            ens.info = final.info
            final = ens
    return _with_threshold(prep, final)


def _ensemble(prep: Prepared, results: list[ModelResult], step: StepSpec) -> tuple[Final, Any]:
    """Combine the models' OOF predictions; label metrics blend on log loss, then pick a threshold."""
    from compete.cv.foldloop import score_oof
    from compete.ensemble import combine
    from compete.seeding import derive_seed

    ctx = prep.ctx
    blend_metric = ctx.metric.selection()
    fin = _meta_finalize(ctx) if step.params.get("features") else None
    X, X_test = (fin.transform(ctx.X), fin.transform(ctx.X_test)) if fin is not None else (None, None)
    res = combine(step.name, {r.label: r.oof for r in results}, {r.label: r.test for r in results}, ctx.y,
                  task=ctx.task, metric=blend_metric, folds=ctx.folds, seed=derive_seed(ctx.seed, "ensemble"),
                  params=step.params, X=X, X_test=X_test)  # fmt: skip
    final = Final(f"ensemble:{step.name}", res.oof, res.test, score_oof(ctx, res.oof), ensemble=res.model,
                  meta_finalize=fin)  # fmt: skip
    return final, res.weights


def blend_params(step: StepSpec, rows: int) -> dict[str, Any]:
    """The ensemble step's parameters, with hill climbing bagged (:data:`SMALL_BAGS` bootstrap samples
    of the rows) on a table of at most :data:`~compete.run.recheck.SMALL_ROWS` rows unless the spec sets
    ``bags``. One greedy pass over a few hundred rows settles on the handful of fits that suit those
    rows' noise. Replayed on the stored libraries of 11 titanic runs (init and shipped, 120 s and
    300 s; ``bench/replay_blend.py``): cross-fitted CV 0.8446 -> 0.8463, answers 0.7823 -> 0.7882 on
    average (higher in 9 runs, lower in 1); house-prices about equal; personal-loan CV higher in all 10
    runs, its answers lower by 0.00004-0.00017 (``bench/RESULTS.md``).

    >>> blend_params(StepSpec("hill_climb"), 891), blend_params(StepSpec("hill_climb", {"bags": 1}), 891)
    ({'bags': 20}, {'bags': 1})
    >>> blend_params(StepSpec("hill_climb"), 50_000), blend_params(StepSpec("mean"), 891)
    ({}, {})
    """
    params = dict(step.params)
    if step.name == "hill_climb" and rows <= SMALL_ROWS and "bags" not in params:
        params["bags"] = SMALL_BAGS
    return params


def _meta_finalize(ctx: FoldContext) -> Any:
    """The finalizer of the original features for ``[ensemble] features = true`` (stacking's
    passthrough): :class:`~compete.features.finalize.Finalize` fitted on the training rows and applied
    to them and to the test rows (unsupervised: no target is seen)."""
    from compete.features.finalize import Finalize

    return Finalize(keys=ctx.keys).fit(ctx.X, unlabeled=ctx.X_test)


def _with_threshold(prep: Prepared, final: Final) -> Final:
    """For label metrics: a threshold chosen on all OOF rows, kept only when its cross-fitted CV (each
    fold's rows labelled with a threshold chosen on the other folds) gains on the default cut's (0.5 or
    argmax, nothing fitted) beyond the fold-to-fold noise (:func:`compete.cv.noise.of_diffs`). On small
    data a tuned cut, above all a multiclass one, can fit the OOF noise (titanic: a cut at 0.44 that was
    3 rows in 891 better cross-fitted cost 4 rows in 418 on the answers); then the default rule labels
    the submission and the default score is the CV."""
    from compete.cv.noise import of_diffs
    from compete.scoring.metrics import to_labels
    from compete.scoring.thresholds import choose_threshold, cross_fitted_labels

    ctx, oof, fold = prep.ctx, final.oof, prep.ctx.fold_of_row()
    metric = prep.codec.metric
    threshold = choose_threshold(ctx.y[fold >= 0], oof[fold >= 0], metric)
    if threshold is not None:
        labels, default = cross_fitted_labels(ctx.y, oof, fold, metric), to_labels(oof)
        seen = fold >= 0
        tuned = float(metric.fn(ctx.y[seen], labels[seen]))
        diffs = []
        for k in np.unique(fold[seen]):
            rows = fold == k
            diffs.append(
                metric.sign * (metric.fn(ctx.y[rows], labels[rows]) - metric.fn(ctx.y[rows], default[rows]))
            )
        g = of_diffs(np.asarray(diffs, dtype=float))
        used = g.real
        final.threshold = threshold if used else None
        final.score = tuned if used else threshold.default_score
        final.info["threshold"] = ThresholdInfo(threshold=threshold.to_dict()["threshold"], score=threshold.score,
                                                default_score=threshold.default_score, cv_score=tuned, used=used,
                                                gain=round(g.gain, 6), noise=round(g.noise, 6))  # fmt: skip
        if threshold.ordinal:
            final.info["threshold"]["ordinal"] = True
    return final
