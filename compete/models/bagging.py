"""Bagging as a model: the same base model refitted on perturbed copies of a fold's training part, averaged.

Seed bagging by default (every bag sees all rows and columns, only the seed changes); ``bootstrap``
draws rows with replacement, ``row_subsample`` / ``col_subsample`` draw fractions without replacement.
A bag is a model like any other, so the fold loop fits it on each training part only and its OOF score
is honest. The validation part is passed through to the base model (its early stopping).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from compete.errors import ModelError
from compete.models import forest, linear  # noqa: F401  (registration: any of them can be a base)
from compete.models.base import Model
from compete.models.registry import MODELS

__all__ = ["BaggingModel", "base_libraries", "base_model", "check_params", "member_seeds", "pad"]


def check_params(name: str, params: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Reject unknown keys and a base that is not a registered model."""
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ModelError(
            f"model {name!r}: unknown parameter(s) {unknown}; allowed: {', '.join(sorted(defaults))}"
        )
    bases = params["base"] if isinstance(params["base"], list) else [params["base"]]
    for base in bases:
        MODELS.get(base, where=f"models.{name}.base")
    if not isinstance(params.get("base_params") or {}, dict | list):
        raise ModelError(f"model {name!r}: base_params must be a table (dict); got {params['base_params']!r}")


def base_libraries(params: dict[str, Any] | None) -> tuple[str, ...]:
    """The libraries a wrapper's base models need to predict (lightgbm, the default base, if unnamed)."""
    from compete.models import MODELS

    bases = (params or {}).get("base", "lightgbm")
    names = bases if isinstance(bases, list) else [bases]
    return tuple(sorted({lib for name in names for lib in MODELS.get(name).requires}))


def base_model(owner: Model, name: str, params: dict[str, Any] | None, seed: int, device: str) -> Model:
    """A fresh base model named ``name`` configured like ``owner`` (task, early stopping)."""
    cls = MODELS.get(name, where=f"models.{owner.name}.base")
    return cls(task=owner.task, params=params, device=device, random_state=seed,  # type: ignore[no-any-return]
               early_stopping_rounds=owner.early_stopping_rounds)  # fmt: skip


def member_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent 31-bit seeds derived from ``seed``."""
    return [int(s.generate_state(1)[0] & 0x7FFFFFFF) for s in np.random.SeedSequence(seed).spawn(n)]


@MODELS.register("bag")
class BaggingModel(Model):
    """Average of ``n_bags`` base models refitted with different seeds (and optionally row/column samples).

    Parameters (``params``): ``base`` (a registered model name, default "lightgbm"), ``base_params``,
    ``n_bags`` (5), ``bootstrap`` (false), ``row_subsample`` (1.0), ``col_subsample`` (1.0).

    Attributes
    ----------
    members_ : list of (columns, Model)

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": np.arange(100.0), "b": np.ones(100)}); y = X.a * 2
    >>> m = BaggingModel(task="regression", params={"base": "linear", "n_bags": 3, "col_subsample": 0.5}).fit(X, y)
    >>> len(m.members_)
    3
    """

    name = "bag"

    def libraries(self) -> tuple[str, ...]:
        return base_libraries(self.params)

    @classmethod
    def default_params(cls, task: str) -> dict[str, Any]:
        return {"base": "lightgbm", "base_params": {}, "n_bags": 5, "bootstrap": False,
                "row_subsample": 1.0, "col_subsample": 1.0}  # fmt: skip

    def _fit(self, X: pd.DataFrame, y: np.ndarray, valid: Any, weight: Any,
             params: dict[str, Any], device: str) -> Any:  # fmt: skip
        check_params(self.name, params, self.default_params(self.task))
        for key in ("row_subsample", "col_subsample"):
            if not 0 < float(params[key]) <= 1:
                raise ModelError(f"model 'bag': {key} = {params[key]!r}; use a fraction in (0, 1]")
        if int(params["n_bags"]) < 1:
            raise ModelError(f"model 'bag': n_bags = {params['n_bags']!r}; use 1 or more")
        members = []
        for seed in member_seeds(self.random_state, int(params["n_bags"])):
            rng = np.random.default_rng(seed)
            rows, cols = self._draw(rng, len(X), list(X.columns), params)
            m = base_model(self, params["base"], params["base_params"], seed, device)
            Xv, yv = (None, None) if valid is None else (valid[0][cols], valid[1])
            w = None if weight is None else weight[rows]
            m.fit(X.iloc[rows][cols], y[rows], X_valid=Xv, y_valid=yv, sample_weight=w)
            members.append((cols, m))
        self.best_iteration_ = None
        return members

    @staticmethod
    def _draw(
        rng: np.random.Generator, n: int, columns: list[Any], p: dict[str, Any]
    ) -> tuple[np.ndarray, list]:
        if p["bootstrap"]:
            rows = np.sort(rng.integers(0, n, size=max(1, round(n * float(p["row_subsample"])))))
        elif float(p["row_subsample"]) < 1:
            rows = np.sort(rng.choice(n, size=max(1, round(n * float(p["row_subsample"]))), replace=False))
        else:
            rows = np.arange(n)
        if float(p["col_subsample"]) < 1:
            k = max(1, round(len(columns) * float(p["col_subsample"])))
            keep = set(rng.choice(len(columns), size=k, replace=False).tolist())
            columns = [c for j, c in enumerate(columns) if j in keep]
        return rows, columns

    @property
    def members_(self) -> list[tuple[list, Model]]:
        return self.model_  # type: ignore[no-any-return]

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        preds = [pad(m.predict_raw(X[cols]), self.n_classes_, self.task) for cols, m in self.model_]
        return np.mean(preds, axis=0)


def pad(out: np.ndarray, n_classes: int, task: str) -> np.ndarray:
    """A member's multiclass output widened to ``n_classes`` columns (classes it never saw get 0)."""
    if task != "multiclass" or out.shape[1] == n_classes:
        return out
    wide = np.zeros((len(out), n_classes))
    wide[:, : out.shape[1]] = out
    return wide
