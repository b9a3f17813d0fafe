"""Group aggregations: statistics of numeric columns within groups of one key or a key combination."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import ModelError
from compete.features._keys import KeyCoder
from compete.features.base import Recipe, check_choice, join_new, per_column, pick_columns
from compete.features.registry import FEATURES

__all__ = ["GroupAggregates"]

AGGS = ("mean", "std", "min", "max", "median", "count", "nunique")


def _bincount_stats(g: np.ndarray, x: np.ndarray, n: int, aggs: Sequence[str]) -> dict[str, np.ndarray]:
    """Per-group statistics of ``x`` over group ids ``g`` (all >= 0), NaN ignored as pandas does."""
    ok = ~np.isnan(x)
    complete = bool(ok.all())
    xz = x if complete else np.where(ok, x, 0.0)
    count = np.bincount(g, minlength=n).astype(np.float64) if complete else np.bincount(g, ok, minlength=n)
    out: dict[str, np.ndarray] = {"count": count}
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=xz, minlength=n) / count
        out["mean"] = mean
        if "std" in aggs:
            dev = xz - mean[g]
            if not complete:
                dev[~ok] = 0.0
            var = np.bincount(g, weights=dev * dev, minlength=n) / (count - 1)
            out["std"] = np.sqrt(np.where(count > 1, var, np.nan))
    for name, ufunc in (("min", np.fmin), ("max", np.fmax)):
        if name in aggs:
            acc = np.full(n, np.nan)
            ufunc.at(acc, g, x)
            out[name] = acc
    for name in ("median", "nunique"):
        if name in aggs:
            grouped = pd.Series(x).groupby(g)
            fill = 0.0 if name == "nunique" else np.nan
            out[name] = getattr(grouped, name)().reindex(range(n), fill_value=fill).to_numpy(np.float64)
    return out


@FEATURES.register("group_agg")
class GroupAggregates(Recipe):
    """Statistics of numeric columns within groups of ``keys``, broadcast back to every row.

    Never uses the target. Unseen key combinations get NaN; a missing key is a group of its own.

    Parameters
    ----------
    keys : str or list of str
        The key column, or several columns whose combination forms the group.
    columns : list of str, optional
        Numeric columns to aggregate; default every numeric column that is not a key.
    aggs : list of str
        Any of ``mean, std, min, max, median, count, nunique``.
    diff, ratio : bool
        Also add ``x - group mean`` and ``x / group mean``.
    use_test : bool
        Compute the statistics over the training part plus the ``unlabeled`` rows given to
        :meth:`fit` (the fold's validation part and the test set), as competitors often do.

    Examples
    --------
    >>> X = pd.DataFrame({"k": ["a", "a", "b"], "x": [1.0, 3.0, 5.0]})
    >>> GroupAggregates(keys="k", aggs=["mean"], diff=True).fit_transform(X)["x__diff_mean_by_k"].tolist()
    [-1.0, 1.0, 0.0]
    """

    recipe_name = "group_agg"

    def __init__(self, keys: Any = None, columns: Sequence[str] | None = None,
                 aggs: Sequence[str] = ("mean",), diff: bool = False, ratio: bool = False,
                 use_test: bool = False) -> None:  # fmt: skip
        self.keys = keys
        self.columns = columns
        self.aggs = aggs
        self.diff = diff
        self.ratio = ratio
        self.use_test = use_test

    def _setup(self, X: pd.DataFrame) -> None:
        if not self.keys:
            raise ModelError("recipe 'group_agg': parameter 'keys' is required, e.g. keys = [\"store\"]")
        self.keys_ = [self.keys] if isinstance(self.keys, str) else list(self.keys)
        pick_columns(X, self.keys_, "any", self.recipe_name)
        self.columns_ = pick_columns(X, self.columns, "numeric", self.recipe_name, exclude=self.keys_)
        for agg in self.aggs:
            check_choice(self.recipe_name, "aggs", agg, AGGS)
        self.tag_ = "+".join(map(str, self.keys_))

    def fit(self, X: pd.DataFrame, y: Any = None, unlabeled: pd.DataFrame | None = None) -> GroupAggregates:
        self._fit_codes(X, unlabeled)
        self._remember_names(X)
        return self

    def _fit_codes(self, X: pd.DataFrame, unlabeled: pd.DataFrame | None) -> np.ndarray:
        self._setup(X)
        frames = [X] if unlabeled is None or not self.use_test else [X, unlabeled]
        self.coder_ = KeyCoder(self.keys_).fit(frames)
        codes = [self.coder_.codes(f) for f in frames]
        g = np.concatenate(codes) if len(codes) > 1 else codes[0]
        wanted = set(self.aggs) | ({"mean"} if self.diff or self.ratio else set())

        def stats_of(col: str) -> dict[str, np.ndarray]:
            x = np.concatenate([f[col].to_numpy(np.float64, na_value=np.nan) for f in frames])
            stats = _bincount_stats(g, x, self.coder_.n_groups, sorted(wanted))
            return {k: np.append(v, 0.0 if k in ("count", "nunique") else np.nan).astype(np.float32)
                    for k, v in stats.items() if k in wanted}  # fmt: skip

        self.stats_ = dict(zip(self.columns_, per_column(stats_of, self.columns_, len(g))))
        return codes[0]

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> pd.DataFrame:
        codes = self._fit_codes(X, fit_params.get("unlabeled"))
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        out = self._apply(X, codes)
        self.feature_names_out_ = list(out.columns)
        return out

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_columns(X, self.keys_ + self.columns_)
        return self._apply(X, self.coder_.codes(X))

    def _apply(self, X: pd.DataFrame, g: np.ndarray) -> pd.DataFrame:
        new: dict[str, np.ndarray] = {}
        for part in per_column(lambda col: self._column(X, col, g), self.columns_, len(g)):
            new.update(part)
        return join_new(X, new)

    def _column(self, X: pd.DataFrame, col: str, g: np.ndarray) -> dict[str, np.ndarray]:
        stats, tag = self.stats_[col], self.tag_
        new = {f"{col}__{agg}_by_{tag}": np.take(stats[agg], g) for agg in self.aggs}
        if self.diff or self.ratio:
            x = X[col].to_numpy(np.float32, na_value=np.nan)
            mean = new[f"{col}__mean_by_{tag}"] if "mean" in self.aggs else np.take(stats["mean"], g)
            if self.diff:
                new[f"{col}__diff_mean_by_{tag}"] = x - mean
            if self.ratio:
                new[f"{col}__ratio_mean_by_{tag}"] = _ratio(x, mean)
        return new


def _ratio(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``x / mean``, NaN where the mean is 0 or missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = x / mean
    r[~np.isfinite(r)] = np.nan
    return r
