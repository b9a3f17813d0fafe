"""``--time-budget``: a run that plans its time and finishes within the budget.

The plan, in order:

1. **First pass** — each model of the spec with its defaults (boosted trees at learning rate 0.1
   unless the spec sets one). Model *i* of *n* may use an equal
   share of 60% of the time left (time a fast model leaves unused flows to the next ones); each fold's
   fit stops boosting when its share is spent. The first model always finishes, so there is always a
   submission; a later model that cannot finish its folds is dropped.
2. **Second pass** — first the strongest two boosted-tree families are refitted at half their
   learning rate (and half again while it keeps paying and the time left covers about twice the last
   fit's cost): a slower rate is the surest gain a GBDT has left. Then, while the time left covers
   another fit of the strongest fits (judged by their CV score and measured cost), they are refitted
   with new seeds (seed bagging). The ensemble weighs every fit by its out-of-fold score.
3. **Ensemble and writing** — hill climbing over all fits and the run record, from a reserve kept aside
   from the start (8% of the budget, at least 3 s).

Every step's wall time and outcome go into the run record (``scores.json`` → ``budget``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Budget"]

FIRST_PASS_SHARE = 0.6
RESERVE_SHARE, RESERVE_MIN = 0.08, 3.0
MAX_SEED_BAGS = 4
MAX_HALVINGS = 2  # learning rate 0.1 -> 0.05 -> 0.025 at most
HALVING_COST = 2.3  # a fit at half the rate takes about twice the rounds; keep a margin
# Under a budget the boosted trees learn at 0.1 (unless the spec sets a rate): a time-sliced fit at
# the unbudgeted 0.03 stops far short of its best round when seconds are scarce.
FAST_PARAMS = {"lightgbm": {"learning_rate": 0.1}, "xgboost": {"learning_rate": 0.1},
               "catboost": {"learning_rate": 0.1}}  # fmt: skip


@dataclass
class Budget:
    """The clock of one budgeted run.

    Examples
    --------
    >>> b = Budget(100.0)
    >>> 0 < b.left() <= 92.0
    True
    """

    seconds: float
    start: float = field(default_factory=time.monotonic)
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def end(self) -> float:
        """When model fitting must stop (the reserve for ensemble and writing is kept aside)."""
        reserve = max(self.seconds * RESERVE_SHARE, RESERVE_MIN)
        return self.start + max(self.seconds - reserve, 0.0)

    def left(self) -> float:
        return self.end - time.monotonic()

    def first_pass_deadline(self, models_left: int, first: bool) -> float:
        """The deadline of the next first-pass model."""
        if first:
            return self.end - (models_left - 1) * self.left() * FIRST_PASS_SHARE / models_left
        return time.monotonic() + self.left() * FIRST_PASS_SHARE / models_left

    def record(self, step: str, seconds: float, status: str, **info: Any) -> None:
        self.steps.append({"step": step, "seconds": round(seconds, 2), "status": status, **info})

    def summary(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "spent": round(time.monotonic() - self.start, 2),
            "steps": self.steps,
        }


def fast_models(models: list[Any]) -> list[Any]:
    """The spec's models with :data:`FAST_PARAMS` under their own parameters."""
    from compete.spec import ModelSpec

    return [ModelSpec(m.name, {**FAST_PARAMS.get(m.name, {}), **m.params}, m.alias) for m in models]


def seed_bag_plan(results: list[Any], greater_is_better: bool) -> list[Any]:
    """The best fit of each of the two strongest model families, strongest first."""
    sign = 1.0 if greater_is_better else -1.0
    best: dict[str, Any] = {}
    for r in sorted(results, key=lambda r: -sign * r.score):
        best.setdefault(r.name, r)
    return list(best.values())[:2]


def slower(result: Any) -> Any:
    """``result``'s model at half its learning rate, as a :class:`~compete.spec.ModelSpec`; ``None``
    for a model without a learning rate among its parameters (only the boosted trees get one here)."""
    from compete.spec import ModelSpec

    rate = result.params.get("learning_rate")
    if result.name not in FAST_PARAMS or not isinstance(rate, int | float):
        return None
    base = result.label.split("@")[0]
    return ModelSpec(result.name, {**result.params, "learning_rate": rate / 2}, f"{base}@lr{rate / 2:g}")
