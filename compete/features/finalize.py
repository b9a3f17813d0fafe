"""The last, unsupervised step before a model: every column numeric or categorical.

Fitted on a fold's training part, after the spec's recipes: group keys (id-like columns kept for
recipes to read, :attr:`compete.data.schema.Schema.keys`) are dropped, datetime columns left over are
expanded with :class:`~compete.features.time.DateParts`, free-text columns become their length and
word count, remaining strings become categories (levels from the training part). Never uses the target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from compete.features.text import free_text
from compete.features.time import DateParts

__all__ = ["Finalize", "frequencies"]


class Finalize(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Make a typed frame model-ready (numeric or ``category`` columns only).

    Parameters
    ----------
    keys : tuple of str
        Group keys: columns recipes may read (target means, group statistics) that no model sees; their
        raw levels, mostly distinct, would only be memorised.

    Examples
    --------
    >>> X = pd.DataFrame({"t": pd.to_datetime(["2024-01-01", "2024-02-01"]), "s": ["a b c", "d"],
    ...                   "k": pd.Categorical(["x", "y"])})
    >>> Finalize(keys=("k",)).fit_transform(X).columns.tolist()[-3:]
    ['t__elapsed', 's__chars', 's__words']
    """

    def __init__(self, keys: tuple[str, ...] = ()) -> None:
        self.keys = keys

    def fit(self, X: pd.DataFrame, y: Any = None, unlabeled: pd.DataFrame | None = None) -> Finalize:
        """Learn from the training part ``X``; ``unlabeled`` (the test rows, features only) tells
        which calendar parts the test set never reaches (:class:`~compete.features.time.DateParts`)."""
        self.keys_ = [c for c in self.keys if c in X.columns]
        X = X.drop(columns=self.keys_)
        self.dates_ = DateParts().fit(X, unlabeled=unlabeled)
        self.text_ = free_text(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.drop(columns=getattr(self, "keys_", []))  # a finalizer saved by an older compete has none
        out = self.dates_.transform(X) if self.dates_.columns_ else X
        if not self.text_:
            return out
        new = {}
        for col in self.text_:
            s = X[col]
            new[f"{col}__chars"] = s.str.len().astype("float32")
            new[f"{col}__words"] = s.str.split().str.len().astype("float32")
        out = out.drop(columns=self.text_)
        text = pd.DataFrame(new, index=X.index)
        return pd.concat([out, text], axis=1)


def frequencies(train: pd.Series, test: pd.Series) -> pd.Series:
    """How often each value occurs over train + test features (unsupervised): for id-like strings."""
    return pd.concat([train, test]).value_counts(dropna=True)
