"""Metric name → scorer, with its direction and what kind of prediction it scores.

Conventions used throughout compete (targets are already encoded, see :mod:`compete.data.target`):

* binary: ``y`` holds 0/1; predictions are a 1-D array of P(class 1).
* multiclass: ``y`` holds 0..K-1; predictions are an ``(n, K)`` array of probabilities.
* regression: ``y`` and predictions are 1-D floats.

Label metrics (accuracy, f1) turn probabilities into labels at ``threshold`` (binary) or by argmax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from compete.errors import SpecError
from compete.registry import Registry

__all__ = [
    "CONFUSION_METRICS",
    "DEFAULT_METRIC",
    "Metric",
    "METRICS",
    "FLOOR_KINDS",
    "confusion",
    "floor_metric",
    "from_confusion",
    "get_metric",
    "to_labels",
]

TASKS = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class Metric:
    """A scoring rule.

    Parameters
    ----------
    name : str
        The name used in specs.
    greater_is_better : bool
        Direction of improvement.
    needs : {"proba", "label", "value"}
        What the submission holds: probabilities, class labels, or regression values.
    tasks : tuple of str
        The tasks it can score.
    fn : callable
        ``fn(y_true, y_pred) -> float`` on encoded targets.
    log_target : bool
        Regression models are trained on ``log1p(y)`` when true (rmsle).
    many : callable, optional
        ``many(y_true, preds) -> scores``: the same rule on a stack of predictions at once (first axis:
        the candidates), for searches that score many blends a step (hill climbing). Without it
        :meth:`score_many` scores them one by one.
    """

    name: str
    greater_is_better: bool
    needs: str
    tasks: tuple[str, ...]
    fn: Callable[[np.ndarray, np.ndarray], float]
    log_target: bool = False
    many: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def score(self, y_true: np.ndarray, pred: np.ndarray, threshold: float = 0.5) -> float:
        """Score encoded ``y_true`` against raw model output ``pred`` (probabilities or values)."""
        if self.needs == "label":
            pred = to_labels(pred, threshold)
        return float(self.fn(np.asarray(y_true), np.asarray(pred)))

    def score_many(self, y_true: np.ndarray, preds: np.ndarray) -> np.ndarray:
        """:meth:`score` of each prediction array in the stack ``preds`` (shape ``(m, *pred.shape)``).

        >>> y = np.array([0, 1, 1])
        >>> get_metric("logloss").score_many(y, np.array([[0.2, 0.7, 0.9], [0.5, 0.5, 0.5]])).round(4).tolist()
        [0.2284, 0.6931]
        """
        y, preds = np.asarray(y_true), np.asarray(preds)
        if self.many is not None:
            return np.asarray(self.many(y, preds), dtype=np.float64)
        return np.array([self.score(y, p) for p in preds], dtype=np.float64)

    def better(self, a: float, b: float) -> bool:
        """Whether score ``a`` is strictly better than ``b``."""
        return a > b if self.greater_is_better else a < b

    @property
    def sign(self) -> float:
        """+1 when greater is better, else -1 (multiply to get a 'higher is better' value)."""
        return 1.0 if self.greater_is_better else -1.0

    def selection(self) -> Metric:
        """The metric the ensemble blends by and the feature search judges by: this one, except log loss
        for a label metric (accuracy, F1). A label metric moves in steps of one row and is blind to how
        sure a fit is; log loss reads the probabilities the labels are cut from (the threshold is
        chosen afterwards). Tuning turns keep the run's metric: on titanic, turns choosing by log loss
        scored worse on the answers (test AUC 0.840 -> 0.829).

        >>> get_metric("accuracy").selection().name, get_metric("auc").selection().name
        ('logloss', 'auc')
        """
        return get_metric("logloss") if self.needs == "label" else self

    def check_task(self, task: str, where: str = "metric") -> None:
        if task not in self.tasks:
            ok = ", ".join(n for n, m in METRICS.items() if task in m.tasks)
            raise SpecError(f"{where} = {self.name!r} cannot score a {task} task; metrics for {task}: {ok}")


def to_labels(pred: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Probabilities → encoded labels: ``pred >= threshold`` for 1-D, argmax for 2-D."""
    pred = np.asarray(pred)
    if pred.ndim == 2:
        return pred.argmax(axis=1)
    return (pred >= threshold).astype(int)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if p.ndim == 2:
        return roc_auc_score(y, p, multi_class="ovr", labels=np.arange(p.shape[1]))
    return roc_auc_score(y, p)


