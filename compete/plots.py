"""Evaluation plots of a binary run: ROC and precision-recall curves of the OOF predictions.

Drawn with matplotlib's Agg canvas (no display, no global backend switch), imported inside the
function so that importing compete stays fast. The decision threshold (the one chosen on the OOF
predictions by :mod:`compete.thresholds`, or 0.5) is marked on both curves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from compete.errors import DataError
from compete.thresholds import Threshold

__all__ = ["save_binary_plots"]


def save_binary_plots(
    y: Any, oof: Any, folder: str | Path, threshold: Threshold | float | None = None
) -> list[Path]:
    """Write ``roc.png`` and ``precision_recall.png`` of the OOF predictions into ``folder``.

    Parameters
    ----------
    y : array-like
        Encoded binary targets (0/1) of the training rows.
    oof : array-like
        Their out-of-fold P(1).
    folder : str or Path
        Created if missing (the run folder).
    threshold : Threshold, float or None
        The cut to mark; ``None`` marks the default 0.5.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> y = np.array([0, 1, 0, 1]); p = np.array([0.1, 0.8, 0.4, 0.6])
    >>> [p.name for p in save_binary_plots(y, p, tempfile.mkdtemp())]
    ['roc.png', 'precision_recall.png']
    """
    y, oof = np.asarray(y).astype(int), np.asarray(oof, dtype=float)
    if oof.ndim != 1 or len(y) != len(oof) or set(np.unique(y)) != {0, 1}:
        raise DataError(
            f"save_binary_plots: needs 0/1 targets with both classes and 1-D P(1) of the same length; "
            f"got classes {np.unique(y).tolist()}, {len(y)} targets, predictions of shape {oof.shape}"
        )
    cut, label = _cut(threshold)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [
        _roc(y, oof, cut, label, folder / "roc.png"),
        _pr(y, oof, cut, label, folder / "precision_recall.png"),
    ]


def _cut(threshold: Threshold | float | None) -> tuple[float, str]:
    if threshold is None:
        return 0.5, "default threshold 0.5"
    value = threshold.value if isinstance(threshold, Threshold) else threshold
    if isinstance(value, tuple):
        raise DataError(
            "save_binary_plots: a multiclass threshold (class weights) cannot be marked on binary curves"
        )
    return float(value), f"threshold {float(value):.3g}"


def _figure() -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 5), dpi=100)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _roc(y: np.ndarray, p: np.ndarray, cut: float, label: str, path: Path) -> Path:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y, p)
    pred = p >= cut
    at = (np.mean(pred[y == 0]), np.mean(pred[y == 1]))
    fig, ax = _figure()
    ax.plot(fpr, tpr, label=f"OOF (AUC {roc_auc_score(y, p):.4f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    ax.scatter([at[0]], [at[1]], color="red", zorder=3, label=label)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, out-of-fold")
    ax.legend(loc="lower right")
    fig.savefig(path)
    return path


def _pr(y: np.ndarray, p: np.ndarray, cut: float, label: str, path: Path) -> Path:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, p)
    pred = p >= cut
    at_precision = float(np.mean(y[pred])) if pred.any() else 1.0
    fig, ax = _figure()
    ax.plot(recall, precision, label=f"OOF (AP {average_precision_score(y, p):.4f})")
    ax.axhline(float(np.mean(y)), linestyle="--", color="grey", linewidth=0.8, label="positive rate")
    ax.scatter([np.mean(pred[y == 1])], [at_precision], color="red", zorder=3, label=label)
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall, out-of-fold", ylim=(0, 1.02))
    ax.legend(loc="lower left")
    fig.savefig(path)
    return path
