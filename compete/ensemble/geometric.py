"""Geometric mean of the level-1 predictions.

Binary: the normalised geometric mean of P(1) and P(0), i.e. the mean of the log-odds, mapped back
through the sigmoid. Multiclass: ``exp(mean(log p))`` renormalised per row. Regression: the geometric
mean of the values, defined only for positive predictions (anything else is a clear error).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from compete.ensemble._blend import fixed_weights, renormalize, weighted_mean
from compete.ensemble.base import Ensemble, Preds
from compete.ensemble.registry import ENSEMBLES
from compete.errors import ModelError

__all__ = ["GeometricEnsemble"]

EPS = 1e-15


@ENSEMBLES.register("geometric")
class GeometricEnsemble(Ensemble):
    """Geometric mean of probabilities (or of positive regression values).

    Examples
    --------
    >>> import numpy as np
    >>> ens = GeometricEnsemble(task="regression").fit({"a": np.ones(1), "b": np.ones(1)}, np.ones(1))
    >>> ens.predict({"a": np.array([1.0]), "b": np.array([4.0])}).tolist()
    [2.0]
    """

    name = "geometric"
    allowed: ClassVar[dict[str, Any]] = {"weights": None}

    def weights(self) -> dict[str, float]:
        return dict(zip(self.labels_, map(float, fixed_weights(self.labels_, self.p["weights"], self.name))))

    def _predict(self, preds: Preds, X: pd.DataFrame | None) -> np.ndarray:
        w = fixed_weights(self.labels_, self.p["weights"], self.name)
        arrays = list(preds.values())
        if self.task == "binary":
            p = [np.clip(a, EPS, 1 - EPS) for a in arrays]
            z = weighted_mean([np.log(a) - np.log1p(-a) for a in p], w)
            return 1.0 / (1.0 + np.exp(-z))
        if self.task == "multiclass":
            logs = weighted_mean([np.log(np.clip(a, EPS, 1.0)) for a in arrays], w)
            return renormalize(np.exp(logs - logs.max(axis=1, keepdims=True)))
        bad = [k for k, a in preds.items() if (a <= 0).any()]
        if bad:
            raise ModelError(
                f"ensemble 'geometric' needs positive regression predictions; {bad} have values <= 0; "
                "use method 'mean' or 'hill_climb' instead"
            )
        return np.exp(weighted_mean([np.log(a) for a in arrays], w))
