"""Target-free encodings of categories: counts, ordinal codes, one-hot columns, and numbers read as categories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compete.features._keys import KeyCoder
from compete.features.base import Recipe, join_new, pick_columns
from compete.features.registry import FEATURES

__all__ = ["CountEncode", "OrdinalEncode", "OneHot", "AsCategory"]


def _categoricals(X: pd.DataFrame, columns: Sequence[str] | None, recipe: str) -> list[str]:
    if columns is not None:
        return pick_columns(X, columns, "any", recipe)
    return [
        c
        for c in X.columns
        if isinstance(X[c].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(X[c])
    ]


@FEATURES.register("count_encode")
class CountEncode(Recipe):
    """Replace nothing, add ``<col>__count``: how often each value occurs. Never uses the target.

    Parameters
    ----------
    columns : list of str, optional
        Default every ``category`` / text column.
    normalize : bool
        Frequencies (share of rows) instead of counts.
    use_test : bool
        Count over the training part plus the ``unlabeled`` rows given to :meth:`fit`.

    Examples
    --------
    >>> X = pd.DataFrame({"c": pd.Categorical(list("aab"))})
    >>> CountEncode().fit_transform(X)["c__count"].tolist()
    [2.0, 2.0, 1.0]
    """

    recipe_name = "count_encode"

    def __init__(self, columns: Sequence[str] | None = None, normalize: bool = False,
                 use_test: bool = False) -> None:  # fmt: skip
        self.columns = columns
        self.normalize = normalize
        self.use_test = use_test

    def fit(self, X: pd.DataFrame, y: Any = None, unlabeled: pd.DataFrame | None = None) -> CountEncode:
        self.columns_ = _categoricals(X, self.columns, self.recipe_name)
        frames = [X] if unlabeled is None or not self.use_test else [X, unlabeled]
        self.coders_, self.counts_ = {}, {}
        for c in self.columns_:
            coder = KeyCoder([c]).fit(frames)
            g = np.concatenate([coder.codes(f) for f in frames])
            counts = np.bincount(g, minlength=coder.n_groups).astype(np.float64)
            if self.normalize:
                counts /= len(g)
            self.coders_[c], self.counts_[c] = coder, np.append(counts, 0.0).astype(np.float32)
        self._remember_names(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_columns(X, self.columns_)
        new = {f"{c}__count": self.counts_[c][self.coders_[c].codes(X)] for c in self.columns_}
        return join_new(X, new)


@FEATURES.register("as_category")
class AsCategory(Recipe):
    """Add ``<col>__cat``: the values of a column of whole numbers as categories, so the models can
    treat codes (of products, places, years) as levels rather than split on their order. The number
    is kept beside it. Never uses the target.

    Parameters
    ----------
    columns : list of str, optional
        The columns (any kind: their values become the levels). Default every numeric column.
    use_test : bool
        Levels from the training part plus the ``unlabeled`` rows given to :meth:`fit`; otherwise a
        value the training part lacks is missing.

    Examples
    --------
    >>> X = pd.DataFrame({"n": [3.0, 1.0, 3.0]})
    >>> t = AsCategory(columns=["n"]).fit(X)
    >>> out = t.transform(pd.DataFrame({"n": [1.0, 7.0]}))["n__cat"]
    >>> out.tolist(), list(out.cat.categories)
    ([1.0, nan], [1.0, 3.0])
    """

    recipe_name = "as_category"

    def __init__(self, columns: Sequence[str] | None = None, use_test: bool = False) -> None:
        self.columns = columns
        self.use_test = use_test

    def fit(self, X: pd.DataFrame, y: Any = None, unlabeled: pd.DataFrame | None = None) -> AsCategory:
        self.columns_ = pick_columns(X, self.columns, "numeric", self.recipe_name)
        frames = [X] if unlabeled is None or not self.use_test else [X, unlabeled]
        self.levels_ = {
            c: pd.Index(np.sort(pd.unique(pd.concat([f[c].dropna() for f in frames], ignore_index=True))))
            for c in self.columns_
        }
        self._remember_names(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_columns(X, self.columns_)
        new = {}
        for c in self.columns_:
            codes = self.levels_[c].get_indexer(X[c])  # -1: missing, or a value fit did not see
            new[f"{c}__cat"] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(self.levels_[c]))
        return join_new(X, new)


@FEATURES.register("ordinal")
class OrdinalEncode(Recipe):
    """Replace categories by integer codes (sorted values seen at fit); unseen → -1, missing → NaN.

    Parameters
    ----------
    columns : list of str, optional
        Default every ``category`` / text column.

    Examples
    --------
    >>> X = pd.DataFrame({"c": pd.Categorical(list("bab"))})
    >>> t = OrdinalEncode().fit(X)
    >>> t.transform(pd.DataFrame({"c": pd.Categorical(["a", "z"])}))["c"].tolist()
    [0.0, -1.0]
    """

    recipe_name = "ordinal"

    def __init__(self, columns: Sequence[str] | None = None) -> None:
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: Any = None) -> OrdinalEncode:
        self.columns_ = _categoricals(X, self.columns, self.recipe_name)
        self.levels_ = {c: pd.Index(np.sort(pd.unique(X[c].dropna().astype(str)))) for c in self.columns_}
        self._remember_names(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_columns(X, self.columns_)
        out = X.copy(deep=False)
        for c in self.columns_:
            s = X[c]
            codes = self.levels_[c].get_indexer(s.astype(str)).astype(np.float32)
            codes[s.isna().to_numpy()] = np.nan
            out[c] = codes
        return out


@FEATURES.register("one_hot")
class OneHot(Recipe):
    """One 0/1 column per value (``<col>__<value>``) for columns with few distinct values.

    Columns with more than ``max_levels`` values at fit are left as they are; unseen values give
    all zeros. Never uses the target.

    Parameters
    ----------
    columns : list of str, optional
        Default every ``category`` / text column.
    max_levels : int
        Largest number of distinct values a column may have to be expanded.
    drop : bool
        Drop the expanded original columns.

    Examples
    --------
    >>> X = pd.DataFrame({"c": pd.Categorical(list("aba"))})
    >>> OneHot().fit_transform(X).columns.tolist()
    ['c__a', 'c__b']
    """

    recipe_name = "one_hot"

    def __init__(self, columns: Sequence[str] | None = None, max_levels: int = 10, drop: bool = True) -> None:
        self.columns = columns
        self.max_levels = max_levels
        self.drop = drop

    def fit(self, X: pd.DataFrame, y: Any = None) -> OneHot:
        cols = _categoricals(X, self.columns, self.recipe_name)
        levels = {c: np.sort(pd.unique(X[c].dropna().astype(str))) for c in cols}
        self.levels_ = {c: list(v) for c, v in levels.items() if len(v) <= self.max_levels}
        self._remember_names(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_columns(X, list(self.levels_))
        new = {}
        for c, levels in self.levels_.items():
            values = X[c].astype(str).to_numpy()
            for level in levels:
                new[f"{c}__{level}"] = (values == level).astype(np.float32)
        return join_new(X, new, drop=list(self.levels_) if self.drop else ())
