"""Removal of outlying training rows (PyCaret's remove_outliers); never touches other rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import ModelError
from compete.features.base import Recipe, check_choice, pick_columns
from compete.features.registry import FEATURES

__all__ = ["RemoveOutliers"]


@FEATURES.register("remove_outliers")
class RemoveOutliers(Recipe):
    """Drop training rows flagged by a rule or an isolation forest; :meth:`transform` keeps every row.

    Only :meth:`fit_resample` drops rows (the fold loop calls it on each fold's training part);
    validation rows and the test set pass through :meth:`transform` unchanged.

    Parameters
    ----------
    method : {"iqr", "query", "isolation_forest"}
        ``iqr``: a row is an outlier when a chosen column lies more than ``factor`` IQRs outside
        the quartiles; ``query``: rows matching the pandas expression ``query``
        (``"GrLivArea > 4000"``); ``isolation_forest``: the ``contamination`` share of rows with
        the lowest scores.
    columns : list of str, optional
        Numeric columns used by ``iqr`` / ``isolation_forest``; default every numeric column.
    factor : float
        IQR multiple of the ``iqr`` rule.
    query : str
        The expression of the ``query`` rule.
    contamination : float
        Share of rows the isolation forest drops.
    random_state : int
        Seed of the isolation forest.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 100.0]})
    >>> Xk, yk = RemoveOutliers(method="query", query="a > 50").fit_resample(X, [0, 1, 0, 1])
    >>> Xk.index.tolist(), len(RemoveOutliers(method="query", query="a > 50").fit(X).transform(X))
    ([0, 1, 2], 4)
    """

    recipe_name = "remove_outliers"
    drops_rows = True

    def __init__(self, method: str = "iqr", columns: Sequence[str] | None = None, factor: float = 3.0,
                 query: str = "", contamination: float = 0.01, random_state: int = 0) -> None:  # fmt: skip
        self.method = method
        self.columns = columns
        self.factor = factor
        self.query = query
        self.contamination = contamination
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any = None) -> RemoveOutliers:
        check_choice(self.recipe_name, "method", self.method, ("iqr", "query", "isolation_forest"))
        if self.method == "query" and not self.query:
            raise ModelError("recipe 'remove_outliers': method 'query' needs query = \"<pandas expression>\"")
        self.columns_ = pick_columns(X, self.columns, "numeric", self.recipe_name)
        values = X[self.columns_].to_numpy(np.float64, na_value=np.nan)
        self.medians_ = (
            np.nan_to_num(np.nanmedian(values, axis=0)) if len(X) else np.zeros(len(self.columns_))
        )
        if self.method == "iqr":
            q1, q3 = np.nanpercentile(values, [25, 75], axis=0)
            spread = self.factor * (q3 - q1)
            self.bounds_ = (q1 - spread, q3 + spread)
        elif self.method == "isolation_forest":
            from sklearn.ensemble import IsolationForest

            self.forest_ = IsolationForest(contamination=self.contamination, random_state=self.random_state)
            self.forest_.fit(self._filled(values))
        self._remember_names(X)
        return self

    def _filled(self, values: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(values), self.medians_, values)

    def outlier_mask(self, X: pd.DataFrame) -> np.ndarray:
        """True for the rows of ``X`` that the fitted rule flags."""
        if self.method == "query":
            return X.eval(self.query).to_numpy(bool)
        values = X[self.columns_].to_numpy(np.float64, na_value=np.nan)
        if self.method == "iqr":
            with np.errstate(invalid="ignore"):
                return ((values < self.bounds_[0]) | (values > self.bounds_[1])).any(axis=1)
        return self.forest_.predict(self._filled(values)) == -1

    def fit_resample(self, X: pd.DataFrame, y: Any) -> tuple[pd.DataFrame, Any]:
        """Fit, then return the training rows (and their targets) that are not outliers."""
        self.fit(X, y)
        keep = ~self.outlier_mask(X)
        self.n_dropped_ = int((~keep).sum())
        if y is None:
            return X[keep], None
        y_kept = y[keep] if isinstance(y, pd.Series | np.ndarray) else np.asarray(y)[keep]
        return X[keep], y_kept

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.copy(deep=False)
