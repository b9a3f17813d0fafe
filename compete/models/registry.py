"""The model registry; adapters add themselves with ``@MODELS.register("name")``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compete.registry import Registry

if TYPE_CHECKING:
    from compete.models.base import Model

MODELS: Registry[type[Model]] = Registry("model")
