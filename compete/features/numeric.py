"""Numeric recipes: pairwise interactions, and log / quantile / robust transforms for linear models."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from compete.features.base import Recipe, check_choice, join_new, pick_columns
from compete.features.registry import FEATURES

__all__ = ["Interactions", "NumericTransform"]

OPS = ("mul", "div", "add", "sub")


@FEATURES.register("interactions")
class Interactions(Recipe):
    """Pairwise products / ratios / sums / differences of chosen numeric columns. Never uses the target.

    Parameters
    ----------
    columns : list of str, optional
        Numeric columns to combine pairwise; default every numeric column (beware: p² columns).
    ops : list of {"mul", "div", "add", "sub"}
        ``a__mul__b = a * b``, ``a__div__b = a / b`` (NaN where b is 0), ...

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2.0], "b": [4.0, 0.0]})
    >>> Interactions(ops=["div"]).fit_transform(X)["a__div__b"].tolist()
    [0.25, nan]
    """

    recipe_name = "interactions"

    def __init__(self, columns: Sequence[str] | None = None, ops: Sequence[str] = ("mul", "div")) -> None:
        self.columns = columns
        self.ops = ops

    def fit(self, X: pd.DataFrame, y: Any = None) -> Interactions:
        for op in self.ops:
            check_choice(self.recipe_name, "ops", op, OPS)
        self.columns_ = pick_columns(X, self.columns, "numeric", self.recipe_name)
        self._remember_names(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_columns(X, self.columns_)
        arr = {c: X[c].to_numpy(np.float32, na_value=np.nan) for c in self.columns_}
        new = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for a, b in combinations(self.columns_, 2):
                for op in self.ops:
                    v = getattr(
                        np, {"mul": "multiply", "div": "divide", "add": "add", "sub": "subtract"}[op]
                    )(arr[a], arr[b])
                    v[~np.isfinite(v)] = np.nan
                    new[f"{a}__{op}__{b}"] = v
        return join_new(X, new)


@FEATURES.register("numeric_transform")
class NumericTransform(Recipe):
    """Transform numeric columns in place: signed log, normal quantiles, or robust scaling.

    Meant for linear models in a stack; GBDTs do not need it. Never uses the target.

    Parameters
    ----------
    method : {"log", "quantile", "robust"}
        ``log``: ``sign(x) * log1p(|x|)``; ``quantile``: scikit-learn's ``QuantileTransformer`` to a
        normal; ``robust``: ``(x - median) / IQR``.
    columns : list of str, optional
        Default every numeric column.
    random_state : int
        Seed of the quantile transformer's subsample.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [0.0, 9.0]})
    >>> NumericTransform(method="log").fit_transform(X)["a"].astype(float).round(3).tolist()
    [0.0, 2.303]
    """

    recipe_name = "numeric_transform"

    def __init__(
        self, method: str = "log", columns: Sequence[str] | None = None, random_state: int = 0
    ) -> None:
        self.method = method
        self.columns = columns
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any = None) -> NumericTransform:
        check_choice(self.recipe_name, "method", self.method, ("log", "quantile", "robust"))
        self.columns_ = pick_columns(X, self.columns, "numeric", self.recipe_name)
        self.model_ = None
        if self.method != "log" and self.columns_:
            from sklearn.preprocessing import QuantileTransformer, RobustScaler

            values = X[self.columns_].to_numpy(np.float64, na_value=np.nan)
            if self.method == "quantile":
                n_q = max(2, min(1000, len(X)))
                self.model_ = QuantileTransformer(n_quantiles=n_q, output_distribution="normal",
                                                  random_state=self.random_state)  # fmt: skip
            else:
                self.model_ = RobustScaler()
            self.model_.fit(values)
        self._remember_names(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_columns(X, self.columns_)
        out = X.copy(deep=False)
        if not self.columns_:
            return out
        values = X[self.columns_].to_numpy(np.float64, na_value=np.nan)
        values = (
            np.sign(values) * np.log1p(np.abs(values))
            if self.model_ is None
            else self.model_.transform(values)
        )
        for i, c in enumerate(self.columns_):
            out[c] = values[:, i].astype(np.float32)
        return out
