"""Registries of named components (models, recipes, samplers, ensembles, metrics).

Modelled on explosion's ``catalogue``: ``@registry.register("name")`` adds an entry, an unknown
name raises an error that lists the known ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

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
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            self._entries[name] = obj
            return obj

        return add

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
