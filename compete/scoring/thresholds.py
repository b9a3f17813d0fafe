"""Decision thresholds for label metrics, chosen on out-of-fold predictions only.

A model outputs probabilities; a metric such as accuracy, f1 or recall at a precision floor scores
labels, and the default cut (0.5, or argmax) is rarely the best one on an imbalanced target. The
cut is chosen on the **OOF predictions** of the training rows (each one predicted by a model that
did not see it), never on the test set, and then applied unchanged to the test predictions.

* binary: a threshold ``t`` on P(1), label = ``P(1) >= t``. The candidates are the midpoints
  between consecutive unique OOF values (unique quantiles when there are more than ``grid``),
  and 0.5; every candidate is scored at once from sorted cumulative counts (O(n log n)).
* multiclass: per-class multiplicative weights ``w``, label = ``argmax(P * w)``, found by
  coordinate search (each class's weight over a geometric grid, a few rounds, keeping a change
  only when it strictly improves the OOF score).
* ordinal (quadratic weighted kappa on several classes): also ``K - 1`` ascending cut points on the
  expected class ``sum_k k * P(k)``, label = how many cuts it reaches, found by the same coordinate
  search (each cut over a grid between its neighbours): the "optimised rounder" of ordinal Kaggle
  competitions, which reads how far apart two classes are where argmax does not. The rule with the
  better OOF score is kept.

Metrics that score probabilities (auc, logloss, average_precision) need no threshold:
:func:`choose_threshold` returns ``None`` for them.

The OOF score at the chosen threshold is optimistic by a little (the cut was fitted to those
rows); :attr:`Threshold.default_score` keeps the score at the default cut for comparison.

Floor metrics: :func:`floor_metric` builds ``recall_at_precision_<floor>`` (recall, or 0 when the
precision is below the floor) and ``precision_at_recall_<floor>``; register them in
:data:`compete.scoring.metrics.METRICS` to use them as a competition metric.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from compete.errors import SpecError
from compete.scoring.metrics import (
    CONFUSION_METRICS,
    FLOOR_KINDS,
    Metric,
    confusion,
    floor_metric,
    from_confusion,
    get_metric,
    to_labels,
)

__all__ = [
    "Threshold",
    "macro_f1",
    "choose_threshold",
    "apply_threshold",
    "cross_fitted_score",
    "cross_fitted_labels",
    "floor_metric",
    "FLOOR_KINDS",
]


@dataclass(frozen=True)
class Threshold:
    """A decision rule chosen on OOF predictions.

    Parameters
    ----------
    value : float or tuple of float
        Binary: the cut on P(1). Multiclass: one weight per class (probabilities are multiplied
        by them before the argmax).
    score : float
        The metric on the OOF predictions at this threshold.
    default_score : float
        The metric on the OOF predictions at the default rule (0.5 or argmax).

    Examples
    --------
    >>> t = Threshold(0.3, 0.8, 0.7)
    >>> apply_threshold(np.array([0.2, 0.4]), t).tolist()
    [0, 1]
    """

    value: float | tuple[float, ...]
    score: float
    default_score: float
    ordinal: bool = False  # value holds cut points on the expected class (see the module), not weights

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        out = {"threshold": value, "score": self.score, "default_score": self.default_score}
        return {**out, "ordinal": True} if self.ordinal else out


def choose_threshold(y: Any, oof: Any, metric: str | Metric, grid: int = 2048) -> Threshold | None:
    """The decision threshold that maximises (or minimises) ``metric`` on OOF predictions.

    Parameters
    ----------
    y : array-like
        Encoded targets of the training rows.
    oof : array-like
        Their out-of-fold predictions: 1-D P(1) (binary) or ``(n, K)`` probabilities.
    metric : str or Metric
        A label metric; for a metric that scores probabilities the result is ``None``.
    grid : int
        Most candidate cuts for a binary target.

    Examples
    --------
    >>> y = np.array([0, 0, 0, 1, 1]); p = np.array([0.1, 0.2, 0.3, 0.35, 0.4])
    >>> t = choose_threshold(y, p, "accuracy")
    >>> round(t.value, 3), t.score, t.default_score
    (0.325, 1.0, 0.6)
    >>> choose_threshold(y, p, "auc") is None
    True
    """
    m = metric if isinstance(metric, Metric) else get_metric(metric)
    if m.needs != "label":
        return None
    y, oof = np.asarray(y).astype(int), np.asarray(oof, dtype=float)
    if len(y) != len(oof):
        raise SpecError(
            f"choose_threshold: {len(y)} targets but {len(oof)} OOF predictions; pass the same rows"
        )
    if oof.ndim == 2:
        return _multiclass(y, oof, m)
    return _binary(y, oof, m, grid)


def apply_threshold(pred: Any, threshold: Threshold | None) -> np.ndarray:
    """Encoded labels from probabilities; ``None`` means the default rule (0.5 or argmax)."""
    pred = np.asarray(pred, dtype=float)
    if threshold is None:
        return to_labels(pred)
    if pred.ndim == 2 and threshold.ordinal:
        cuts = np.asarray(threshold.value, dtype=float)
        if cuts.shape != (pred.shape[1] - 1,):
            raise SpecError(
                f"apply_threshold: {pred.shape[1]} classes in the predictions but {cuts.size} ordinal cut "
                f"points; choose them on OOF predictions of the same task"
            )
        return _reached(pred @ np.arange(pred.shape[1], dtype=float), cuts)
    if pred.ndim == 2:
        weights = np.asarray(threshold.value, dtype=float)
        if weights.shape != (pred.shape[1],):
            raise SpecError(
                f"apply_threshold: {pred.shape[1]} classes in the predictions but the threshold has "
                f"{weights.size} class weights; choose it on OOF predictions of the same task"
            )
        return (pred * weights).argmax(axis=1)
    if isinstance(threshold.value, tuple):
        raise SpecError("apply_threshold: binary predictions with a multiclass threshold (class weights)")
    return (pred >= threshold.value).astype(int)


def cross_fitted_score(y: Any, oof: Any, fold: Any, metric: str | Metric) -> float:
    """The label metric of OOF predictions, each fold's rows cut at a threshold chosen on the others.

    This is the honest CV score of a tuned threshold: the cut that labels a row never saw that row's
    target. ``fold`` gives each row's validation fold (-1 for rows no fold validated, which are left
    out).

    Examples
    --------
    >>> y = np.array([0, 1, 0, 1, 0, 1]); p = np.array([0.1, 0.6, 0.2, 0.7, 0.3, 0.8])
    >>> cross_fitted_score(y, p, np.array([0, 0, 1, 1, 2, 2]), "accuracy")
    1.0
    """
    m = metric if isinstance(metric, Metric) else get_metric(metric)
    y, fold = np.asarray(y).astype(int), np.asarray(fold)
    labels = cross_fitted_labels(y, oof, fold, m)
    return float(m.fn(y[fold >= 0], labels[fold >= 0]))


def cross_fitted_labels(y: Any, oof: Any, fold: Any, metric: str | Metric) -> np.ndarray:
    """Each validated row's label, cut at a threshold chosen on the other folds' rows (-1 for rows no
    fold validated): what :func:`cross_fitted_score` scores.

    >>> y = np.array([0, 1, 0, 1]); p = np.array([0.1, 0.6, 0.2, 0.7])
    >>> cross_fitted_labels(y, p, np.array([0, 0, 1, 1]), "accuracy").tolist()
    [0, 1, 0, 1]
    """
    m = metric if isinstance(metric, Metric) else get_metric(metric)
    y, oof, fold = np.asarray(y).astype(int), np.asarray(oof, dtype=float), np.asarray(fold)
    labels = np.full(len(y), -1)
    for k in np.unique(fold[fold >= 0]):
        fit, held = (fold >= 0) & (fold != k), fold == k
        labels[held] = apply_threshold(oof[held], choose_threshold(y[fit], oof[fit], m))
    return labels


# --- binary -----------------------------------------------------------------------------------
def _binary(y: np.ndarray, p: np.ndarray, m: Metric, grid: int) -> Threshold:
    cuts = _candidates(p, grid)
    scores = _scores_at(y, p, cuts, m)
    default = float(_scores_at(y, p, np.array([0.5]), m)[0])
    signed = scores * m.sign
    best = np.flatnonzero(signed >= signed.max() - 1e-12)
    i = best[np.argmin(np.abs(cuts[best] - 0.5))]  # ties: the cut closest to the default
    return Threshold(float(cuts[i]), float(scores[i]), default)


def _candidates(p: np.ndarray, grid: int) -> np.ndarray:
    u = np.unique(p)
    if len(u) > grid:
        u = np.unique(np.quantile(p, np.linspace(0, 1, grid)))
    mids = (u[:-1] + u[1:]) / 2
    return np.unique(np.r_[mids, u[:1], u[-1:] + 1e-9, 0.5])


def _scores_at(y: np.ndarray, p: np.ndarray, cuts: np.ndarray, m: Metric) -> np.ndarray:
    """The metric at every cut (label = p >= cut), from cumulative counts when it is a known one."""
    order = np.sort(p)
    pos_sorted = np.sort(p[y == 1])
    n, n_pos = len(p), len(pos_sorted)
    pred_pos = n - np.searchsorted(order, cuts, side="left")
    tp = n_pos - np.searchsorted(pos_sorted, cuts, side="left")
    fp = pred_pos - tp
    fast = _from_counts(m.name, tp.astype(float), fp.astype(float), float(n_pos), float(n))
    if fast is not None:
        return fast
    return np.array([m.fn(y, (p >= c).astype(int)) for c in cuts], dtype=float)


def _from_counts(name: str, tp: np.ndarray, fp: np.ndarray, n_pos: float, n: float) -> np.ndarray | None:
    fn = n_pos - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = tp / n_pos if n_pos else np.zeros_like(tp)
        if name == "accuracy":
            return (tp + (n - n_pos - fp)) / n
        if name == "f1":
            return np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    if name in CONFUSION_METRICS:  # one 2x2 matrix per cut: [[tn, fp], [fn, tp]]
        cms = np.stack([np.stack([n - n_pos - fp, fp], axis=-1), np.stack([fn, tp], axis=-1)], axis=-2)
        return from_confusion(name, cms)
    kind, floor = _parse_floor(name)
    if kind == "recall_at_precision":
        return np.where(precision >= floor, recall, 0.0)
    if kind == "precision_at_recall":
        return np.where(recall >= floor, precision, 0.0)
    return None


# --- multiclass -------------------------------------------------------------------------------
def _multiclass(y: np.ndarray, p: np.ndarray, m: Metric, rounds: int = 3) -> Threshold:
    weighted = _class_weights(y, p, m, rounds)
    if m.name != "qwk":
        return weighted
    ordinal = _ordinal(y, p, m, rounds)
    return ordinal if m.better(ordinal.score, weighted.score) else weighted


def _reached(expected: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """How many of the ascending ``cuts`` each row's expected class reaches: its label."""
    return np.searchsorted(cuts, expected, side="right")


