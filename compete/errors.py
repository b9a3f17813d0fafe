"""One exception family for everything a user can get wrong.

The library raises these; only the CLI turns them into a message and exit code 2.
Every message names the file, column or key, shows the bad value and says what to do.
"""

from __future__ import annotations

__all__ = ["CompeteError", "SpecError", "DataError", "ModelError", "DeviceError", "RunError"]


class CompeteError(Exception):
    """Base class of every error compete raises on bad input or configuration."""


class SpecError(CompeteError):
    """The competition spec (competition.toml) is malformed or names something unknown."""


class DataError(CompeteError):
    """A data file is missing, empty, or does not match the spec."""


class ModelError(CompeteError):
    """A model, recipe, sampler or ensemble was configured in a way that cannot work."""


class DeviceError(CompeteError):
    """A GPU was asked for but none is usable."""


class RunError(CompeteError):
    """A past run or its records cannot be found or combined."""