def _logloss(y: np.ndarray, p: np.ndarray) -> float:
    """Log loss with probabilities clipped to [1e-15, 1 - 1e-15] and, for several classes, each row
    rescaled to sum to one, as Kaggle scores it (float32 probabilities, or a blend of them, are off by
    more than scikit-learn's tolerance).

    >>> round(_logloss(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.6]], dtype=np.float32)), 4)
    0.1965
    """
    from sklearn.metrics import log_loss

    labels = np.arange(p.shape[1]) if p.ndim == 2 else [0, 1]
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-15, 1 - 1e-15)
    if q.ndim == 2:
        q = q / q.sum(axis=1, keepdims=True)
    return log_loss(y, q, labels=labels)


def _logloss_many(y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """:func:`_logloss` of each array in the stack ``P`` (binary ``(m, n)``, multiclass ``(m, n, K)``)."""
    q = np.clip(np.asarray(P, dtype=np.float64), 1e-15, 1 - 1e-15)
    if q.ndim == 3:
        q = q / q.sum(axis=2, keepdims=True)
        return -np.log(q[:, np.arange(len(y)), y.astype(int)]).mean(axis=1)
    return -np.where(y == 1, np.log(q), np.log1p(-q)).mean(axis=1)


def _auc_many(y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Binary ROC AUC of each row of ``P`` (``(m, n)``) by the rank-sum (Mann-Whitney) formula, ties
    counted as a half as :func:`sklearn.metrics.roc_auc_score` does; several classes score one by one."""
    if P.ndim == 3:
        return np.array([_auc(y, p) for p in P])
    from scipy.stats import rankdata

    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return np.array([_auc(y, p) for p in P])  # sklearn's own message: AUC needs both classes
    ranks = rankdata(P, axis=1)
    return (ranks[:, pos].sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _accuracy(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(y == p))


def _f1(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    average = "binary" if set(np.unique(y)) <= {0, 1} and set(np.unique(p)) <= {0, 1} else "macro"
    return f1_score(y, p, average=average)


def _average_precision(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    if p.ndim == 2:
        onehot = np.eye(p.shape[1])[y]
        return average_precision_score(onehot, p, average="macro")
    return average_precision_score(y, p)


def confusion(y: np.ndarray, labels: np.ndarray, k: int | None = None) -> np.ndarray:
    """The ``(k, k)`` confusion matrix of encoded labels (rows: the true class, columns: the label
    given); ``k`` defaults to the largest class seen, plus one."""
    y, labels = np.asarray(y, dtype=int), np.asarray(labels, dtype=int)
    k = int(max(y.max(initial=0), labels.max(initial=0))) + 1 if k is None else k
    return np.bincount(y * k + labels, minlength=k * k).reshape(k, k)


CONFUSION_METRICS = ("mcc", "balanced_accuracy", "qwk")


def from_confusion(name: str, cm: np.ndarray) -> np.ndarray:
    """A :data:`CONFUSION_METRICS` metric of each confusion matrix in ``cm`` (shape ``(..., K, K)``):
    Matthews' correlation (multiclass by Gorodkin's formula, as scikit-learn), balanced accuracy (mean
    recall over the classes present) or quadratic weighted kappa (classes weighted by their distance
    in the encoded order, 0..K-1; the numbers' order for numeric labels). An undefined value (a
    constant truth or prediction) scores 0.

    >>> cm = np.array([[5, 1], [2, 4]])
    >>> [round(float(from_confusion(m, cm)), 4) for m in CONFUSION_METRICS]
    [0.5071, 0.75, 0.5]
    """
    cm = np.asarray(cm, dtype=np.float64)
    n, diag = cm.sum(axis=(-2, -1)), np.diagonal(cm, axis1=-2, axis2=-1)
    true, given = cm.sum(axis=-1), cm.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "mcc":
            num = diag.sum(axis=-1) * n - (true * given).sum(axis=-1)
            den = np.sqrt((n**2 - (given**2).sum(axis=-1)) * (n**2 - (true**2).sum(axis=-1)))
            return np.where(den > 0, num / den, 0.0)
        if name == "balanced_accuracy":
            present = true > 0
            recall = np.where(present, diag / np.maximum(true, 1), 0.0)
            return recall.sum(axis=-1) / np.maximum(present.sum(axis=-1), 1)
        if name == "qwk":
            i = np.arange(cm.shape[-1])
            w = (i[:, None] - i[None, :]) ** 2
            expected = true[..., :, None] * given[..., None, :] / np.maximum(n, 1)[..., None, None]
            num, den = (w * cm).sum(axis=(-2, -1)), (w * expected).sum(axis=(-2, -1))
            return np.where(den > 0, 1 - num / den, 0.0)
    raise SpecError(f"from_confusion: {name!r} is none of {', '.join(CONFUSION_METRICS)}")


def _confusion_score(name: str, y: np.ndarray, labels: np.ndarray) -> float:
    return float(from_confusion(name, confusion(y, labels)))


def _by_confusion(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """The label metric ``name`` of :func:`from_confusion` as a scorer (a partial of module functions,
    so a metric pickles with a run's fitted pipeline)."""
    return partial(_confusion_score, name)


def _r2_many(y: np.ndarray, P: np.ndarray) -> np.ndarray:
    y = y.astype(float)
    total = np.sum((y - y.mean()) ** 2)
    residual = np.sum((y - P) ** 2, axis=1)
    return 1 - residual / total if total > 0 else np.where(residual == 0, 1.0, 0.0)


def _mape_many(y: np.ndarray, P: np.ndarray) -> np.ndarray:
    """scikit-learn's mean absolute percentage error (a share: 0.1 is 10%; a true 0 divides by the
    smallest float)."""
    y = y.astype(float)
    return np.mean(np.abs(y - P) / np.maximum(np.abs(y), np.finfo(np.float64).eps), axis=1)


def _scalar(many: Callable[[np.ndarray, np.ndarray], np.ndarray], y: np.ndarray, p: np.ndarray) -> float:
    return float(many(y, np.asarray(p)[None])[0])


def _one(many: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[[np.ndarray, np.ndarray], float]:
    """The scalar rule of a vectorised one: ``many`` on a stack of one prediction array (a partial of
    module functions, so a metric pickles with a run's fitted pipeline)."""
    return partial(_scalar, many)


def _rmse_many(y: np.ndarray, P: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean((y.astype(float) - P) ** 2, axis=1))


def _rmsle_many(y: np.ndarray, P: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean((np.log1p(y.astype(float)) - np.log1p(np.clip(P, 0, None))) ** 2, axis=1))


def _mae_many(y: np.ndarray, P: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(y.astype(float) - P), axis=1)


METRICS: Registry[Metric] = Registry("metric")
_CLS = ("binary", "multiclass")
for _m in (
    Metric("auc", True, "proba", _CLS, _auc, many=_auc_many),
    Metric("logloss", False, "proba", _CLS, _logloss, many=_logloss_many),
    Metric("accuracy", True, "label", _CLS, _accuracy),
    Metric("f1", True, "label", _CLS, _f1),
    Metric("average_precision", True, "proba", _CLS, _average_precision),
    Metric("rmse", False, "value", ("regression",), _one(_rmse_many), many=_rmse_many),
    Metric("rmsle", False, "value", ("regression",), _one(_rmsle_many), log_target=True, many=_rmsle_many),
    Metric("mae", False, "value", ("regression",), _one(_mae_many), many=_mae_many),
    Metric("mcc", True, "label", _CLS, _by_confusion("mcc")),
    Metric("balanced_accuracy", True, "label", _CLS, _by_confusion("balanced_accuracy")),
    Metric("qwk", True, "label", _CLS, _by_confusion("qwk")),
    Metric("r2", True, "value", ("regression",), _one(_r2_many), many=_r2_many),
    Metric("mape", False, "value", ("regression",), _one(_mape_many), many=_mape_many),
):
    METRICS.register(_m.name)(_m)

FLOOR_KINDS = ("recall_at_precision", "precision_at_recall")


def floor_metric(kind: str, floor: float) -> Metric:
    """``recall_at_precision_<floor>`` (recall, or 0 when precision is under the floor) or
    ``precision_at_recall_<floor>``: binary label metrics for a decision threshold to meet a floor.

    Examples
    --------
    >>> m = floor_metric("recall_at_precision", 0.9)
    >>> m.name, m.fn(np.array([1, 1, 0]), np.array([1, 0, 0]))
    ('recall_at_precision_0.9', 0.5)
    """
    if kind not in FLOOR_KINDS:
        raise SpecError(f"floor metric: got {kind!r}; allowed: {', '.join(FLOOR_KINDS)}")
    if not 0 < floor <= 1:
        raise SpecError(f"floor metric {kind}: floor {floor!r} must be in (0, 1], e.g. 0.9")

    return Metric(f"{kind}_{floor:g}", True, "label", ("binary",), partial(_floor_score, kind, floor))


def _floor_score(kind: str, floor: float, y: np.ndarray, labels: np.ndarray) -> float:
    """A floor metric's score (module-level, so the metric pickles with a run's fitted pipeline)."""
    tp = float(np.sum((labels == 1) & (y == 1)))
    predicted, positives = float(np.sum(labels == 1)), float(np.sum(y == 1))
    precision = tp / predicted if predicted else 0.0
    recall = tp / positives if positives else 0.0
    if kind == "recall_at_precision":
        return recall if precision >= floor else 0.0
    return precision if recall >= floor else 0.0


for _kind in FLOOR_KINDS:
    for _floor in (0.8, 0.9, 0.95):
        _m = floor_metric(_kind, _floor)
        METRICS.register(_m.name)(_m)

DEFAULT_METRIC = {"binary": "auc", "multiclass": "logloss", "regression": "rmse"}


def get_metric(name: str, where: str = "metric") -> Metric:
    """The metric called ``name``; an unknown name lists the known ones."""
    return METRICS.get(name, where=where)
