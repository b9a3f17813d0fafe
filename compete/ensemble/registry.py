"""The ensemble registry; methods add themselves with ``@ENSEMBLES.register("name")``."""

from __future__ import annotations

from compete.registry import Registry

__all__ = ["ENSEMBLES"]

ENSEMBLES: Registry[type] = Registry("ensemble")
