"""Random forest and extra trees (scikit-learn): ordinal-encoded categoricals, NaN handled by the trees.

Numeric and datetime columns go in as floats with NaN kept (scikit-learn's forests route missing
values natively); categorical and text columns are ordinal-encoded with missing values as their own
level and unseen levels as -1. No early stopping: the validation part of a fold is not used.

Under a time limit (``--time-budget``) the forest grows in chunks of :data:`CHUNK` trees (scikit-learn's
``warm_start``) until it has ``n_estimators`` or the next chunk would pass the limit, so a forest can be offered a slice
of the time left as a boosted tree can: it then has fewer trees, never an unfinished one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from compete.models.linear import PipelineModel, preprocessor
from compete.models.registry import MODELS

__all__ = ["RandomForestModel", "ExtraTreesModel", "CHUNK"]

CHUNK = 25  # trees grown at a time under a time limit (the first chunk is always grown)


class _Forest(PipelineModel):
    """Shared body of the two forests; subclasses name the scikit-learn estimators."""

    _classes: tuple[str, str] = ("", "")
    threads_param = "n_jobs"

    @classmethod
    def default_params(cls, task: str) -> dict[str, Any]:
        return {"n_estimators": 300, "max_features": "sqrt" if task != "regression" else 0.5,
                "min_samples_leaf": 2, "n_jobs": -1}  # fmt: skip

    def _fit(self, X: pd.DataFrame, y: np.ndarray, valid: Any, weight: Any,
             params: dict[str, Any], device: str) -> Any:  # fmt: skip
        import sklearn.ensemble
        from sklearn.preprocessing import OrdinalEncoder

        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        cls = getattr(sklearn.ensemble, self._classes[self.task == "regression"])
        est = cls(random_state=self.random_state, **params)
        if self._deadline is None:
            return self._fit_pipeline(X, y, weight, preprocessor(X, encoder, scale=False), est)
        return self._grow(X, y, weight, preprocessor(X, encoder, scale=False), est, self._deadline)

    def _grow(self, X: pd.DataFrame, y: np.ndarray, weight: Any, prep: Any, est: Any, deadline: float) -> Any:
        """The forest grown :data:`CHUNK` trees at a time until it is whole or the time limit is spent."""
        import time

        from sklearn.pipeline import Pipeline

        rows = prep.fit_transform(X, y)
        total, grown, chunk = int(est.get_params()["n_estimators"]), 0, 0.0
        est.set_params(warm_start=True)
        while grown < total and (grown == 0 or time.monotonic() + chunk < deadline):  # the next chunk fits
            t0, grown = time.monotonic(), min(grown + CHUNK, total)
            est.set_params(n_estimators=grown)
            est.fit(rows, y, **({} if weight is None else {"sample_weight": weight}))
            chunk = time.monotonic() - t0
        est.set_params(warm_start=False)
        self.best_iteration_ = None
        return Pipeline([("prep", prep), ("model", est)])

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        # The trees are summed on one thread: on several, the order of the sum (and the last bit of a
        # prediction) depends on which thread finishes first, and a replayed run must match its record.
        self.model_[-1].set_params(n_jobs=1)
        return super()._predict(X)


@MODELS.register("random_forest")
class RandomForestModel(_Forest):
    """scikit-learn's random forest; ``params`` go to the estimator (``n_estimators``, ``max_features``, ...).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": np.arange(100.0)}); y = (X.a > 50).astype(int)
    >>> RandomForestModel(task="binary", params={"n_estimators": 10}).fit(X, y).predict(X.iloc[[0, 99]]).tolist()
    [0, 1]
    """

    name = "random_forest"
    _classes = ("RandomForestClassifier", "RandomForestRegressor")


@MODELS.register("extra_trees")
class ExtraTreesModel(_Forest):
    """scikit-learn's extremely randomised trees; ``params`` go to the estimator.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": np.arange(100.0)}); y = X.a * 2
    >>> float(ExtraTreesModel(task="regression", params={"n_estimators": 10}).fit(X, y).predict(X.iloc[[50]])[0]) > 50
    True
    """

    name = "extra_trees"
    _classes = ("ExtraTreesClassifier", "ExtraTreesRegressor")
