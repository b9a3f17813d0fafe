"""Deprecated import path, kept for one release: ``from compete import RunOptions, run_competition``.

compete 0.1.0's README imported these from ``compete.runner``; they now live in :mod:`compete.run`.
"""

from __future__ import annotations

import warnings

from compete.data.prepared import Prepared, prepare_run, resolve_spec
from compete.run.options import RunOptions
from compete.run.result import RunResult
from compete.run.runner import run_competition

__all__ = ["RunOptions", "RunResult", "run_competition", "prepare_run", "resolve_spec", "Prepared"]

warnings.warn(
    "compete.runner is deprecated: import from compete (`from compete import RunOptions, run_competition`)",
    DeprecationWarning,
    stacklevel=2,
)
