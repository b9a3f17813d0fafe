"""Feature selection: constant and duplicate columns, correlated pairs, importance fitted in folds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import ModelError
from compete.features.base import Recipe, check_choice, is_numeric, pick_columns
from compete.features.registry import FEATURES

__all__ = ["DropConstant", "DropCorrelated", "SelectImportance"]


class _Dropper(Recipe):
    """A recipe whose transform drops the columns listed in ``dropped_``."""

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X.drop(columns=[c for c in self.dropped_ if c in X.columns])


@FEATURES.register("drop_constant")
class DropConstant(_Dropper):
    """Drop columns with a single value (missing counts as a value) and exact duplicates of earlier ones.

    Parameters
    ----------
    duplicates : bool
        Also drop a column identical to an earlier one.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1, 1], "b": [1, 2], "c": [1, 2]})
    >>> DropConstant().fit_transform(X).columns.tolist()
    ['b']
    """

    recipe_name = "drop_constant"

    def __init__(self, duplicates: bool = True) -> None:
        self.duplicates = duplicates

    def fit(self, X: pd.DataFrame, y: Any = None) -> DropConstant:
        self.dropped_ = [c for c in X.columns if X[c].nunique(dropna=False) <= 1]
        if self.duplicates:
            seen: dict[int, list[str]] = {}
            for c in X.columns:
                if c in self.dropped_:
                    continue
                h = int(pd.util.hash_pandas_object(X[c], index=False).sum())
                if any(X[c].equals(X[o]) for o in seen.get(h, [])):
                    self.dropped_.append(c)
                else:
                    seen.setdefault(h, []).append(c)
        self._remember_names(X)
        return self


@FEATURES.register("drop_correlated")
class DropCorrelated(_Dropper):
    """Drop the later column of each numeric pair whose absolute Pearson correlation exceeds ``threshold``.

    Parameters
    ----------
    threshold : float
        Correlation above which the later column of a pair is dropped.
    max_rows : int
        Rows sampled to estimate correlations.
    random_state : int
        Seed of that sample.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8.1], "c": [1.0, 0, 1, 0]})
    >>> DropCorrelated(threshold=0.95).fit_transform(X).columns.tolist()
    ['a', 'c']
    """

    recipe_name = "drop_correlated"

    def __init__(self, threshold: float = 0.95, max_rows: int = 100_000, random_state: int = 0) -> None:
        self.threshold = threshold
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any = None) -> DropCorrelated:
        cols = [c for c in X.columns if is_numeric(X[c])]
        sample = X[cols]
        if len(sample) > self.max_rows:
            sample = sample.sample(self.max_rows, random_state=self.random_state)
        corr = sample.astype(np.float64).corr().abs().to_numpy()
        self.dropped_: list[str] = []
        for j in range(len(cols)):
            if any(corr[i, j] > self.threshold for i in range(j) if cols[i] not in self.dropped_):
                self.dropped_.append(cols[j])
        self._remember_names(X)
        return self


@FEATURES.register("select_importance")
class SelectImportance(_Dropper):
    """Keep the features a LightGBM finds useful: null importance or permutation importance.

    Uses the target: fit inside CV folds on the training part only. ``null``: gain importance
    with the real target against ``n_null`` fits on shuffled targets; a feature is kept when its
    real gain beats the ``quantile`` of its null gains. ``permutation``: importance on a 25 %
    held-out slice of the training part; kept when its mean exceeds one standard deviation
    over the repeats. Text and datetime columns are
    never dropped (the model does not see them).

    Parameters
    ----------
    method : {"null", "permutation"}
    task : {"binary", "multiclass", "regression"}
    n_estimators : int
        Trees of each LightGBM fit.
    n_null : int
        Shuffled-target fits of the ``null`` method.
    quantile : float
        Null-gain quantile a feature must beat.
    columns : list of str, optional
        Candidate columns; default every numeric / category column.
    random_state : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"s": rng.normal(size=400), "n": rng.normal(size=400)})
    >>> SelectImportance(task="regression").fit(X, X.s * 3).transform(X).columns.tolist()
    ['s']
    """

    recipe_name = "select_importance"

    def __init__(self, method: str = "null", task: str = "binary", n_estimators: int = 100, n_null: int = 5,
                 quantile: float = 0.75, columns: Sequence[str] | None = None,
                 random_state: int = 0) -> None:  # fmt: skip
        self.method = method
        self.task = task
        self.n_estimators = n_estimators
        self.n_null = n_null
        self.quantile = quantile
        self.columns = columns
        self.random_state = random_state

    def _model(self, seed: int) -> Any:
        import lightgbm as lgb

        cls = lgb.LGBMRegressor if self.task == "regression" else lgb.LGBMClassifier
        return cls(n_estimators=self.n_estimators, learning_rate=0.1, num_leaves=31, subsample=0.8,
                   subsample_freq=1, colsample_bytree=0.8, importance_type="gain", verbosity=-1,
                   random_state=seed, n_jobs=2)  # fmt: skip

    def fit(self, X: pd.DataFrame, y: Any = None) -> SelectImportance:
        if y is None:
            raise ModelError("recipe 'select_importance' needs the target y; it cannot be fitted without one")
        check_choice(self.recipe_name, "method", self.method, ("null", "permutation"))
        check_choice(self.recipe_name, "task", self.task, ("binary", "multiclass", "regression"))
        usable = [c for c in X.columns if is_numeric(X[c]) or isinstance(X[c].dtype, pd.CategoricalDtype)]
        cols = pick_columns(X, self.columns, "any", self.recipe_name) if self.columns is not None else usable
        y = np.asarray(y)
        scores = self._null(X[cols], y) if self.method == "null" else self._permutation(X[cols], y)
        self.scores_ = dict(zip(cols, scores.tolist()))
        self.dropped_ = [c for c, s in self.scores_.items() if s <= 0]
        self._remember_names(X)
        return self

    def _null(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(self.random_state)
        real = self._model(self.random_state).fit(X, y).feature_importances_
        null = [self._model(self.random_state + i + 1).fit(X, rng.permutation(y)).feature_importances_
                for i in range(self.n_null)]  # fmt: skip
        return real - np.quantile(np.vstack(null), self.quantile, axis=0)

    def _permutation(self, X: pd.DataFrame, y: np.ndarray) -> np.ndarray:
        from sklearn.inspection import permutation_importance
        from sklearn.model_selection import train_test_split

        strat = y if self.task != "regression" else None
        Xa, Xb, ya, yb = train_test_split(
            X, y, test_size=0.25, random_state=self.random_state, stratify=strat
        )
        model = self._model(self.random_state).fit(Xa, ya)
        result = permutation_importance(model, Xb, yb, n_repeats=5, random_state=self.random_state, n_jobs=1)
        return np.asarray(result.importances_mean - result.importances_std)
