"""Arithmetic mean of the level-1 predictions (optionally weighted by ``params["weights"]``)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from compete.ensemble._blend import fixed_weights, weighted_mean
from compete.ensemble.base import Ensemble, Preds
from compete.ensemble.registry import ENSEMBLES

__all__ = ["MeanEnsemble"]


@ENSEMBLES.register("mean")
class MeanEnsemble(Ensemble):
    """The plain average; learns nothing from the target, so its OOF score needs no extra CV.

    Examples
    --------
    >>> import numpy as np
    >>> ens = MeanEnsemble(task="binary", params={"weights": {"a": 3, "b": 1}})
    >>> ens.fit({"a": np.ones(2), "b": np.zeros(2)}, np.ones(2)).predict({"a": np.ones(1), "b": np.zeros(1)})
    array([0.75])
    """

    name = "mean"
    allowed: ClassVar[dict[str, Any]] = {"weights": None}

    def weights(self) -> dict[str, float]:
        return dict(zip(self.labels_, map(float, fixed_weights(self.labels_, self.p["weights"], self.name))))

    def _predict(self, preds: Preds, X: pd.DataFrame | None) -> np.ndarray:
        w = fixed_weights(self.labels_, self.p["weights"], self.name)
        return weighted_mean(list(preds.values()), w)
