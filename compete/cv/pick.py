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

__all__ = ["picked_oof"]


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
    if not 0 <= rank < len(oofs):
        raise ValueError(f"rank {rank} of {len(oofs)} fits")
    sign = ctx.metric.sign
    # each fit's score on each fold's validation rows, in "higher is better" units
    scores = np.array([[sign * ctx.metric.score(ctx.y[va], oof[va]) for _, va in ctx.folds] for oof in oofs])
    out = np.full(np.shape(oofs[0]), np.nan, dtype=float)
    k_folds = len(ctx.folds)
    for k, (_, va) in enumerate(ctx.folds):
        others = scores[:, [j for j in range(k_folds) if j != k]] if k_folds > 1 else scores
        order = np.argsort(-others.mean(axis=1), kind="stable")
        out[va] = oofs[int(order[rank])][va]
    return out