def _ordinal(y: np.ndarray, p: np.ndarray, m: Metric, rounds: int = 3, grid: int = 41) -> Threshold:
    """Cut points on the expected class (the module's ordinal rule), from the midpoints ``0.5, 1.5, ...``:
    each cut in turn over ``grid`` values between its neighbours (:func:`_coordinate_search`)."""
    k = p.shape[1]
    expected = p @ np.arange(k, dtype=float)
    low, high = float(expected.min()), float(expected.max())

    def between(cuts: np.ndarray, i: int) -> np.ndarray:
        lo = cuts[i - 1] if i else low
        hi = cuts[i + 1] if i + 1 < k - 1 else high
        return np.linspace(lo, hi, grid)[1:-1]

    cuts, best = _coordinate_search(np.arange(k - 1) + 0.5, between, lambda c: _reached(expected, c), y, m, k,
                                    rounds)  # fmt: skip
    default = _multi_score(y, p.argmax(axis=1), m, k)
    return Threshold(tuple(float(c) for c in cuts), best, default, ordinal=True)


def _class_weights(y: np.ndarray, p: np.ndarray, m: Metric, rounds: int) -> Threshold:
    """Per-class weights from 1 (argmax): each class's weight in turn over a geometric grid from 1/8 to 8
    (:func:`_coordinate_search`)."""
    k = p.shape[1]
    steps = np.geomspace(1 / 8, 8, 41)
    weights, best = _coordinate_search(np.ones(k), lambda w, i: steps, lambda w: (p * w).argmax(axis=1), y, m, k,
                                       rounds)  # fmt: skip
    default = _multi_score(y, p.argmax(axis=1), m, k)
    weights = weights / weights.max()
    return Threshold(tuple(float(w) for w in weights), best, default)


