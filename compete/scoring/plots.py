"""Evaluation plots of a binary run: ROC and precision-recall curves of the OOF predictions.

Written as small self-contained SVG files (vector, viewable in any browser or notebook, a few
kilobytes) by a line-chart writer of a few dozen lines, with no plotting library: importing and
running matplotlib cost about 0.4 s of every binary run (5% of a LightGBM run on adult,
``bench/overhead.py``), which is more than the whole picture is worth. The decision threshold (the
one chosen on the OOF predictions by :mod:`compete.scoring.thresholds`, or 0.5) is marked on both curves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from compete.errors import DataError
from compete.scoring.thresholds import Threshold

__all__ = ["save_binary_plots", "LineChart"]


def save_binary_plots(
    y: Any, oof: Any, folder: str | Path, threshold: Threshold | float | None = None
) -> list[Path]:
    """Write ``roc.svg`` and ``precision_recall.svg`` of the OOF predictions into ``folder``.

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
    ['roc.svg', 'precision_recall.svg']
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
        _roc(y, oof, cut, label).save(folder / "roc.svg"),
        _pr(y, oof, cut, label).save(folder / "precision_recall.svg"),
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


def _roc(y: np.ndarray, p: np.ndarray, cut: float, label: str) -> LineChart:
    from sklearn.metrics import roc_auc_score, roc_curve

    fpr, tpr, _ = roc_curve(y, p)
    pred = p >= cut
    chart = LineChart(
        "ROC, out-of-fold", "false positive rate", "true positive rate", legend_at="lower right"
    )
    chart.line(fpr, tpr, f"OOF (AUC {roc_auc_score(y, p):.4f})")
    chart.line([0, 1], [0, 1], None, color="grey", dashed=True)
    chart.point(float(np.mean(pred[y == 0])), float(np.mean(pred[y == 1])), label)
    return chart


def _pr(y: np.ndarray, p: np.ndarray, cut: float, label: str) -> LineChart:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, p)
    pred = p >= cut
    chart = LineChart("Precision-recall, out-of-fold", "recall", "precision", legend_at="lower left")
    chart.line(recall, precision, f"OOF (AP {average_precision_score(y, p):.4f})")
    rate = float(np.mean(y))
    chart.line([0, 1], [rate, rate], "positive rate", color="grey", dashed=True)
    chart.point(float(np.mean(pred[y == 1])), float(np.mean(y[pred])) if pred.any() else 1.0, label)
    return chart


