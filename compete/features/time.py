"""Time features from datetime columns."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from compete.features.base import per_column
from compete.features.registry import FEATURES

__all__ = ["DateParts"]

ALL_PARTS = ("year", "month", "day", "hour", "minute", "dayofweek", "is_weekend", "weekofyear",
             "dayofyear", "quarter", "is_month_start", "is_month_end", "elapsed")  # fmt: skip
PERIODS = {"month": 12, "day": 31, "hour": 24, "minute": 60, "dayofweek": 7, "dayofyear": 366,
           "weekofyear": 53, "quarter": 4}  # fmt: skip
UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "D": 86400.0}
UNREACHED = 0.5  # "auto" leaves out a periodic part when this share of the unlabeled rows lies outside its training range


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
        calendar parts that vary in the training data (hour only when times vary, ...), less the
        periodic parts that most ``unlabeled`` rows given to :meth:`fit` (the test set) have outside
        their training range: a test set of days 20-31 when train holds days 1-19 leaves out the day
        of the month, which no tree can carry over (listed in ``unreached_``).
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

    def fit(self, X: pd.DataFrame, y: Any = None, unlabeled: pd.DataFrame | None = None) -> DateParts:
        cols = self.columns if self.columns is not None else [
            c for c in X.columns if pd.api.types.is_datetime64_any_dtype(X[c])
        ]  # fmt: skip
        self.columns_ = list(cols)
        self.origin_ = {c: X[c].min() for c in self.columns_}
        self.unreached_: dict[str, list[str]] = {}
        self.parts_ = {
            c: self._choose_parts(X[c], None if unlabeled is None or c not in unlabeled else unlabeled[c])
            for c in self.columns_
        }
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.feature_names_out_ = list(self.transform(X.head(1)).columns)
        return self

    def _choose_parts(self, s: pd.Series, later: pd.Series | None = None) -> list[str]:
        if self.parts != "auto":
            return list(self.parts)
        parts = [p for p in ALL_PARTS if p not in ("minute", "is_month_start", "is_month_end")]
        cal = Calendar(s)
        hour, minute, year = cal.get("hour"), cal.get("minute"), cal.get("year")
        if np.nanmax(hour, initial=0) == 0:
            parts.remove("hour")
        elif np.nanmax(minute, initial=0) > 0:
            parts.insert(parts.index("hour") + 1, "minute")
        years = year[~np.isnan(year)]
        if years.size and years.min() == years.max():
            parts.remove("year")
        if later is not None and later.notna().any():
            ahead = Calendar(later)
            unreached = [p for p in parts if p in PERIODS and _outside(cal.get(p), ahead.get(p)) >= UNREACHED]
            if unreached:
                self.unreached_[str(s.name)] = unreached
            parts = [p for p in parts if p not in unreached]
        return parts

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        new: dict[str, np.ndarray] = {}
        for c in self.columns_:
            cal = Calendar(X[c])
            for part in per_column(partial(self._part, cal, c), self.parts_[c], len(X)):
                new.update(part)
        out = X.drop(columns=self.columns_) if self.drop else X
        return pd.concat([out, pd.DataFrame(new, index=X.index, copy=False)], axis=1)

    def _part(self, cal: Calendar, c: str, part: str) -> dict[str, np.ndarray]:
        if part == "elapsed":
            values = cal.elapsed(self.origin_[c], UNITS[self.elapsed_unit])
        else:
            values = cal.get(part)
        new = {f"{c}__{part}": values}
        if self.cyclical and part in PERIODS:
            angle = (2 * np.pi / PERIODS[part]) * values
            new[f"{c}__{part}_sin"], new[f"{c}__{part}_cos"] = np.sin(angle), np.cos(angle)
        return new

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)


def _outside(seen: np.ndarray, new: np.ndarray) -> float:
    """The share of ``new``'s values (NaN left out) outside the range of ``seen``'s."""
    new = new[~np.isnan(new)]
    if not new.size or np.isnan(seen).all():
        return 0.0
    return float(((new < np.nanmin(seen)) | (new > np.nanmax(seen))).mean())


class Calendar:
    """Calendar parts of a datetime column (float32, NaN for NaT), fast on millions of rows.

    Each row's day is an offset into tables built once over the column's range of days, so a
    day-level part (year, month, ISO week, ...) is one array lookup. Days to civil dates follow
    H. Hinnant's ``civil_from_days``. A timezone-aware column gives its local wall-clock parts.
    """

    def __init__(self, s: pd.Series) -> None:
        s = pd.Series(pd.to_datetime(s))
        if s.dt.tz is not None:
            s = s.dt.tz_localize(None)
        unit, count = np.datetime_data(s.dtype)
        per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit] // count
        raw = s.to_numpy().view(np.int64)
        self.nat = raw == np.iinfo(np.int64).min
        per_day = 86_400 * per_second
        days = np.floor(raw / per_day).astype(np.int64)
        rem = raw - days * per_day  # exact; the float floor can be one day off near midnight
        days += (rem >= per_day).astype(np.int64) - (rem < 0)
        rem = raw - days * per_day
        self.sod = np.floor(rem / per_second).astype(np.int32)
        valid = days[~self.nat]
        self.first = int(valid.min()) if len(valid) else 0
        span = int(valid.max()) - self.first + 1 if len(valid) else 1
        self.offset = np.where(self.nat, 0, days - self.first).astype(np.int32)
        self.table = _day_table(np.arange(self.first, self.first + span, dtype=np.int64))
        self.per_second, self.raw = per_second, raw

    def _int(self, part: str) -> np.ndarray:
        if part in self.table:
            return self.table[part][self.offset]
        if part == "hour":
            return self.sod // np.int32(3600)
        if part == "minute":
            return (self.sod // np.int32(60)) % np.int32(60)
        raise ValueError(f"unknown date part {part!r}; known parts: {', '.join(ALL_PARTS)}")

    def get(self, part: str) -> np.ndarray:
        values = self._int(part).astype(np.float32)
        values[self.nat] = np.nan
        return values

    def elapsed(self, origin: Any, unit_seconds: float) -> np.ndarray:
        """Time since ``origin`` in units of ``unit_seconds`` (float64, NaN for NaT)."""
        start = pd.Timestamp(origin).tz_localize(None) if pd.notna(origin) else pd.Timestamp(0)
        start_raw = start.as_unit(
            np.datetime_data(np.dtype(f"datetime64[{_unit(self.per_second)}]"))[0]
        )._value
        out = (self.raw - start_raw) / (self.per_second * unit_seconds)
        out[self.nat] = np.nan
        return out


def _unit(per_second: int) -> str:
    return {1: "s", 1_000: "ms", 1_000_000: "us", 1_000_000_000: "ns"}.get(per_second, "ns")


def _day_table(days: np.ndarray) -> dict[str, np.ndarray]:
    """Every day-level part of each day number (days since 1970-01-01)."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy0 = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy0 + 2) // 153
    day = doy0 - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    dow = (days + 3) % 7  # Monday = 0; 1970-01-01 was a Thursday
    doy = days - _days_from_civil(year) + 1
    week = (doy - dow + 9) // 7
    week = np.where(week < 1, _iso_weeks(year - 1), np.where(week > _iso_weeks(year), 1, week))
    parts = {"year": year, "month": month, "day": day, "dayofweek": dow, "is_weekend": dow >= 5,
             "dayofyear": doy, "weekofyear": week, "quarter": (month - 1) // 3 + 1,
             "is_month_start": day == 1, "is_month_end": day == _month_length(year, month)}  # fmt: skip
    return {k: v.astype(np.int32) for k, v in parts.items()}


def _days_from_civil(year: np.ndarray) -> np.ndarray:
    """Days from 1970-01-01 to January 1st of ``year``."""
    y = year.astype(np.int64) - 1
    return 365 * y + y // 4 - y // 100 + y // 400 - 719_162


def _iso_weeks(year: np.ndarray) -> np.ndarray:
    """52 or 53: ISO weeks in ``year``."""

    def p(y: np.ndarray) -> np.ndarray:
        return (y + y // 4 - y // 100 + y // 400) % 7

    return 52 + ((p(year) == 4) | (p(year - 1) == 3))


def _month_length(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    lengths = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    return lengths[month] + ((month == 2) & leap)