def _coordinate_search(start: np.ndarray, options: Callable[[np.ndarray, int], np.ndarray],
                       label: Callable[[np.ndarray], np.ndarray], y: np.ndarray, m: Metric, k: int,
                       rounds: int) -> tuple[np.ndarray, float]:  # fmt: skip
    """The values (class weights, cut points) that label the OOF rows best: each value of ``start`` in
    turn over ``options(values, i)``, for up to ``rounds`` rounds, a change kept only when it strictly
    improves the metric of ``label(values)``; the values and their score."""
    values, best = start, _multi_score(y, label(start), m, k)
    for _ in range(rounds):
        improved = False
        for i in range(len(values)):
            for v in options(values, i):
                trial = values.copy()
                trial[i] = v
                s = _multi_score(y, label(trial), m, k)
                if m.better(s, best) and abs(s - best) > 1e-12:
                    best, values, improved = s, trial, True
        if not improved:
            break
    return values, best


def _multi_score(y: np.ndarray, labels: np.ndarray, m: Metric, k: int) -> float:
    if m.name == "accuracy":
        return float(np.mean(y == labels))
    if m.name == "f1":
        return macro_f1(y, labels, k)
    if m.name in CONFUSION_METRICS:
        return float(from_confusion(m.name, confusion(y, labels, k)))
    return float(m.fn(y, labels))


def macro_f1(y: np.ndarray, labels: np.ndarray, k: int) -> float:
    """sklearn's macro F1 (over classes present in y or the labels, zero when undefined)."""
    cm = confusion(y, labels, k)
    tp = np.diag(cm).astype(float)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    present = (support + predicted) > 0
    denom = support + predicted
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return float(f1[present].mean())


# --- floor metrics ----------------------------------------------------------------------------
def _parse_floor(name: str) -> tuple[str, float]:
    for kind in FLOOR_KINDS:
        if name.startswith(kind + "_"):
            try:
                return kind, float(name[len(kind) + 1 :])
            except ValueError:
                return "", 0.0
    return "", 0.0
