"""Is one fit's CV gain over another more than the fold-to-fold noise?

Two sets of OOF predictions on the same folds are compared fold by fold: the gain is the mean of the
per-fold score differences, the noise twice its standard error (:data:`Z` times their standard
deviation over the square root of the folds: about a one-sided 95% bound with 5 folds' 4 degrees of
freedom at 2.1, 90% at 1.5). A gain counts only when it exceeds the noise. On a small table, where one 5-fold CV
of hundreds of tuning trials crowns a lucky one, this is what keeps the choice from being a draw.
Nothing here is fitted: it reads OOF predictions and the target of rows already scored.

Repeated k-fold (:func:`pooled`) pools the fold differences of several fold splits of the same rows.
They are not independent (every split trains on mostly the same rows), so the noise uses Nadeau and
Bengio's corrected variance, ``(1/n + 1/(k-1))`` times the differences' variance for ``n`` differences
of ``k``-fold splits, instead of ``1/n``: more splits shrink the noise, but never below what one more
draw of the data would move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compete.cv.foldloop import FoldContext

__all__ = ["Gain", "fold_scores", "fold_diffs", "gain", "of_diffs", "pooled", "Z"]

Z = 2.0  # standard errors a gain must exceed (several blocks or fits are compared: one is too lenient)


@dataclass(frozen=True)
class Gain:
    """``a``'s CV gain over ``b`` in "higher is better" units, and the noise it must exceed."""

    gain: float
    noise: float

    @property
    def real(self) -> bool:
        """Whether the gain exceeds the fold-to-fold noise (and is a gain at all)."""
        return self.gain > 0 and self.gain > self.noise

    def as_dict(self) -> dict[str, float]:
        return {"gain": round(self.gain, 6), "noise": round(self.noise, 6)}


def fold_scores(ctx: FoldContext, oof: np.ndarray) -> np.ndarray:
    """The metric on each fold's validation rows."""
    return np.array([ctx.metric.score(ctx.y[va], oof[va]) for _, va in ctx.folds])


def gain(ctx: FoldContext, a: np.ndarray, b: np.ndarray) -> Gain:
    """OOF predictions ``a`` against ``b`` on the context's folds (see the module's docstring).

    Examples
    --------
    >>> from compete.scoring.metrics import get_metric
    >>> y = np.array([0, 1] * 50)
    >>> rows = np.arange(100)
    >>> folds = [(rows[rows % 5 != k], rows[rows % 5 == k]) for k in range(5)]
    >>> ctx = FoldContext(None, y, None, folds, "binary", get_metric("auc"), 0)
    >>> sharp, noisy = y * 0.8 + 0.1, np.random.default_rng(0).random(100)
    >>> gain(ctx, sharp, noisy).real, gain(ctx, noisy, sharp).real
    (True, False)
    """
    return of_diffs(fold_diffs(ctx, a, b))


def of_diffs(diff: np.ndarray) -> Gain:
    """The gain of per-fold score differences (one fold split), "higher is better": their mean, against
    :data:`Z` standard errors.

    >>> of_diffs(np.array([0.01, 0.02, 0.0, 0.01, 0.01])).real
    True
    """
    noise = Z * float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else 0.0
    return Gain(float(diff.mean()), noise)


def fold_diffs(ctx: FoldContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a``'s score minus ``b``'s on each fold of the context, in "higher is better" units."""
    return ctx.metric.sign * (fold_scores(ctx, a) - fold_scores(ctx, b))


def pooled(diffs: np.ndarray, folds: int) -> Gain:
    """The gain over the fold differences of several ``folds``-fold splits of the same rows (repeated
    k-fold), with Nadeau and Bengio's corrected noise (the module's docstring).

    >>> round(pooled(np.array([0.01, 0.02, 0.0, 0.01, 0.01] * 3), 5).noise, 4)
    0.0074
    """
    n = len(diffs)
    noise = (
        Z * float(diffs.std(ddof=1) * np.sqrt(1.0 / n + 1.0 / (folds - 1))) if n > 1 and folds > 1 else 0.0
    )
    return Gain(float(diffs.mean()), noise)
