"""Time neighbours: a column's values some periods earlier or later in the same series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import ModelError
from compete.features.base import Recipe, is_numeric, join_new, pick_columns
from compete.features.registry import FEATURES

__all__ = ["TimeLags", "changing", "gaps", "regular_period"]

DUPLICATE_SHARE = 0.01  # above this share of rows sharing a time (within a series), lags are ambiguous


def gaps(X: pd.DataFrame, time: str, by: Sequence[str] = ()) -> pd.Series:
    """The positive gaps between consecutive times of ``X[time]`` within each series of ``by``."""
    ordered = X.dropna(subset=[time]).sort_values(time)
    found = (ordered.groupby(list(by), observed=True)[time] if by else ordered[time]).diff()
    return found[found > (pd.Timedelta(0) if pd.api.types.is_datetime64_any_dtype(X[time]) else 0)]


def regular_period(t: pd.Series) -> Any | None:
    """The most common gap between consecutive values of ``t`` when they form one regular series (at
    most :data:`DUPLICATE_SHARE` of them repeated, that gap at least half of all gaps: hourly
    readings with some hours missing), else None.

    >>> hours = pd.Series(pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:00",
    ...                                    "2024-01-01 05:00"]))
    >>> regular_period(hours), regular_period(hours.iloc[[0, 0, 1, 3]])
    (Timedelta('0 days 01:00:00'), None)
    """
    t = t.dropna()
    found = gaps(t.to_frame("t"), "t")
    if len(t) < 3 or found.empty or t.duplicated().mean() > DUPLICATE_SHARE:
        return None
    counts = found.value_counts()
    return counts.index[0] if counts.iloc[0] >= 0.5 * len(found) else None


def changing(X: pd.DataFrame, time: str, columns: Sequence[str], period: Any) -> dict[str, float]:
    """For each of ``columns``, the share of rows exactly one ``period`` after another whose value
    differs from that row's.

    >>> X = pd.DataFrame({"t": [0, 1, 2, 3, 5], "x": [1, 1, 2, 2, 3], "c": [7, 7, 7, 7, 8]})
    >>> changing(X, "t", ["x", "c"], 1)
    {'x': 0.3333333333333333, 'c': 0.0}
    """
    ordered = X[[time, *columns]].dropna(subset=[time]).sort_values(time)
    step = (ordered[time].diff() == period).to_numpy()
    if not step.any():
        return dict.fromkeys(columns, 0.0)
    return {c: float((ordered[c] != ordered[c].shift()).to_numpy()[step].mean()) for c in columns}


@FEATURES.register("lags")
class TimeLags(Recipe):
    """The values of ``columns`` ``k`` periods before each row's time (``k > 0``, a lag) or after it
    (``k < 0``, a lead), in the row's own series: the weather an hour ago and an hour ahead.

    Never uses the target: ``columns`` are features, known for the test rows as well (an hour's
    weather), not the target's past. Neighbours are looked up on one timeline made of the rows the
    recipe was fitted on, the ``unlabeled`` rows given to :meth:`fit` (the fold's validation part and
    the test set; with ``use_test``, the default) and the rows being transformed, so the first hour
    of a test day finds the last hour of the training day before it, in the folds as on the test set.
    A time with no row exactly ``k`` periods away gets NaN: a gap is never bridged.

    Parameters
    ----------
    time : str
        The column that orders the rows: datetimes (``[schema] datetime``) or numbers.
    columns : list of str, optional
        The columns to look up (numbers or categories); default every numeric column but ``time``
        and ``by``.
    steps : list of int
        Offsets in periods, not 0: ``1`` the previous period, ``-1`` the next.
    period : str or float, optional
        One period: a pandas time span (``"1h"``, ``"1D"``) for datetimes, a number otherwise;
        default the most common gap between consecutive times of a series in the training rows.
    by : str or list of str, optional
        The columns that name a series (a store, a sensor): neighbours are taken within it.
    use_test : bool
        Put the ``unlabeled`` rows on the timeline too (they carry features only).

    Examples
    --------
    >>> X = pd.DataFrame({"t": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 03:00"]),
    ...                   "temp": [1.0, 2.0, 4.0]})
    >>> out = TimeLags(time="t", steps=[1, -1]).fit_transform(X)
    >>> out["temp__lag1"].tolist(), out["temp__lead1"].tolist()
    ([nan, 1.0, nan], [2.0, nan, nan])
    """

    recipe_name = "lags"

    def __init__(self, time: str | None = None, columns: Sequence[str] | None = None,
                 steps: Sequence[int] = (1, -1), period: Any = None, by: Any = None,
                 use_test: bool = True) -> None:  # fmt: skip
        self.time = time
        self.columns = columns
        self.steps = steps
        self.period = period
        self.by = by
        self.use_test = use_test

    def _setup(self, X: pd.DataFrame) -> None:
        name = self.recipe_name
        if not self.time:
            raise ModelError(f"recipe {name!r}: parameter 'time' is required, e.g. time = \"datetime\"")
        self.by_ = [] if self.by is None else [self.by] if isinstance(self.by, str) else list(self.by)
        pick_columns(X, [self.time, *self.by_], "any", name)
        t = X[self.time]
        self.dated_ = pd.api.types.is_datetime64_any_dtype(t)
        if not self.dated_ and not is_numeric(t):
            raise ModelError(
                f"recipe {name!r}: column {self.time!r} must hold datetimes or numbers to order the rows "
                f"(it holds {t.dtype}); list it under [schema] datetime = [{self.time!r}]"
            )
        self.columns_ = pick_columns(X, self.columns, "numeric", name, exclude=[self.time, *self.by_])
        steps = list(self.steps)
        if not steps or any(isinstance(k, bool) or not isinstance(k, int) or k == 0 for k in steps):
            raise ModelError(
                f"recipe {name!r}: parameter 'steps' got {self.steps!r}; expected whole numbers other than 0, "
                "e.g. steps = [1, -1] (1: the period before, -1: the period after)"
            )
        self.steps_ = steps
        self.period_ = self._period(X)

    def _period(self, X: pd.DataFrame) -> Any:
        """``period`` as a ``Timedelta`` (datetimes) or float; inferred from ``X`` when not given."""
        name = self.recipe_name
        if self.period is None:
            found = gaps(X, str(self.time), self.by_)
            if found.empty:
                raise ModelError(f"recipe {name!r}: column {self.time!r} has fewer than two distinct times "
                                 "in the training rows; set 'period' (e.g. period = \"1h\")")  # fmt: skip
            return found.value_counts().idxmax()
        try:
            period = pd.Timedelta(self.period) if self.dated_ else float(self.period)
        except (TypeError, ValueError):
            example = '"1h" or "1D"' if self.dated_ else "1"
            raise ModelError(f"recipe {name!r}: parameter 'period' got {self.period!r}; expected "
                             f"{'a time span' if self.dated_ else 'a number'} such as {example}") from None  # fmt: skip
        if not period > (pd.Timedelta(0) if self.dated_ else 0):
            raise ModelError(f"recipe {name!r}: parameter 'period' got {self.period!r}; it must be positive")
        return period

    def fit(self, X: pd.DataFrame, y: Any = None, unlabeled: pd.DataFrame | None = None) -> TimeLags:
        self._setup(X)
        keys: list[str] = [*self.by_, str(self.time)]
        shared = X.dropna(subset=[self.time]).duplicated(subset=keys).mean() if len(X) else 0.0
        if shared > DUPLICATE_SHARE:
            within = f" within a series of {self.by_}" if self.by_ else ""
            raise ModelError(
                f"recipe {self.recipe_name!r}: {shared:.0%} of the training rows share their {self.time!r} with "
                f"another row{within}, so a row has no single previous value; name the columns that tell the "
                "series apart in 'by' (e.g. by = [\"store\"])"
            )
        frames = [X] if unlabeled is None or not self.use_test else [X, unlabeled]
        self.timeline_ = pd.concat([f[keys + self.columns_] for f in frames])
        self._remember_names(X)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        keys: list[str] = [*self.by_, str(self.time)]
        self._check_columns(X, keys + self.columns_)
        table = (
            pd.concat([self.timeline_, X[keys + self.columns_]])
            .dropna(subset=[self.time])
            .drop_duplicates(subset=keys, keep="last")  # the rows being transformed win
            .set_index(keys)
        )
        new: dict[str, Any] = {}
        for k in self.steps_:
            when = X[self.time] - k * self.period_
            at = pd.MultiIndex.from_arrays([*(X[b] for b in self.by_), when]) if self.by_ else pd.Index(when)
            found = table.reindex(at)
            tag = f"lag{k}" if k > 0 else f"lead{-k}"
            for col in self.columns_:
                dtype = X[col].dtype
                new[f"{col}__{tag}"] = (
                    pd.Categorical(found[col].to_numpy(), dtype=dtype)
                    if isinstance(dtype, pd.CategoricalDtype)
                    else found[col].to_numpy(np.float64, na_value=np.nan)
                )
        return join_new(X, new)
