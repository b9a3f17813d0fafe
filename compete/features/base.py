"""What every recipe shares: column selection, learned feature names, error messages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from compete.errors import DataError, ModelError

T = TypeVar("T")

__all__ = ["Recipe", "pick_columns", "check_choice", "is_categorical", "is_numeric", "join_new", "per_column"]


def is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def is_categorical(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype)


KINDS = {"numeric": is_numeric, "categorical": is_categorical, "any": lambda s: True}


def pick_columns(X: pd.DataFrame, columns: Sequence[str] | str | None, kind: str, recipe: str,
                 exclude: Sequence[str] = ()) -> list[str]:  # fmt: skip
    """The columns a recipe works on: ``columns`` checked against ``X``, or every column of ``kind``."""
    if columns is None:
        return [c for c in X.columns if c not in exclude and KINDS[kind](X[c])]
    cols = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in cols if c not in X.columns]
    if missing:
        shown = ", ".join(map(str, list(X.columns)[:30]))
        raise DataError(f"recipe {recipe!r}: column {missing[0]!r} is not in the data; columns: {shown}")
    return cols


def check_choice(recipe: str, param: str, value: Any, allowed: Sequence[Any]) -> None:
    """Raise :class:`ModelError` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        ok = ", ".join(map(repr, allowed))
        raise ModelError(f"recipe {recipe!r}: parameter {param!r} got {value!r}; allowed values: {ok}")


class Recipe(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Base class of compete's recipes: pandas in, pandas out, names learned at fit.

    Subclasses implement ``fit`` (ending with :meth:`_remember_names`) and ``transform``.
    """

    recipe_name = "recipe"

    def _remember_names(self, X: pd.DataFrame) -> None:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.feature_names_out_ = list(self.transform(X.head(2)).columns)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_out_, dtype=object)

    def _check_columns(self, X: pd.DataFrame, cols: Sequence[str]) -> None:
        missing = [c for c in cols if c not in X.columns]
        if missing:
            raise DataError(
                f"recipe {self.recipe_name!r}: column {missing[0]!r} was seen at fit but is missing now; "
                "transform needs the same input columns as fit"
            )


PARALLEL_ROWS = 200_000  # below this, per-column work runs in one thread (threads cost more than they save)


def per_column(fn: Callable[[Any], T], items: Sequence[Any], rows: int) -> list[T]:
    """``[fn(item) for item in items]``, on threads when the frame is large: numpy's array work
    releases the GIL, so columns are computed side by side on every core. Results keep their order."""
    if rows < PARALLEL_ROWS or len(items) < 2:
        return [fn(item) for item in items]
    import os
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(len(items), os.cpu_count() or 1)) as pool:
        return list(pool.map(fn, items))


def join_new(X: pd.DataFrame, new: dict[str, Any], drop: Sequence[str] = ()) -> pd.DataFrame:
    """``X`` without ``drop``, with the ``new`` columns appended (index preserved, no copy of ``X``)."""
    out = X.drop(columns=list(drop)) if drop else X
    if not new:
        return out.copy(deep=False)
    return pd.concat([out, pd.DataFrame(new, index=X.index, copy=False)], axis=1)
