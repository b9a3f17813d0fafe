"""Cross-fitted picks: the honest OOF predictions of "take the fit with the best CV".

Choosing one of many fits by their CV and then reading the chosen fit's CV overstates it: on a small
table the best of hundreds of tuning trials is also the luckiest on the run's folds (titanic: a
trial with CV 0.854 whose seed bags scored 0.835-0.845 on the same folds). The pick is scored
honestly when it is cross-fitted: each fold's rows get the predictions of the fit that scores best
on the *other* folds, so the choice never sees the rows it is scored on. Nothing is refitted; only
OOF predictions already made are read.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from compete.cv.foldloop import FoldContext
from compete.cv.noise import fold_scores

__all__ = ["picked_oof", "picked_oofs"]


def picked_oof(ctx: FoldContext, oofs: Sequence[np.ndarray], rank: int = 0) -> np.ndarray:
    """The OOF predictions of choosing the ``rank``-th best of ``oofs`` (0: the best), cross-fitted:
    fold *k*'s rows get the predictions of the fit ranked ``rank`` by its mean score on the other
    folds. Rows no fold validates (time splits) stay NaN. ``rank`` must be less than ``len(oofs)``.

    >>> from compete.scoring.metrics import get_metric
    >>> y = np.arange(6.0); folds = [(np.array([2, 3, 4, 5]), np.array([0, 1])), (np.array([0, 1, 4, 5]),
    ...     np.array([2, 3])), (np.array([0, 1, 2, 3]), np.array([4, 5]))]
    >>> ctx = FoldContext(None, y, None, folds, "regression", get_metric("rmse"), 0)
    >>> lucky, steady = np.array([0.0, 1, 9, 9, 9, 9]), y + 1
    >>> picked_oof(ctx, [lucky, steady]).tolist()  # fold 0's rows: steady, the best on folds 1 and 2
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    >>> picked_oof(ctx, [lucky, steady], rank=1).tolist()  # the runner-up on the other folds
    [0.0, 1.0, 9.0, 9.0, 9.0, 9.0]
    """
    return picked_oofs(ctx, oofs, [rank])[0]


def picked_oofs(ctx: FoldContext, oofs: Sequence[np.ndarray], ranks: Sequence[int]) -> list[np.ndarray]:
    """:func:`picked_oof` for each of ``ranks``, the fits scored on each fold once for all of them."""
    if any(not 0 <= rank < len(oofs) for rank in ranks):
        raise ValueError(f"ranks {list(ranks)} of {len(oofs)} fits")
    # each fit's score on each fold's validation rows, in "higher is better" units
    scores = ctx.metric.sign * np.array([fold_scores(ctx, oof) for oof in oofs])
    k_folds = len(ctx.folds)
    orders = []
    for k in range(k_folds):
        others = scores[:, [j for j in range(k_folds) if j != k]] if k_folds > 1 else scores
        orders.append(np.argsort(-others.mean(axis=1), kind="stable"))
    out = []
    for rank in ranks:
        picked = np.full(np.shape(oofs[0]), np.nan, dtype=float)
        for k, (_, va) in enumerate(ctx.folds):
            picked[va] = oofs[int(orders[k][rank])][va]
        out.append(picked)
    return out
