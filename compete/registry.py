"""Registries of named components (models, recipes, samplers, ensembles, metrics).

Modelled on explosion's ``catalogue``: ``@registry.register("name")`` adds an entry, an unknown
name raises an error that lists the known ones, and a name registered twice is refused (so one
entry can never silently replace another). Code run inside :meth:`Registry.scoped` (a competition's
own ``recipes.py``) registers into a table of its own instead of the process-wide registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from compete.errors import SpecError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """A name → object mapping with helpful errors.

    Parameters
    ----------
    kind : str
        What the entries are ("model", "recipe", ...), used in error messages.

    Examples
    --------
    >>> models = Registry("model")
    >>> @models.register("const")
    ... class Const: ...
    >>> models.get("const").__name__
    'Const'
    >>> models.register("const")(int)
    Traceback (most recent call last):
    ...
    compete.errors.SpecError: model 'const' is registered twice (compete.registry.Const, then builtins.int); give one of them another name
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._scopes: list[dict[str, T]] = []

    def register(self, name: str) -> Callable[[T], T]:
        """A decorator adding its object as ``name``; a name already taken raises :class:`SpecError`."""

        def add(obj: T) -> T:
            target = self._scopes[-1] if self._scopes else self._entries
            taken = self._entries.get(name, target.get(name))
            if name in self._entries or name in target:
                raise SpecError(f"{self.kind} {name!r} is registered twice ({_origin(taken)}, then {_origin(obj)}); "
                                "give one of them another name")  # fmt: skip
            target[name] = obj
            return obj

        return add

    @contextmanager
    def scoped(self) -> Iterator[dict[str, T]]:
        """Registrations made inside the block go into the yielded table, not into the registry.

        Examples
        --------
        >>> recipes = Registry("recipe")
        >>> with recipes.scoped() as own:
        ...     _ = recipes.register("mine")(str)
        >>> sorted(own), "mine" in recipes
        (['mine'], False)
        """
        scope: dict[str, T] = {}
        self._scopes.append(scope)
        try:
            yield scope
        finally:
            self._scopes.remove(scope)

    def get(self, name: str, *, where: str = "") -> T:
        if name not in self._entries:
            known = ", ".join(sorted(self._entries)) or "(none)"
            at = f" in {where}" if where else ""
            raise SpecError(f"unknown {self.kind} {name!r}{at}; known {self.kind}s: {known}")
        return self._entries[name]

    def names(self) -> list[str]:
        return sorted(self._entries)

    def items(self) -> Iterator[tuple[str, T]]:
        yield from sorted(self._entries.items())

    def __contains__(self, name: object) -> bool:
        return name in self._entries


def _origin(obj: Any) -> str:
    """``module.QualName`` of a registered object, for error messages."""
    module = getattr(obj, "__module__", None) or type(obj).__module__
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}.{name}"
