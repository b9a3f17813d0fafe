"""Missing values: per-type fill strategies and missing indicators."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compete.features.base import Recipe, check_choice, is_categorical, is_numeric, join_new
from compete.features.registry import FEATURES

__all__ = ["Impute"]

NUMERIC = ("mean", "median", "most_frequent", "constant", "keep")
CATEGORICAL = ("most_frequent", "constant", "keep")


def _fill_value(s: pd.Series, strategy: str, constant: Any) -> Any:
    """The value that fills ``s`` under ``strategy`` (None for "keep")."""
    if strategy == "keep":
        return None
    if strategy == "constant":
        return constant
    values = s.dropna()
    if values.empty:
        return constant
    if strategy == "mean":
        return float(values.mean())
    if strategy == "median":
        return float(values.median())
    return values.mode().iloc[0]


@FEATURES.register("impute")
class Impute(Recipe):
    """Fill missing values per column type and add missing indicators. Never uses the target.

    ``keep`` leaves NaN for the trees (GBDTs handle it natively). A column with no missing value
    in the fitted data but some at transform (Rossmann's ``Open`` in test) is filled with its
    median / most frequent value whatever the strategy, with a warning naming it.

    Parameters
    ----------
    numeric : {"mean", "median", "most_frequent", "constant", "keep"}
        Strategy for numeric columns.
    categorical : {"most_frequent", "constant", "keep"}
        Strategy for ``category`` / text columns.
    fill_value, fill_category : number, str
        The constants of the ``constant`` strategies.
    indicators : bool
        Add ``<col>__isna`` (0/1) for each column with missing values at fit.
    columns : list of str, optional
        Columns to treat; default all.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, None, 3.0]})
    >>> Impute(numeric="mean").fit_transform(X)["a"].tolist()
    [1.0, 2.0, 3.0]
    """

    recipe_name = "impute"

    def __init__(self, numeric: str = "median", categorical: str = "most_frequent", fill_value: float = 0.0,
                 fill_category: str = "__missing__", indicators: bool = True,
                 columns: Sequence[str] | None = None) -> None:  # fmt: skip
        self.numeric = numeric
        self.categorical = categorical
        self.fill_value = fill_value
        self.fill_category = fill_category
        self.indicators = indicators
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: Any = None) -> Impute:
        check_choice(self.recipe_name, "numeric", self.numeric, NUMERIC)
        check_choice(self.recipe_name, "categorical", self.categorical, CATEGORICAL)
        cols = list(X.columns) if self.columns is None else list(self.columns)
        self._check_columns(X, cols)
        self.fills_, self.safe_fills_, self.missing_ = {}, {}, []
        for c in cols:
            s = X[c]
            numeric = is_numeric(s)
            if not numeric and pd.api.types.is_datetime64_any_dtype(s):
                continue
            strategy = self.numeric if numeric else self.categorical
            constant = self.fill_value if numeric else self.fill_category
            if s.isna().any():
                self.missing_.append(c)
                self.fills_[c] = _fill_value(s, strategy, constant)
            else:
                self.safe_fills_[c] = _fill_value(s, "median" if numeric else "most_frequent", constant)
        self._remember_names(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        out = X.copy(deep=False)
        new = (
            {f"{c}__isna": X[c].isna().to_numpy(np.float32) for c in self.missing_} if self.indicators else {}
        )
        for c, value in self.fills_.items():
            if value is not None:
                out[c] = _fill(X[c], value)
        for c, value in self.safe_fills_.items():
            if c in X.columns and X[c].isna().any():
                warnings.warn(
                    f"impute: column {c!r} had no missing values when fitted but has "
                    f"{int(X[c].isna().sum())} now; filled them with {value!r}",
                    stacklevel=2,
                )
                out[c] = _fill(X[c], value)
        return join_new(out, new)


def _fill(s: pd.Series, value: Any) -> pd.Series:
    if is_categorical(s) and value not in s.cat.categories:
        s = s.cat.add_categories([value])
    return s.fillna(value)
