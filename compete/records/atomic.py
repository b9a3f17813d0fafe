"""Writing a file so that a reader never sees half of it: a temporary file beside it, then a rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pandas as pd

__all__ = ["write_atomic", "write_text_atomic"]


def write_atomic(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV to a temporary file beside ``path``, then rename it into place."""
    return _replace_into(path, lambda fh: frame.to_csv(fh, index=False))


def write_text_atomic(text: str, path: str | Path) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    return _replace_into(path, lambda fh: fh.write(text))


def _replace_into(path: str | Path, write: Callable[[IO[str]], object]) -> Path:
    """Write through ``write`` to a temporary file, then rename it to ``path``; always UTF-8, whatever
    the platform's locale (a C/POSIX locale would otherwise refuse a label such as "é")."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a submission or report is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
