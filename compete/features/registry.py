"""The recipe registry; each recipe module adds itself with ``@FEATURES.register("name")``."""

from __future__ import annotations

from compete.registry import Registry

__all__ = ["FEATURES"]

FEATURES: Registry[type] = Registry("recipe")
