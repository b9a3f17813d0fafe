"""Integer group ids for one key column or a combination of key columns, fast on millions of rows.

Each key column gets codes against the values seen at fit (a missing key is a level of its own,
an unseen one gets -1); a combination is a mixed-radix number, used directly as the group id when
the product of the sizes is small, else compressed through the combinations seen at fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["KeyCoder"]

DENSE_LIMIT = 1 << 22


def _levels(frames: Sequence[pd.DataFrame], col: str) -> pd.Index:
    series = [f[col] for f in frames]
    if all(isinstance(s.dtype, pd.CategoricalDtype) for s in series):
        levels = series[0].cat.categories
        for s in series[1:]:
            levels = levels.append(s.cat.categories.difference(levels, sort=False))
        return levels
    values = pd.concat([s.dropna() for s in series], ignore_index=True)
    return pd.Index(pd.unique(values))


def _column_codes(s: pd.Series, levels: pd.Index) -> np.ndarray:
    """Codes of ``s`` in ``levels``; missing → len(levels); unseen → -1."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        lookup = np.arange(len(cats)) if cats.equals(levels) else levels.get_indexer(cats)
        lookup = np.append(lookup, len(levels)).astype(np.int64)
        return lookup[s.cat.codes.to_numpy()]
    codes = levels.get_indexer(s).astype(np.int64)
    codes[s.isna().to_numpy()] = len(levels)
    return codes


class KeyCoder:
    """Map rows to group ids of the key columns seen at fit.

    Examples
    --------
    >>> X = pd.DataFrame({"a": ["x", "y", "x"], "b": [1, 1, 2]})
    >>> coder = KeyCoder(["a", "b"]).fit([X])
    >>> coder.codes(X).tolist() == coder.codes(X.iloc[[0, 1, 2]]).tolist()
    True
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = list(keys)

    def fit(self, frames: Sequence[pd.DataFrame]) -> KeyCoder:
        self.levels_ = [_levels(frames, k) for k in self.keys]
        self.sizes_ = np.array([len(lv) + 1 for lv in self.levels_], dtype=np.int64)
        self.dense_ = float(np.prod(self.sizes_.astype(float))) <= DENSE_LIMIT
        if not self.dense_:
            seen = np.concatenate([self._radix(f) for f in frames])
            self.combos_ = pd.Index(np.unique(seen[seen >= 0]))
        return self

    @property
    def n_groups(self) -> int:
        return int(np.prod(self.sizes_)) if self.dense_ else len(self.combos_)

    def _radix(self, frame: pd.DataFrame) -> np.ndarray:
        out: np.ndarray | None = None
        for key, levels, size in zip(self.keys, self.levels_, self.sizes_):
            codes = _column_codes(frame[key], levels)
            if out is None:
                out = codes
            else:
                bad = (out < 0) | (codes < 0)
                out = out * size + codes
                out[bad] = -1
        assert out is not None
        return out

    def codes(self, frame: pd.DataFrame) -> np.ndarray:
        """Group id of every row of ``frame`` (int64); -1 for a key combination unseen at fit."""
        radix = self._radix(frame)
        if self.dense_:
            return radix
        ids = self.combos_.get_indexer(radix).astype(np.int64)
        ids[radix < 0] = -1
        return ids
