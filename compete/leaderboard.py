"""The local leaderboard: the CV ↔ LB view of a competition's runs and submissions.

:func:`leaderboard` puts every run's CV score and fold standard deviation beside the leaderboard
scores of its submissions (the Kaggle public score when there is one, else the local score), with
the correlation between CV and LB over the submitted runs and a flag on each run whose LB lies
outside CV ± 2 fold-std: the "can I trust my CV" view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import DataError, RunError
from compete.scoring.metrics import get_metric

__all__ = ["leaderboard", "Leaderboard", "LeaderRow", "cv_lb_correlation", "fold_std"]


# ------------------------------------------------------------------------------------------ CV ↔ LB


@dataclass
class LeaderRow:
    """One run: its CV, fold std and leaderboard scores.

    ``lb`` is the Kaggle public score when the run has one, else its local score (``lb_source`` says
    which); ``outside`` is True when ``lb`` lies outside ``cv ± 2 * cv_std`` (None when not submitted).
    """

    run_id: str
    created: str
    final: str
    cv: float | None
    cv_std: float | None
    local: float | None = None
    public: float | None = None
    submissions: int = 0
    pending: int = 0

    @property
    def lb(self) -> float | None:
        return self.public if self.public is not None else self.local

    @property
    def lb_source(self) -> str:
        return "kaggle" if self.public is not None else "local" if self.local is not None else ""

    @property
    def gap(self) -> float | None:
        """LB − CV (in the metric's units)."""
        return None if self.lb is None or self.cv is None else self.lb - self.cv

    @property
    def outside(self) -> bool | None:
        if self.gap is None:
            return None
        return abs(self.gap) > 2 * (self.cv_std or 0.0) + 1e-12

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "created": self.created, "final": self.final, "cv": self.cv,
                "cv_std": self.cv_std, "local": self.local, "public": self.public, "lb": self.lb,
                "lb_source": self.lb_source, "gap": self.gap, "outside": self.outside,
                "submissions": self.submissions, "pending": self.pending}  # fmt: skip


@dataclass
class Leaderboard:
    """A competition's runs with CV and LB side by side, best first.

    Examples
    --------
    .. code-block:: python

        board = leaderboard("runs", "titanic")
        board.pearson, [r.run_id for r in board.rows if r.outside]
    """

    competition: str
    metric: str
    greater_is_better: bool
    rows: list[LeaderRow] = field(default_factory=list)
    pearson: float | None = None
    spearman: float | None = None

    @property
    def submitted(self) -> list[LeaderRow]:
        return [r for r in self.rows if r.lb is not None]

    def to_dict(self) -> dict[str, Any]:
        return {"competition": self.competition, "metric": self.metric, "greater_is_better": self.greater_is_better,
                "pearson": self.pearson, "spearman": self.spearman, "submitted": len(self.submitted),
                "rows": [r.to_dict() for r in self.rows]}  # fmt: skip


def leaderboard(runs_dir: str | Path, competition: str, sort: str = "cv") -> Leaderboard:
    """Every run of ``competition`` with its CV and LB scores, best first by ``sort`` (``cv`` or ``lb``).

    A run's LB scores are those of its latest scored submission (local and Kaggle public kept apart).
    The correlations are over the submitted runs and need three of them, with CV and LB not constant.
    """
    from compete.records.runs import list_runs
    from compete.records.submissions import list_submissions

    if sort not in ("cv", "lb"):
        raise DataError(f"sort = {sort!r}: allowed values are cv, lb")
    runs = list_runs(runs_dir, competition)
    if not runs:
        raise RunError(
            f"no runs of {competition!r} in {runs_dir}; start one with `compete run {competition}`"
        )
    rows = {
        r["run_id"]: LeaderRow(r["run_id"], r["created"], r["final"], r["cv_score"], r["cv_std"])
        for r in runs
    }
    for sub in reversed(list_submissions(runs_dir, competition)):  # oldest first: the latest score wins
        row = rows.get(sub["run_id"])
        if row is None:
            continue
        row.submissions += 1
        row.pending += sub["kaggle_status"] in ("pending", "submitted")
        row.local = sub["local_score"] if sub["local_score"] is not None else row.local
        row.public = sub["public_score"] if sub["public_score"] is not None else row.public
    for r in runs:
        if r["cv_std"] is None and r["final"]:
            rows[r["run_id"]].cv_std = fold_std(Path(r["path"] or Path(runs_dir) / competition / r["run_id"]),
                                                 r["final"], r["metric"])  # fmt: skip
    greater = bool(runs[0]["greater_is_better"])
    board = Leaderboard(competition, runs[0]["metric"], greater, _ranked(list(rows.values()), sort, greater))
    board.pearson, board.spearman = cv_lb_correlation(
        [r.cv for r in board.submitted], [r.lb for r in board.submitted]
    )
    return board


def fold_std(path: Path, final: str, metric_name: str) -> float | None:
    """The fold standard deviation of a run's final predictions (ensembles have no ledger value)."""
    from compete.records.runs import frame_preds

    try:
        oof = pd.read_parquet(path / "oof.parquet")
    except (OSError, ValueError):
        return None
    preds = frame_preds(oof.drop(columns=["y", "fold"]))
    if final not in preds:
        return None
    metric = get_metric(metric_name)
    metric = get_metric("rmse") if metric.log_target else metric
    y, fold, p = oof["y"].to_numpy(), oof["fold"].to_numpy(), preds[final]
    scores = [metric.score(y[fold == k], p[fold == k]) for k in np.unique(fold[fold >= 0])]
    return float(np.std(scores)) if scores else None


def _ranked(rows: list[LeaderRow], sort: str, greater: bool) -> list[LeaderRow]:
    sign = -1.0 if greater else 1.0

    def key(r: LeaderRow) -> tuple[bool, float]:
        value = r.cv if sort == "cv" else r.lb
        return (value is None, sign * value if value is not None else 0.0)

    return sorted(rows, key=key)


def cv_lb_correlation(cv: list[Any], lb: list[Any]) -> tuple[float | None, float | None]:
    """Pearson and Spearman correlation of CV and LB scores; None with fewer than 3 pairs or a constant side.

    Examples
    --------
    >>> cv_lb_correlation([0.80, 0.82, 0.85], [0.78, 0.80, 0.84])[1]
    1.0
    """
    pairs = [(float(a), float(b)) for a, b in zip(cv, lb) if a is not None and b is not None]
    if len(pairs) < 3:
        return None, None
    a, b = np.array(pairs).T
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return None, None
    ra, rb = pd.Series(a).rank().to_numpy(), pd.Series(b).rank().to_numpy()
    return float(np.corrcoef(a, b)[0, 1]), float(np.corrcoef(ra, rb)[0, 1])
