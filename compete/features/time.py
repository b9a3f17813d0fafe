"""Time features from datetime columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from compete.features.registry import FEATURES

__all__ = ["DateParts"]

ALL_PARTS = ("year", "month", "day", "hour", "minute", "dayofweek", "is_weekend", "weekofyear",
             "dayofyear", "quarter", "is_month_start", "is_month_end", "elapsed")  # fmt: skip
PERIODS = {"month": 12, "day": 31, "hour": 24, "minute": 60, "dayofweek": 7, "dayofyear": 366,
           "weekofyear": 53, "quarter": 4}  # fmt: skip
UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "D": 86400.0}


@FEATURES.register("date_parts")
class DateParts(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Expand datetime columns into calendar parts. Never uses the target.

    Parameters
    ----------
    columns : list of str, optional
        Datetime columns to expand; default every ``datetime64`` column.
    parts : "auto" or list of str
        Parts to make (``year, month, day, hour, minute, dayofweek, is_weekend, weekofyear,
        dayofyear, quarter, is_month_start, is_month_end, elapsed``). ``"auto"`` keeps the
        calendar parts that vary in the training data (hour only when times vary, ...).
    cyclical : bool
        Also add ``sin``/``cos`` encodings of periodic parts.
    elapsed_unit : {"s", "m", "h", "D"}
        Unit of ``elapsed``: time since the earliest training value.
    drop : bool
        Drop the original datetime columns.

    Examples
    --------
    >>> X = pd.DataFrame({"t": pd.to_datetime(["2024-01-01 10:00", "2024-03-05 18:00"])})
    >>> DateParts(parts=["month", "hour"]).fit_transform(X).columns.tolist()
    ['t__month', 't__hour']
    """

    def __init__(self, columns: list[str] | None = None, parts: Any = "auto", cyclical: bool = False,
                 elapsed_unit: str = "D", drop: bool = True) -> None:  # fmt: skip
        self.columns = columns
        self.parts = parts
        self.cyclical = cyclical
        self.elapsed_unit = elapsed_unit
        self.drop = drop

    def fit(self, X: pd.DataFrame, y: Any = None) -> DateParts:
        cols = self.columns if self.columns is not None else [
            c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c])
        ]  # fmt: skip
        self.columns_ = list(cols)
        self.origin_ = {c: X[c].min() for c in self.columns_}
        self.parts_ = {c: self._choose_parts(X[c]) for c in self.columns_}
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.feature_names_out_ = list(self.transform(X.head(1)).columns)
        return self

    def _choose_parts(self, s: pd.Series) -> list[str]:
        if self.parts != "auto":
            return list(self.parts)
        parts = [p for p in ALL_PARTS if p not in ("minute", "is_month_start", "is_month_end")]
        sample = s.dropna()
        if (sample.dt.hour == 0).all():
            parts.remove("hour")
        elif (sample.dt.minute != 0).any():
            parts.insert(parts.index("hour") + 1, "minute")
        if sample.dt.year.nunique() <= 1:
            parts.remove("year")
        return parts

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        new = {}
        for c in self.columns_:
            dt = pd.to_datetime(X[c]).dt
            for part in self.parts_[c]:
                values = self._part(X[c], dt, part, c)
                new[f"{c}__{part}"] = values
                if self.cyclical and part in PERIODS:
                    angle = 2 * np.pi * values / PERIODS[part]
                    new[f"{c}__{part}_sin"], new[f"{c}__{part}_cos"] = np.sin(angle), np.cos(angle)
        out = X.drop(columns=self.columns_) if self.drop else X.copy()
        return pd.concat([out, pd.DataFrame(new, index=X.index)], axis=1)

    def _part(self, s: pd.Series, dt: Any, part: str, col: str) -> pd.Series:
        if part == "elapsed":
            return (s - self.origin_[col]).dt.total_seconds() / UNITS[self.elapsed_unit]
        if part == "weekofyear":
            return dt.isocalendar().week.astype("float32")
        if part == "is_weekend":
            return (dt.dayofweek >= 5).astype("float32")
        return getattr(dt, part).astype("float32")

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)
