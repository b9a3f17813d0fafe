"""The ordered recipes of a spec, as the object the fold loop calls.

``build_pipeline(spec.features, task=..., seed=...)`` resolves each :class:`~compete.spec.StepSpec`
(a registered name, a ``package.module:Class`` import path, or a name from the competition's own
``recipes.py``), checks its parameters, and returns a :class:`FeaturePipeline`. The fold loop
calls ``fit_transform_train`` on each fold's training part only, then ``transform`` on the
validation part and the test set.

A competition's ``recipes.py`` is that competition's alone: what it registers with
``@FEATURES.register`` goes into a table kept for its folder (:meth:`~compete.registry.Registry.scoped`),
never into the process-wide :data:`FEATURES`, so the next competition run in the same process does
not see it. :func:`check_steps` checks at spec load whatever can be decided without running the
competition's own code.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from compete.errors import ModelError, SpecError
from compete.features.registry import FEATURES

__all__ = [
    "FeaturePipeline",
    "build_pipeline",
    "check_steps",
    "describe_recipes",
    "recipes_module",
    "load_recipes_file",
]

INJECTED = ("task", "random_state")


class FeaturePipeline:
    """Fitted-per-fold chain of recipes.

    Parameters
    ----------
    steps : list of (label, transformer)
        The recipes, in order.

    Examples
    --------
    >>> from compete.spec import StepSpec
    >>> pipe = build_pipeline([StepSpec("count_encode", {})], task="binary", seed=0)
    >>> X = pd.DataFrame({"c": pd.Categorical(list("aab"))})
    >>> Xt, yt = pipe.fit_transform_train(X, [0, 1, 1])
    >>> pipe.transform(X.tail(1))["c__count"].tolist()
    [1.0]
    """

    def __init__(self, steps: list[tuple[str, Any]]) -> None:
        self.steps = steps

    def fit_transform_train(self, X: pd.DataFrame, y: Any,
                            unlabeled: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Any]:  # fmt: skip
        """Fit every recipe on the training part ``X, y``; return the transformed part and its targets.

        ``unlabeled`` (feature rows without targets: the fold's validation part and the test set)
        feeds only the recipes with ``use_test = true``. Row-dropping recipes act here only.
        """
        need_u = [
            any(getattr(s, "use_test", False) for _, s in self.steps[i:]) for i in range(len(self.steps))
        ]
        for i, (label, step) in enumerate(self.steps):
            U = unlabeled if need_u[i] else None
            if hasattr(step, "fit_resample"):
                X, y = step.fit_resample(X, y)
                continue
            index = X.index
            if U is not None and getattr(step, "use_test", False):
                X = step.fit_transform(X, y, unlabeled=U)
            else:
                X = step.fit_transform(X, y)
            self._check_index(label, index, X)
            if U is not None and i + 1 < len(self.steps) and need_u[i + 1]:
                unlabeled = step.transform(U)
        return X, y

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Apply the fitted recipes to rows they were not fitted on (validation part, test set)."""
        for label, step in self.steps:
            index = X.index
            X = step.transform(X)
            self._check_index(label, index, X)
        return X

    @staticmethod
    def _check_index(label: str, index: pd.Index, out: Any) -> None:
        if not isinstance(out, pd.DataFrame) or not out.index.equals(index):
            raise ModelError(f"{label}: a recipe must return a pandas DataFrame with the input's index "
                             f"(got {type(out).__name__}); fix the recipe's transform")  # fmt: skip

    def get_feature_names_out(self) -> list[str]:
        return list(self.steps[-1][1].get_feature_names_out()) if self.steps else []


def _param_names(cls: Any) -> list[str] | None:
    """Constructor parameters of ``cls``; None when it takes ``**kwargs``."""
    if hasattr(cls, "_get_param_names"):
        return list(cls._get_param_names())
    params = list(inspect.signature(cls).parameters.values())
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params if p.kind is not p.VAR_POSITIONAL]


@dataclass
class _UserRecipes:
    """A competition's ``recipes.py``: the module and the recipes it registered (its own table)."""

    path: Path
    module: ModuleType
    registered: dict[str, type]

    def get(self, name: str) -> type | None:
        if name in self.registered:
            return self.registered[name]
        obj = getattr(self.module, name, None)
        return obj if inspect.isclass(obj) else None


_USER_MODULES: dict[str, _UserRecipes] = {}


