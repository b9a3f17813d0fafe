"""Full-data refit: the fits the final prediction is made of, fitted again on every training row.

A cross-fit's test predictions are the average of its fold models, each of which saw (K-1)/K of the
rows. The last step of a winning Kaggle solution refits the chosen models on all rows, with the rounds
the folds found (scaled by the rows' ratio, at most ×1.5: :meth:`compete.models.base.Model.full_data_params`) and
several seeds, and submits those. Here the same happens after the final choice:

- the fits the final prediction is made of (the ensemble's members with a weight, heaviest first, or
  the single fit) are grouped by model and parameters, so a configuration and its seed bags are refitted
  once, with ``seeds`` seeds, and each of them takes the seeds' mean as its test predictions;
- the ensemble's weights (or meta-model) and threshold stay as the folds' OOF predictions chose them, and
  are applied to the refitted test predictions;
- the OOF predictions, and so every CV score, stay the folds': a model fitted on every row cannot be
  scored on them. What the refit gains shows only on the test rows (the notes in ``bench/RESULTS.md``).

Everything that uses the target (recipes, resampling) is fitted on the training rows only, as in a fold
(:meth:`compete.cv.foldloop.FoldContext.full_frames`): here they are all the rows, and the test rows
have no target. Under a time budget a seed is fitted only when the time left covers it; a group none
of whose seeds fit keeps its fold models' predictions.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np

from compete.cv.foldloop import FoldContext, FoldFrames, ModelResult, seed_mean
from compete.progress import Note, Reporter
from compete.run.result import Final
from compete.seeding import derive_seed

__all__ = ["refit_full", "refit_groups", "REFIT_SEEDS", "REFIT_SHARE", "REFIT_COST"]

REFIT_SEEDS = 3  # seeds per refitted configuration
REFIT_SHARE = 0.2  # of the time left after the first pass, held back for the refit under a budget
MAX_SCALE = 1.5  # rounds grow with the rows at most this much (a time split's first folds are small)
REFIT_COST = 1.6  # a refit's seconds per fold fit's: K/(K-1) more rows, as many more rounds, no early stop


def refit_groups(
    final: Final, results: list[ModelResult], greater_is_better: bool
) -> list[list[ModelResult]]:
    """The fits the final prediction is made of, grouped by model and parameters (a fit and its seed
    bags are one configuration), heaviest group first: the ensemble's members with a weight, every
    member best first when the ensemble has no weights (a meta-model), or the single fit chosen.
    A distributed fit (trained on a cluster's parquet parts) is left out.

    >>> r = lambda label, score: ModelResult(label, "lightgbm", None, None, [], score, [], [], 1.0, {"a": 1})
    >>> final = Final("ensemble:hill_climb", None, None, 0.9, ensemble="a fitted blender")
    >>> final.info["ensemble"] = {"weights": {"x": 0.2, "x~seed1": 0.5, "y": 0.0}}
    >>> [[m.label for m in g] for g in refit_groups(final, [r("x", 0.8), r("x~seed1", 0.81), r("y", 0.7)], True)]
    [['x~seed1', 'x']]
    """
    sign = 1.0 if greater_is_better else -1.0
    ens = final.info.get("ensemble")
    weights = ens["weights"] if ens is not None else None
    if final.ensemble is None:
        chosen = [r for r in results if r.label == final.label]
    elif weights:
        chosen = sorted(
            (r for r in results if weights.get(r.label, 0.0) > 0), key=lambda r: -weights[r.label]
        )
    else:
        chosen = sorted(results, key=lambda r: -sign * r.score)
    groups: dict[str, list[ModelResult]] = {}
    for r in chosen:
        if "dask" not in r.workers:
            groups.setdefault(f"{r.name}|{json.dumps(r.params, sort_keys=True, default=str)}", []).append(r)
    return list(groups.values())


def refit_full(ctx: FoldContext, results: list[ModelResult], final: Final, *, seeds: int, device: str,
               greater_is_better: bool, left: Any = None, report: Reporter | None = None) -> dict[str, Any] | None:  # fmt: skip
    """Refit the final prediction's fits on every training row (:func:`refit_groups`) and make the
    final test predictions again from theirs; ``left()`` (under a budget) gives the seconds left, and a
    seed is fitted only when they cover it. Returns what was refitted, for the run record (``None``
    when nothing was)."""
    from compete.models import MODELS, make_model

    groups = refit_groups(final, results, greater_is_better)
    if not groups:
        return None
    t0 = time.perf_counter()
    frames: FoldFrames | None = None  # built at the first fit the time left covers, not before
    scale = min(len(ctx.y) / float(np.mean([len(tr) for tr, _ in ctx.folds])), MAX_SCALE)
    done: list[dict[str, Any]] = []
    fit_seconds: list[float] = []
    failed = 0
    for group in groups:
        first = group[0]
        cls = MODELS.get(first.name, where="models")
        params = cls.full_data_params(first.params, [b for r in group for b in r.best_iterations], scale)
        cost = REFIT_COST * float(np.mean([s for r in group for s in r.fold_seconds] or [first.seconds]))
        preds, models = [], []
        for s in range(seeds):
            if left is not None and left() < cost:
                break
            t1 = time.perf_counter()
            est = make_model(
                first.name, ctx.task, params, device, derive_seed(ctx.seed, first.label, "full", s)
            )
            frames = frames or ctx.full_frames()
            try:
                est.fit(frames.X_train, frames.y_train, sample_weight=frames.weight)
            except cls.fit_errors() as exc:  # the fold models' predictions stand; the run goes on
                if report:
                    report(Note(f"refit of {first.label} on all rows failed ({type(exc).__name__}: {exc}); "
                                "its fold models' predictions are kept"))  # fmt: skip
                failed += 1
                break
            preds.append(est.predict_raw(frames.X_test))
            models.append(est)
            fit_seconds.append(time.perf_counter() - t1)
        if not preds:
            continue
        test = seed_mean(preds)
        for r in group:
            r.test = test
            r.full_models = models if ctx.keep_models else []
        rounds = params.get(cls.rounds_param) if cls.rounds_param else None
        done.append({"labels": [r.label for r in group], "seeds": len(preds), "rounds": rounds})
        if report:
            what = f", {rounds} rounds" if rounds else ""
            report(Note(f"refit on all {len(ctx.y):,} rows: {', '.join(r.label for r in group)} "
                        f"({len(preds)} seed{'s' if len(preds) > 1 else ''}{what})"))  # fmt: skip
    if not done:
        if report and not failed:
            report(Note("refit on all rows: skipped, the time left covers no fit of the final choice"))
        return None
    final.test = _final_test(ctx, results, final)
    assert frames is not None  # a group was refitted
    ctx.full_transform = frames.transform  # what compete predict replays before the refitted models
    return {"refitted": done, "rows": len(ctx.y), "scale": round(scale, 4), "seconds": round(time.perf_counter() - t0, 2),
            "fit_seconds": round(sum(fit_seconds), 2), "longest": round(max(fit_seconds), 2)}  # fmt: skip


def _final_test(ctx: FoldContext, results: list[ModelResult], final: Final) -> np.ndarray:
    """The final test predictions made again from the fits' (some now refitted): the ensemble's fitted
    weights or meta-model applied to them, or the single fit's."""
    if final.ensemble is None:
        return next(r.test for r in results if r.label == final.label)
    X_meta = final.meta_finalize.transform(ctx.X_test) if final.meta_finalize is not None else None
    return np.asarray(final.ensemble.predict({r.label: r.test for r in results}, X_meta))
