"""The model registry; adapters add themselves with ``@MODELS.register("name")``."""

from __future__ import annotations

from compete.registry import Registry

MODELS: Registry[type] = Registry("model")