def _user_module(spec_dir: str | Path | None) -> _UserRecipes | None:
    """The competition's ``recipes.py``, imported once per folder; its registrations stay its own."""
    if spec_dir is None:
        return None
    path = Path(spec_dir) / "recipes.py"
    if not path.is_file():
        return None
    key = str(path.resolve())
    if key not in _USER_MODULES:
        name = "compete_user_recipes_" + hashlib.sha1(key.encode()).hexdigest()[:10]
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            with FEATURES.scoped() as registered:
                spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        _USER_MODULES[key] = _UserRecipes(path, module, registered)
    return _USER_MODULES[key]


def recipes_module(spec_dir: str | Path | None) -> ModuleType | None:
    """The competition's ``recipes.py`` as imported for its runs (``None`` when it has none): its
    module name is what pickled recipes of that competition refer to."""
    own = _user_module(spec_dir)
    return own.module if own is not None else None


def load_recipes_file(path: Path, name: str) -> ModuleType:
    """Import a copy of a competition's ``recipes.py`` under the module ``name`` its run used, so that
    the run's pickled recipes load elsewhere (``compete predict`` on an exported run)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with FEATURES.scoped():
        spec.loader.exec_module(module)
    return module


def _resolve(name: str, where: str, spec_dir: str | Path | None) -> type:
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
        except (ImportError, AttributeError) as exc:
            raise SpecError(f"{where}: cannot import recipe {name!r} ({exc}); "
                            "write it as package.module:Class with the package importable") from None  # fmt: skip
    own = _user_module(spec_dir)  # imported even for a built-in name: a clash with one fails here
    if name in FEATURES:
        return FEATURES.get(name)
    found = own.get(name) if own is not None else None
    if found is not None:
        return found
    raise SpecError(_unknown(name, where, own.path if own is not None else None))


def _unknown(name: str, where: str, recipes: Path | None) -> str:
    mine = f", the recipes and classes of {recipes}" if recipes is not None else ""
    return (f"{where}: unknown recipe {name!r}; known recipes: {', '.join(FEATURES.names())}{mine}; "
            "or write package.module:Class")  # fmt: skip


def _make(step: Any, i: int, task: str, seed: int, spec_dir: str | Path | None) -> tuple[str, Any]:
    where = f"features[{i}]"
    cls = _resolve(step.name, where, spec_dir)
    params = dict(step.params)
    known = _param_names(cls)
    if known is not None:
        for key in params:
            if key not in known:
                raise SpecError(f"{where}: recipe {step.name!r} has no parameter {key!r}; "
                                f"known parameters: {', '.join(known) or '(none)'}")  # fmt: skip
        for key, value in zip(INJECTED, (task, seed)):
            if key in known and key not in params:
                params[key] = value
    try:
        return f"{where} ({step.name})", cls(**params)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: recipe {step.name!r} rejected its parameters: {exc}") from None


def check_steps(steps: Sequence[Any], *, task: str, seed: int, spec_dir: str | Path | None) -> None:
    """Check the ``[[features]]`` steps as far as a spec load can without running user code.

    A built-in recipe is checked fully (name, parameters, construction). Any other name is unknown
    unless it is an import path (``package.module:Class``, imported when the run builds its
    pipeline) or the competition has a ``recipes.py`` (which defines its names when it runs).
    """
    has_own = spec_dir is not None and (Path(spec_dir) / "recipes.py").is_file()
    for i, step in enumerate(steps):
        if step.name in FEATURES:
            _make(step, i, task, seed, None)
        elif ":" not in step.name and not has_own:
            raise SpecError(_unknown(step.name, f"features[{i}].recipe", None))


def build_pipeline(steps: Sequence[Any], *, task: str, seed: int,
                   spec_dir: str | Path | None = None) -> FeaturePipeline:  # fmt: skip
    """Turn the spec's ``[[features]]`` list into a :class:`FeaturePipeline`.

    ``task`` and ``seed`` fill the recipes' ``task`` / ``random_state`` parameters unless the spec
    sets them. An unknown recipe or parameter raises :class:`SpecError` naming ``features[i]``.
    """
    return FeaturePipeline([_make(s, i, task, seed, spec_dir) for i, s in enumerate(steps)])


def describe_recipes() -> list[tuple[str, str, str]]:
    """``(name, parameters with defaults, one-line description)`` of every registered recipe."""
    rows = []
    for name, cls in FEATURES.items():
        params = list(inspect.signature(cls).parameters.values())
        shown = ", ".join(f"{p.name}={p.default!r}" for p in params)
        doc = (inspect.getdoc(cls) or "").strip().splitlines()
        rows.append((name, shown, doc[0] if doc else ""))
    return rows