@dataclass
class LineChart:
    """A unit-square line chart (both axes 0..1) written as SVG: lines, marked points, a legend.

    Examples
    --------
    >>> chart = LineChart("t", "x", "y")
    >>> chart.line([0, 0.5, 1], [0, 0.8, 1], "curve")
    >>> chart.point(0.5, 0.8, "here")
    >>> chart.svg().startswith("<svg")
    True
    """

    title: str
    xlabel: str
    ylabel: str
    legend_at: str = "lower right"
    lines: list[tuple[np.ndarray, np.ndarray, str | None, str, bool]] = field(default_factory=list)
    points: list[tuple[float, float, str]] = field(default_factory=list)

    SIZE = 480
    LEFT, TOP, RIGHT, BOTTOM = 64, 40, 20, 56
    COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c")

    def line(self, x: Any, y: Any, label: str | None, color: str | None = None, dashed: bool = False) -> None:
        """A polyline through ``(x, y)`` (values in 0..1); ``label`` goes in the legend when given."""
        color = color or self.COLORS[len(self.lines) % len(self.COLORS)]
        self.lines.append((np.asarray(x, dtype=float), np.asarray(y, dtype=float), label, color, dashed))

    def point(self, x: float, y: float, label: str) -> None:
        """A red marker at ``(x, y)``, named in the legend."""
        self.points.append((float(x), float(y), label))

    def to_pixels(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Chart coordinates (0..1) to SVG pixels; y grows downwards in SVG."""
        width = self.SIZE - self.LEFT - self.RIGHT
        height = self.SIZE - self.TOP - self.BOTTOM
        px = self.LEFT + np.clip(np.asarray(x, dtype=float), 0, 1) * width
        py = self.TOP + (1 - np.clip(np.asarray(y, dtype=float), 0, 1)) * height
        return px, py

    def svg(self) -> str:
        s, left, top = self.SIZE, self.LEFT, self.TOP
        right, bottom = s - self.RIGHT, s - self.BOTTOM
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}" viewBox="0 0 {s} {s}" '
               f'font-family="sans-serif" font-size="12">', f"<title>{escape(self.title)}</title>",
               f'<rect width="{s}" height="{s}" fill="white"/>']  # fmt: skip
        for tick in np.linspace(0, 1, 6):
            (tx,), (ty,) = self.to_pixels([tick], [tick])
            out += [f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" y2="{bottom}" stroke="#e5e5e5"/>',
                    f'<line x1="{left}" y1="{ty:.1f}" x2="{right}" y2="{ty:.1f}" stroke="#e5e5e5"/>',
                    f'<text x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle">{tick:.1f}</text>',
                    f'<text x="{left - 6}" y="{ty + 4:.1f}" text-anchor="end">{tick:.1f}</text>']  # fmt: skip
        out += [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" '
                f'stroke="black"/>',
                f'<text x="{s / 2}" y="{top - 14}" text-anchor="middle" font-size="14">{escape(self.title)}</text>',
                f'<text x="{(left + right) / 2}" y="{s - 14}" text-anchor="middle">{escape(self.xlabel)}</text>',
                f'<text x="16" y="{(top + bottom) / 2}" text-anchor="middle" '
                f'transform="rotate(-90 16 {(top + bottom) / 2})">{escape(self.ylabel)}</text>']  # fmt: skip
        for x, y, _, color, dashed in self.lines:
            dash = ' stroke-dasharray="5 4"' if dashed else ""
            width = 0.8 if dashed else 1.6
            out.append(f'<polyline class="line" fill="none" stroke="{color}" stroke-width="{width}"{dash} '
                       f'points="{_path(*self.to_pixels(x, y))}"/>')  # fmt: skip
        for mx, my, _ in self.points:
            (px,), (py,) = self.to_pixels([mx], [my])
            out.append(f'<circle class="point" cx="{px:.2f}" cy="{py:.2f}" r="4.5" fill="red"/>')
        out += self._legend()
        return "\n".join([*out, "</svg>", ""])

    def _legend(self) -> list[str]:
        entries = [(label, color, dashed, False) for _, _, label, color, dashed in self.lines if label]
        entries += [(label, "red", False, True) for _, _, label in self.points]
        width = 24 + 7 * max((len(e[0]) for e in entries), default=0)
        height = 18 * len(entries) + 6
        x0 = self.LEFT + 8 if "left" in self.legend_at else self.SIZE - self.RIGHT - 8 - width
        y0 = self.SIZE - self.BOTTOM - 8 - height if "lower" in self.legend_at else self.TOP + 8
        out = [f'<rect x="{x0}" y="{y0}" width="{width}" height="{height}" fill="white" stroke="#bbbbbb"/>']
        for i, (label, color, dashed, dot) in enumerate(entries):
            cy = y0 + 14 + 18 * i
            if dot:
                out.append(f'<circle cx="{x0 + 12}" cy="{cy - 4}" r="4" fill="{color}"/>')
            else:
                dash = ' stroke-dasharray="5 4"' if dashed else ""
                out.append(f'<line x1="{x0 + 4}" y1="{cy - 4}" x2="{x0 + 20}" y2="{cy - 4}" stroke="{color}" '
                           f'stroke-width="1.6"{dash}/>')  # fmt: skip
            out.append(f'<text x="{x0 + 26}" y="{cy}">{escape(label)}</text>')
        return out

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.svg())
        return path


def _path(px: np.ndarray, py: np.ndarray) -> str:
    """``x,y`` pairs at 0.1 px, without repeats or points inside a horizontal or vertical run (a ROC
    curve of 30,000 rows has ~10,000 steps; the picture needs a few hundred of them)."""
    px, py = np.round(px, 1), np.round(py, 1)
    keep = np.ones(len(px), dtype=bool)
    if len(px) > 2:
        same_x = (px[1:-1] == px[:-2]) & (px[1:-1] == px[2:])
        same_y = (py[1:-1] == py[:-2]) & (py[1:-1] == py[2:])
        keep[1:-1] = ~(same_x | same_y)
    px, py = px[keep], py[keep]
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py, strict=True))
