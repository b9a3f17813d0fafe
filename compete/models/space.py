"""Search spaces seen through a spec: each tunable model's ``search_space(trial, task)`` drawn with the
spec's ``[tune.<model>]`` table fixing, narrowing or choosing values, and that table's format checked.

The search space itself is the model adapter's knowledge (``search_space`` beside ``default_params``);
this module is the one place that reads a space with overrides, for ``compete tune``, the time
budget's tuning turns and the spec's load-time check (a dry run through :class:`LowestView`).
"""

from __future__ import annotations

from typing import Any, Protocol

from compete.errors import SpecError

__all__ = ["SearchView", "LowestView", "draw_params", "check_search_override"]


class ModelEntry(Protocol):
    """A model of the spec (:class:`compete.spec.ModelSpec`): its registered name, label and params."""

    @property
    def name(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def params(self) -> dict[str, Any]: ...


class SearchView:
    """A trial seen through the spec's overrides: fixed values, narrowed ranges, chosen subsets."""

    def __init__(self, trial: Any, overrides: dict[str, Any]) -> None:
        self.trial, self.overrides = trial, overrides
        self.seen: set[str] = set()

    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> Any:
        return self._suggest(name, "float", low=low, high=high, log=log, step=step)

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False, step: int = 1) -> Any:
        return self._suggest(name, "int", low=low, high=high, log=log, step=step)

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return self._suggest(name, "categorical", choices=list(choices))

    def _suggest(self, name: str, kind: str, **space: Any) -> Any:
        self.seen.add(name)
        value = self.overrides.get(name, space)
        if isinstance(value, list):
            value = {"choices": value}
        if not isinstance(value, dict):
            return value
        if "choices" in value:
            return self.trial.suggest_categorical(name, value["choices"])
        space = {**space, **value}
        if space.get("log"):
            space["step"] = None if kind == "float" else 1
        fn = self.trial.suggest_float if kind == "float" else self.trial.suggest_int
        return fn(name, space["low"], space["high"], log=bool(space.get("log")), step=space.get("step"))


class LowestView:
    """Stands in for a trial in a dry run that checks the overrides against the space."""

    def suggest_float(self, name: str, low: float, high: float, **_: Any) -> float:
        return low

    suggest_int = suggest_float  # type: ignore[assignment]

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return list(choices)[0]


def draw_params(trial: Any, model: ModelEntry, task: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The trial's parameters: the spec's ``params``, then the drawn ones, then fixed extras.

    >>> from compete.spec import ModelSpec
    >>> params = draw_params(LowestView(), ModelSpec("lightgbm"), "binary", {"num_leaves": 63})
    >>> params["num_leaves"], params["learning_rate"]
    (63, 0.005)
    """
    from compete.models import MODELS

    view = SearchView(trial, overrides)
    cls: Any = MODELS.get(model.name)
    drawn = cls.search_space(view, task)
    extras = {k: v for k, v in overrides.items() if k not in view.seen}
    ranged = sorted(k for k, v in extras.items() if isinstance(v, dict | list))
    if ranged:
        raise SpecError(f"tune.{model.label}.{ranged[0]}: not in {model.name}'s search space, so it cannot be "
                        f"narrowed (fix it with a plain value instead); searched: {', '.join(sorted(view.seen))}")  # fmt: skip
    return {**model.params, **drawn, **extras}


def check_search_override(key: str, value: Any) -> None:
    """Check one search override: a fixed value, a ``{low, high[, log, step]}`` range or choices."""
    if isinstance(value, dict):
        allowed = {"low", "high", "log", "step"} if "choices" not in value else {"choices"}
        if set(value) - allowed or ("choices" not in value and not {"low", "high"} <= set(value)):
            raise SpecError(f"{key}: got {value!r}; write {{low = A, high = B}} (optionally log, step) to narrow "
                            "a range, {choices = [...]} or a list to choose, or a plain value to fix it")  # fmt: skip
        if "choices" not in value and not value["low"] <= value["high"]:
            raise SpecError(f"{key}: low {value['low']!r} is above high {value['high']!r}")
    elif isinstance(value, list) and not value:
        raise SpecError(f"{key}: an empty list of choices; give at least one value")
