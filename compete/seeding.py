"""One seed in, every other seed derived: same seed, same folds, same models, same submission."""

from __future__ import annotations

import hashlib

__all__ = ["derive_seed"]


def derive_seed(seed: int, *keys: object) -> int:
    """A stable 31-bit seed for ``keys`` (fold number, model label, bag, ...) under ``seed``.

    Examples
    --------
    >>> derive_seed(42, "lightgbm", 0) == derive_seed(42, "lightgbm", 0)
    True
    """
    text = "|".join(str(k) for k in (seed, *keys)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:4], "little") & 0x7FFFFFFF
