"""Repeated k-fold for the final choice on a small table: is the best single fit's edge over the
ensemble still there on other fold splits?

On a few hundred rows one 5-fold CV is a draw: the best of many tuning trials is also the luckiest on
those five splits (titanic: a trial with CV 0.852 scored 0.834-0.841 on four other seeds). When the
best single fit would be submitted instead of the ensemble, the two are fitted again on ``repeats``
more fold splits of the same rows (the spec's scheme with other seeds; never a time split, whose folds
are fixed):

- the single fit is the best-CV fit, with its parameters;
- the ensemble is its members with a weight, each with its own parameters, averaged with the weights the
  run's folds chose (weighted-mean methods only: a meta-model would need every library member refitted);
- everything that uses the target (recipes, resampling, early stopping) is fitted inside each new fold,
  on its training rows only, as in the run's own folds.

The single fit is submitted only when the pooled fold differences of every split, the run's own and
the new ones, still show a gain beyond the noise (:func:`compete.cv.noise.pooled`, corrected for the
splits sharing rows). Nothing of the new splits enters the submission: they only decide.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from compete.cv.foldloop import FoldContext, ModelResult, cross_fit
from compete.cv.noise import Gain, fold_diffs, pooled
from compete.data.prepared import Prepared
from compete.progress import Note, Reporter
from compete.seeding import derive_seed
from compete.spec import ModelSpec

__all__ = ["recheck_edge", "as_gain", "SMALL_ROWS", "REPEATS", "WEIGHTED_METHODS"]

SMALL_ROWS = 10_000  # at most this many training rows: a single fit's edge is checked on other splits
REPEATS = 2  # fold splits besides the run's own
WEIGHTED_METHODS = ("hill_climb", "mean")  # ensembles that are a weighted mean of their members
COST = 1.5  # the recheck's expected seconds per second its fits took in the run's folds


def recheck_edge(prep: Prepared, results: list[ModelResult], single: ModelResult, ensemble_oof: np.ndarray,
                 method: str, weights: dict[str, float] | None, *, device: str = "cpu",
                 left: Callable[[], float] | None = None, report: Reporter | None = None) -> dict[str, Any] | None:  # fmt: skip
    """The single fit's edge over the ensemble on the run's folds and ``REPEATS`` more splits (the
    module's docstring); ``None`` when it does not apply (a large table, a time split, an ensemble that
    is not a weighted mean) or when the time ``left()`` does not cover it. ``single`` must be one of
    ``results``; ``ensemble_oof`` is the ensemble's OOF predictions on the run's folds."""
    ctx = prep.ctx
    if (
        len(ctx.y) > SMALL_ROWS
        or prep.spec.cv.scheme == "time"
        or method not in WEIGHTED_METHODS
        or not weights
    ):
        return None
    members = [r for r in results if weights.get(r.label, 0.0) > 0]
    fits = {r.label: r for r in [single, *members]}
    cost = COST * REPEATS * sum(r.seconds for r in fits.values())
    if left is not None and left() < cost:
        if report:
            report(
                Note(f"repeated k-fold check skipped: it needs about {cost:.0f} s, {left():.0f} s are left")
            )
        return None
    t0 = time.perf_counter()
    diffs, longest = [fold_diffs(ctx, single.oof, ensemble_oof)], 0.0
    for r in range(1, REPEATS + 1):
        other = _split(prep, r)
        refitted = {label: cross_fit(other, ModelSpec(m.name, m.params, label), device=device)
                    for label, m in fits.items()}  # fmt: skip
        longest = max([longest, *(s for f in refitted.values() for s in f.fold_seconds)])
        mixed = _weighted({label: f.oof for label, f in refitted.items()}, weights)
        diffs.append(fold_diffs(other, refitted[single.label].oof, mixed))
    edge = pooled(np.concatenate(diffs), len(ctx.folds))
    info = {**edge.as_dict(), "single": single.label, "splits": REPEATS + 1,
            "fits": len(fits) * REPEATS * len(ctx.folds), "seconds": round(time.perf_counter() - t0, 2),
            "longest": round(longest, 3)}  # fmt: skip
    if report:
        report(Note(f"repeated k-fold ({REPEATS + 1} splits): {single.label}'s edge over the ensemble "
                    f"{edge.gain:+.5f} against noise {edge.noise:.5f}"))  # fmt: skip
    return info


def as_gain(info: dict[str, Any]) -> Gain:
    """The :class:`~compete.cv.noise.Gain` a recheck's record holds."""
    return Gain(info["gain"], info["noise"])


def _split(prep: Prepared, r: int) -> FoldContext:
    """The run's context on another split of the same rows: the spec's scheme, a seed derived from its own."""
    from compete.cv.splits import make_folds

    cv = replace(prep.spec.cv, seed=derive_seed(prep.spec.cv.seed, "repeat", r))
    return prep.ctx.fresh(folds=make_folds(cv, prep.ctx.y, prep.data.train, prep.ctx.task), keep_models=False)


def _weighted(oof: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The members' OOF predictions averaged with the ensemble's weights (renormalised over them)."""
    from compete.ensemble._blend import renormalize, weighted_mean

    labels = [k for k in oof if weights.get(k, 0.0) > 0]
    w = np.array([weights[k] for k in labels], dtype=float)
    return np.asarray(renormalize(weighted_mean([oof[k] for k in labels], w / w.sum())))
