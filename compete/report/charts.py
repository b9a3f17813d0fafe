"""The run's charts: fold scores per model, ensemble weights, the budget's timeline, tuning turns,
CV against the leaderboard and feature importances. Each returns an inline ``<svg>`` (:mod:`.svg`).

Examples
--------
>>> svg = fold_scores({"lightgbm": {"cv": 0.9, "std": 0.01, "folds": [0.89, 0.91, 0.9]}}, "auc", True)
>>> svg.count('id="data-') >= 2
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from compete.report.svg import PALETTE, STATUS_COLORS, figure, mark, to_svg

__all__ = ["fold_scores", "weights", "timeline", "turns", "cv_vs_lb", "bars"]


def fold_scores(models: dict[str, dict[str, Any]], metric: str, greater: bool, final: str = "",
                ensemble: float | None = None) -> str:  # fmt: skip
    """Each fit's fold scores (dots) and its CV with ± one fold std (diamond and bar), best on top."""
    labels = sorted(models, key=lambda k: models[k]["cv"] * (1 if greater else -1))
    with figure(7.2, 0.9 + 0.42 * len(labels)) as fig:
        ax = fig.add_subplot()
        for i, label in enumerate(labels):
            m = models[label]
            folds = np.asarray(m.get("folds") or [], dtype=float)
            mark(ax.scatter(folds, np.full(len(folds), i), s=18, color="#a0aec0", zorder=2))
            colour = PALETTE[1] if label == final else PALETTE[0]
            mark(ax.errorbar([m["cv"]], [i], xerr=[m.get("std") or 0], fmt="D", color=colour, ms=6, capsize=3,
                             zorder=3).lines[0])  # fmt: skip
        if ensemble is not None:
            mark(ax.axvline(ensemble, color=PALETTE[2], ls="--", lw=1, label=f"ensemble {ensemble:.5f}"))
            ax.legend(loc="best", fontsize=8)
        ax.set_yticks(range(len(labels)), [f"{lb} (final)" if lb == final else lb for lb in labels])
        ax.set_ylim(-0.6, len(labels) - 0.4)
        ax.set_xlabel(f"{metric} ({'higher' if greater else 'lower'} is better): folds · CV ± std")
        ax.set_title("Scores per model and fold")
        return to_svg(fig)


def bars(values: dict[str, float], title: str, xlabel: str, top: int = 20, colour: str = PALETTE[0]) -> str:
    """A horizontal bar per key, the largest on top (at most ``top``)."""
    items = sorted(values.items(), key=lambda kv: abs(kv[1]), reverse=True)[:top][::-1]
    with figure(5.6, 0.8 + 0.26 * max(len(items), 1)) as fig:
        ax = fig.add_subplot()
        mark(list(ax.barh([k for k, _ in items], [v for _, v in items], color=colour)))
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.grid(axis="y", visible=False)
        return to_svg(fig)


def weights(weights: dict[str, float]) -> str:
    """The ensemble's weight per member."""
    return bars(weights, "Ensemble weights", "weight", colour=PALETTE[2])


def timeline(steps: Sequence[dict[str, Any]], seconds: float) -> str:
    """The budget's steps as bars on a time axis, back to back in the order they ran, coloured by status;
    the budget is the dashed line."""
    with figure(7.6, 1.4 + 0.3 * len(steps)) as fig:
        ax = fig.add_subplot()
        start, seen = 0.0, set()
        for i, step in enumerate(steps):
            status = str(step.get("status", ""))
            colour = STATUS_COLORS.get(status, "#dd6b20" if status.startswith("dropped") else "#4a5568")
            name = status if status not in seen else None
            seen.add(status)
            width = max(float(step.get("seconds") or 0), seconds * 0.002)
            mark(ax.barh(i, width, left=start, color=colour, label=name, height=0.6).patches)
            start += float(step.get("seconds") or 0)
        mark(ax.axvline(seconds, color="#c53030", ls="--", lw=1, label=f"budget {seconds:g} s"))
        ax.set_yticks(range(len(steps)), [_step_name(s) for s in steps])
        ax.invert_yaxis()
        ax.set_xlabel("seconds (steps back to back, in the order they ran)")
        ax.set_title("Time budget: steps")
        fig.legend(loc="outside lower center", ncols=4, fontsize=8)
        ax.grid(axis="y", visible=False)
        return to_svg(fig)


def _step_name(step: dict[str, Any]) -> str:
    label = step.get("label")
    return f"{step.get('step')} → {label}" if label else str(step.get("step"))


def turns(rows: Sequence[dict[str, Any]]) -> str:
    """Each tuning turn's trials by outcome (completed, pruned, failed), stacked."""
    names = [str(r["label"]) for r in rows]
    with figure(6.4, 1.3 + 0.34 * len(rows)) as fig:
        ax = fig.add_subplot()
        left = np.zeros(len(rows))
        for key, colour in (("completed", PALETTE[2]), ("pruned", "#a0aec0"), ("failed", "#c53030")):
            counts = np.array([float(r.get(key) or 0) for r in rows])
            mark(list(ax.barh(names, counts, left=left, color=colour, label=key, height=0.6)))
            left += counts
        for i, r in enumerate(rows):
            if r.get("best_cv") is not None:
                ax.annotate(f" best {r['best_cv']:.5f}", (left[i], i), va="center", fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, max(float(left.max()), 1) * 1.35)
        ax.set_xlabel("trials")
        ax.set_title("Tuning turns")
        fig.legend(loc="outside lower center", ncols=3, fontsize=8)
        ax.grid(axis="y", visible=False)
        return to_svg(fig)


def cv_vs_lb(points: Sequence[tuple[float, float, bool]], metric: str, lb: str) -> str:
    """Each submission's CV against its leaderboard score (``lb``: local or public); this run's in
    orange; the dashed line is LB = CV."""
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    mine = np.array([p[2] for p in points], dtype=bool)
    with figure(4.6, 3.8) as fig:
        ax = fig.add_subplot()
        if (~mine).any():
            mark(ax.scatter(x[~mine], y[~mine], s=22, color="#a0aec0", label="other runs"))
        mark(ax.scatter(x[mine], y[mine], s=46, color=PALETTE[1], label="this run", zorder=3))
        lo, hi = float(np.nanmin([x.min(), y.min()])), float(np.nanmax([x.max(), y.max()]))
        pad = (hi - lo) * 0.1 or 0.01
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], ls="--", lw=1, color="#718096")
        ax.set_xlabel(f"CV {metric}")
        ax.set_ylabel(f"{lb} leaderboard {metric}")
        ax.set_title(f"CV against the {lb} leaderboard")
        ax.legend(loc="best", fontsize=8)
        return to_svg(fig)
