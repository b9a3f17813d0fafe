"""The final predictions judged by task, out of fold: ROC and precision-recall curves with the
threshold marked (binary), the confusion matrix and per-class scores (multiclass), predicted against
actual and the residuals (regression).

Examples
--------
>>> y = np.array([0, 1, 0, 1, 1, 0]); p = np.array([0.2, 0.7, 0.4, 0.9, 0.3, 0.1])
>>> [svg.startswith("<svg") for svg in binary_charts(y, p, 0.5)]
[True, True]
>>> confusion_counts(y, p >= 0.5, 2).tolist()
[[3, 0], [1, 2]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from compete.report.svg import PALETTE, figure, mark, to_svg

__all__ = ["binary_charts", "confusion_counts", "confusion_chart", "per_class", "regression_charts"]

MAX_POINTS = 2000  # a scatter of more rows draws a sample (each point is an element of the page)


def binary_charts(y: np.ndarray, p: np.ndarray, cut: float) -> list[str]:
    """ROC and precision-recall curves of OOF P(1), the point of the decision threshold ``cut`` marked."""
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    y, pred = np.asarray(y).astype(int), np.asarray(p) >= cut
    fpr, tpr, _ = roc_curve(y, p)
    precision, recall, _ = precision_recall_curve(y, p)
    rate = float(np.mean(y))
    roc = _curve(fpr, tpr, f"OOF (AUC {roc_auc_score(y, p):.4f})", "ROC, out of fold", "false positive rate",
                 "true positive rate", ([0, 1], [0, 1], "chance"),
                 (float(np.mean(pred[y == 0])), float(np.mean(pred[y == 1]))), cut)  # fmt: skip
    pr = _curve(recall, precision, f"OOF (AP {average_precision_score(y, p):.4f})", "Precision-recall, out of fold",
                "recall", "precision", ([0, 1], [rate, rate], f"positive rate {rate:.3f}"),
                (float(np.mean(pred[y == 1])), float(np.mean(y[pred])) if pred.any() else 1.0), cut)  # fmt: skip
    return [roc, pr]


def _curve(x: np.ndarray, y: np.ndarray, label: str, title: str, xlabel: str, ylabel: str,
           base: tuple[list[float], list[float], str], point: tuple[float, float], cut: float) -> str:  # fmt: skip
    x, y = _thin(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    with figure(4.6, 4.2) as fig:
        ax = fig.add_subplot()
        mark(ax.plot(x, y, color=PALETTE[0], lw=1.6, label=label))
        ax.plot(*base[:2], ls="--", lw=0.9, color="#718096", label=base[2])
        mark(ax.plot(*point, "o", color="#c53030", ms=7, label=f"threshold {cut:.3g}"))
        ax.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), xlabel=xlabel, ylabel=ylabel, title=title)
        ax.legend(loc="lower right" if "ROC" in title else "lower left", fontsize=8)
        return to_svg(fig)


def _thin(x: np.ndarray, y: np.ndarray, keep: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """At most about ``keep`` points of a curve (its ends kept): a large OOF has thousands of steps."""
    if len(x) <= keep:
        return x, y
    idx = np.unique(np.r_[np.linspace(0, len(x) - 1, keep).astype(int), len(x) - 1])
    return x[idx], y[idx]


def confusion_counts(y: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """``k × k`` counts: rows are the true classes, columns the predicted ones."""
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (np.asarray(y).astype(int), np.asarray(labels).astype(int)), 1)
    return counts


def confusion_chart(counts: np.ndarray, names: list[str]) -> str:
    """The confusion matrix, each cell shaded by its share of the true class and labelled with its count."""
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    k = len(names)
    with figure(1.6 + 0.55 * k, 1.3 + 0.5 * k) as fig:
        ax = fig.add_subplot()
        mark(ax.pcolormesh(share, cmap="Blues", vmin=0, vmax=1, edgecolors="white", linewidth=1))
        for i in range(k):
            for j in range(k):
                ax.text(j + 0.5, i + 0.5, str(counts[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if share[i, j] > 0.6 else "#1d232b")  # fmt: skip
        ax.set_xticks(
            np.arange(k) + 0.5, names, rotation=45 if k > 4 else 0, ha="right" if k > 4 else "center"
        )
        ax.set_yticks(np.arange(k) + 0.5, names)
        ax.invert_yaxis()
        ax.set(xlabel="predicted class", ylabel="true class", title="Confusion matrix, out of fold")
        ax.grid(False)
        return to_svg(fig)


def per_class(y: np.ndarray, p: np.ndarray, labels: np.ndarray) -> list[dict[str, Any]]:
    """Per class: support, precision, recall, F1 (of ``labels``) and one-vs-rest AUC (of ``p``)."""
    from sklearn.metrics import precision_recall_fscore_support, roc_auc_score

    y = np.asarray(y).astype(int)
    k = p.shape[1]
    prec, rec, f1, support = precision_recall_fscore_support(
        y, labels, labels=list(range(k)), zero_division=0
    )
    rows = []
    for c in range(k):
        both = 0 < int(support[c]) < len(y)
        auc = float(roc_auc_score(y == c, p[:, c])) if both else None
        rows.append({"class": c, "support": int(support[c]), "precision": float(prec[c]),
                     "recall": float(rec[c]), "f1": float(f1[c]), "auc": auc})  # fmt: skip
    return rows


def regression_charts(y: np.ndarray, pred: np.ndarray, space: str, seed: int = 0) -> list[str]:
    """Predicted against actual (the line is a perfect fit) and residuals against predicted; ``space``
    names the values (``log1p`` when the metric is rmsle)."""
    y, pred = np.asarray(y, dtype=float), np.asarray(pred, dtype=float)
    if len(y) > MAX_POINTS:
        idx = np.random.default_rng(seed).choice(len(y), MAX_POINTS, replace=False)
        y, pred = y[idx], pred[idx]
    lo, hi = float(min(y.min(), pred.min())), float(max(y.max(), pred.max()))
    out = []
    with figure(4.6, 4.2) as fig:
        ax = fig.add_subplot()
        mark(ax.scatter(y, pred, s=8, alpha=0.45, color=PALETTE[0], linewidths=0))
        ax.plot([lo, hi], [lo, hi], ls="--", lw=1, color="#c53030")
        ax.set(
            xlabel=f"actual ({space})", ylabel=f"predicted ({space})", title="Predicted against actual, OOF"
        )
        out.append(to_svg(fig))
    with figure(4.6, 4.2) as fig:
        ax = fig.add_subplot()
        mark(ax.scatter(pred, y - pred, s=8, alpha=0.45, color=PALETTE[1], linewidths=0))
        ax.axhline(0, ls="--", lw=1, color="#4a5568")
        ax.set(xlabel=f"predicted ({space})", ylabel="actual − predicted", title="Residuals, OOF")
        out.append(to_svg(fig))
    return out
