"""Weighted averages shared by the averaging methods (mean, rank, geometric, hill climbing)."""

from __future__ import annotations

from typing import Any

import numpy as np

from compete.errors import ModelError

__all__ = ["fixed_weights", "weighted_mean", "renormalize"]


def fixed_weights(labels: list[str], given: dict[str, Any] | None, method: str) -> np.ndarray:
    """Normalised weights from ``params["weights"]`` (label → weight); equal weights when not given."""
    if not given:
        return np.full(len(labels), 1.0 / len(labels))
    unknown = sorted(set(given) - set(labels))
    if unknown:
        raise ModelError(f"ensemble {method!r}: weights name unknown model(s) {unknown}; models: {labels}")
    w = np.array([float(given.get(k, 0.0)) for k in labels])
    if (w < 0).any() or w.sum() <= 0:
        raise ModelError(f"ensemble {method!r}: weights must be >= 0 with a positive sum; got {given}")
    return w / w.sum()


def weighted_mean(arrays: list[np.ndarray], w: np.ndarray) -> np.ndarray:
    """``sum(w_i * a_i)`` for weights that sum to one."""
    out = np.zeros_like(arrays[0], dtype=float)
    for a, wi in zip(arrays, w):
        if wi:
            out += wi * a
    return out


def renormalize(p: np.ndarray) -> np.ndarray:
    """Rows of a multiclass probability matrix rescaled to sum to one (1-D input returned as is)."""
    if p.ndim != 2:
        return p
    s = p.sum(axis=1, keepdims=True)
    return p / np.where(s > 0, s, 1.0)
