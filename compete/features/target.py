"""Out-of-fold target means (target encoding) of categories and category combinations.

Uses the target: fit it inside CV folds on the training part only. ``fit_transform`` cross-fits
(an inner K-fold gives each row a value computed without its own target, as scikit-learn's
``TargetEncoder.fit_transform`` does); ``transform`` uses means over the whole training part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import ModelError
from compete.features._keys import KeyCoder
from compete.features.base import Recipe, check_choice, join_new, pick_columns
from compete.features.registry import FEATURES

__all__ = ["TargetMeans"]

TASKS = ("auto", "binary", "multiclass", "regression")


def _encodings(g: np.ndarray, Y: np.ndarray, n: int, smooth: Any) -> np.ndarray:
    """Smoothed per-group means of each column of ``Y`` (rows: groups, plus a last row: the prior)."""
    count = np.bincount(g, minlength=n).astype(np.float64)[:, None]
    prior = Y.mean(axis=0)
    sums = np.stack([np.bincount(g, weights=Y[:, k], minlength=n) for k in range(Y.shape[1])], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if smooth == "auto":
            means = sums / count
            sq = np.stack([np.bincount(g, weights=Y[:, k] ** 2, minlength=n) for k in range(Y.shape[1])], 1)
            within = np.maximum(sq / count - means**2, 0.0)
            total = Y.var(axis=0)
            lam = total * count / (total * count + within)
            enc = lam * means + (1 - lam) * prior
        else:
            enc = (sums + float(smooth) * prior) / (count + float(smooth))
    enc = np.where(count > 0, enc, prior)
    enc = np.where(np.isnan(enc), prior, enc)
    return np.vstack([enc, prior[None, :]])


@FEATURES.register("target_mean")
class TargetMeans(Recipe):
    """Out-of-fold target means of categories and combinations, smoothed toward the prior.

    Uses the target: fit inside CV folds on the training part only. :meth:`fit_transform` gives
    each training row a value from an inner K-fold that excludes the row (as scikit-learn's
    ``TargetEncoder``); :meth:`transform` uses the means of the whole training part.

    Parameters
    ----------
    columns : list of (str or list of str), optional
        Categories to encode; a list of names is a combination (``["shop", "item"]``).
        Default every ``category`` column.
    smooth : "auto" or float
        ``"auto"``: empirical-Bayes shrinkage as scikit-learn's; a number ``m``:
        ``(sum + m * prior) / (count + m)``.
    cv : int
        Inner folds used by :meth:`fit_transform` (a shuffled K-fold: unlike scikit-learn's
        stratified split, the assignment ignores ``y``, so a row's value cannot depend on its own target).
    task : {"auto", "binary", "multiclass", "regression"}
        Multiclass gives one column per class (``<name>__te<k>``), else one column ``<name>__te``.
    random_state : int
        Seed of the inner fold shuffle.
    among : str, optional
        A pandas query (``"Sex == 'female' or Age < 14"``): only the training rows it selects count
        toward the means, every row gets a value. On titanic, what a family's women and children
        went through says more about its other women and children than the family's mean does.

    Examples
    --------
    >>> X = pd.DataFrame({"c": pd.Categorical(list("aabbab"))})
    >>> TargetMeans(smooth=0.0).fit(X, [1, 0, 1, 1, 0, 1]).transform(X)["c__te"].astype(float).round(2).tolist()
    [0.33, 0.33, 1.0, 1.0, 0.33, 1.0]
    """

    recipe_name = "target_mean"

    def __init__(self, columns: Sequence[Any] | None = None, smooth: Any = "auto", cv: int = 5,
                 task: str = "auto", random_state: int = 0, among: str | None = None) -> None:  # fmt: skip
        self.columns = columns
        self.smooth = smooth
        self.cv = cv
        self.task = task
        self.random_state = random_state
        self.among = among

    def _setup(self, X: pd.DataFrame, y: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        if y is None:
            raise ModelError("recipe 'target_mean' needs the target y; it cannot be fitted without one")
        check_choice(self.recipe_name, "task", self.task, TASKS)
        if self.smooth != "auto" and not (isinstance(self.smooth, int | float) and self.smooth >= 0):
            raise ModelError(
                f"recipe 'target_mean': parameter 'smooth' got {self.smooth!r}; use \"auto\" or a number >= 0"
            )
        y = np.asarray(y, dtype=np.float64).ravel()
        task = self.task
        if task == "auto":
            task = "binary" if set(np.unique(y)) <= {0.0, 1.0} else "regression"
        self.task_ = task
        self.classes_ = np.unique(y) if task == "multiclass" else None
        Y = y[:, None] if self.classes_ is None else (y[:, None] == self.classes_[None, :]).astype(np.float64)
        groups = (
            self.columns
            if self.columns is not None
            else pick_columns(X, None, "categorical", self.recipe_name)
        )
        self.groups_ = [[c] if isinstance(c, str) else list(c) for c in groups]
        for cols in self.groups_:
            pick_columns(X, cols, "any", self.recipe_name)
        self.coders_ = [KeyCoder(cols).fit([X]) for cols in self.groups_]
        return Y, [coder.codes(X) for coder in self.coders_]

    def _among(self, X: pd.DataFrame) -> np.ndarray:
        """Which rows count toward the means: all, or those ``among`` selects."""
        if self.among is None:
            return np.ones(len(X), dtype=bool)
        try:
            mask = X.eval(self.among)
        except Exception as exc:
            raise ModelError(
                f"recipe 'target_mean': parameter 'among' {self.among!r} is not a query over the columns "
                f"({type(exc).__name__}: {exc}); write a pandas query such as \"Sex == 'female'\""
            ) from None
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (len(X),):
            raise ModelError(
                f"recipe 'target_mean': parameter 'among' {self.among!r} does not give one True/False per row; "
                'write a condition such as "Age < 14"'
            )
        if not mask.any():
            raise ModelError(
                f"recipe 'target_mean': parameter 'among' {self.among!r} selects no training row"
            )
        return mask

    def fit(self, X: pd.DataFrame, y: Any = None) -> TargetMeans:
        self._fit(X, y)
        return self

    def _fit(self, X: pd.DataFrame, y: Any) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        """Fit on all of ``X``; returns the target matrix, each group's codes and the ``among`` rows."""
        Y, codes = self._setup(X, y)
        keep = self._among(X)
        self.encodings_ = [
            _encodings(g[keep], Y[keep], c.n_groups, self.smooth) for g, c in zip(codes, self.coders_)
        ]
        self._remember_names(X)
        return Y, codes, keep

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> pd.DataFrame:
        """Fit on all of ``X``; return values cross-fitted so no row sees its own target."""
        Y, codes, keep = self._fit(X, y)
        folds = self._inner_folds(Y)
        new = {}
        for cols, g, coder in zip(self.groups_, codes, self.coders_):
            values = np.empty((len(X), Y.shape[1]), dtype=np.float32)
            for fit_idx, out_idx in folds:
                fit_idx = fit_idx[keep[fit_idx]]
                if not len(fit_idx):  # no selected row outside these: nothing to tell them
                    values[out_idx] = np.nan
                    continue
                enc = _encodings(g[fit_idx], Y[fit_idx], coder.n_groups, self.smooth)
                values[out_idx] = enc[g[out_idx]]
            new.update(self._columns(cols, values))
        return join_new(X, new)

    def _inner_folds(self, Y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Shuffled K-fold; the split never looks at ``y``, so no row's value depends on its own target."""
        from sklearn.model_selection import KFold

        n_splits = max(2, min(self.cv, len(Y)))
        return list(KFold(n_splits, shuffle=True, random_state=self.random_state).split(Y))

    def _columns(self, cols: list[str], values: np.ndarray) -> dict[str, np.ndarray]:
        name = "+".join(map(str, cols))
        if values.shape[1] == 1:
            return {f"{name}__te": values[:, 0]}
        return {f"{name}__te{k}": values[:, k] for k in range(values.shape[1])}

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        new = {}
        for cols, coder, enc in zip(self.groups_, self.coders_, self.encodings_):
            self._check_columns(X, cols)
            g = coder.codes(X)
            g = np.where(g < 0, len(enc) - 1, g)
            new.update(self._columns(cols, enc[g].astype(np.float32)))
        return join_new(X, new)
