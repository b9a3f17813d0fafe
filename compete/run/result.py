"""What a run produced, typed: each fit's scores, the final choice and what the run record adds.

``scores.json`` keeps the shape it always had — ``{"metric", "greater_is_better", "models": {label:
ModelScore}, "final", "cv", "folds", "seed", "device", **RunInfo}`` — so old run folders still read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

import numpy as np

from compete.progress import DisplayErrors
from compete.spec import Spec

if TYPE_CHECKING:
    from compete.cv.foldloop import ModelResult
    from compete.run.plan import BudgetSummary
    from compete.scoring.thresholds import Threshold

__all__ = ["ModelScore", "Final", "RunInfo", "EnsembleInfo", "ThresholdInfo", "ArtifactsInfo", "RunResult"]


@dataclass(frozen=True)
class ModelScore:
    """One fit's line of ``scores.json`` → ``models``: its CV, fold scores, devices, rounds, seconds."""

    cv: float
    std: float
    folds: list[float]
    devices: list[str]
    best_iterations: list[int | None]
    seconds: float
    params: dict[str, Any]
    fold_seconds: list[float] = field(default_factory=list)
    workers: list[str] = field(default_factory=list)  # a cluster run's: which worker fitted each fold

    @classmethod
    def of(cls, r: ModelResult) -> ModelScore:
        return cls(r.score, r.std, list(r.fold_scores), list(r.devices), list(r.best_iterations),
                   round(r.seconds, 2), dict(r.params), list(r.fold_seconds), list(r.workers))  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not self.workers:
            del out["workers"]
        return out


class EnsembleInfo(TypedDict):
    """``scores.json`` → ``ensemble``: the method, its honest CV, its weights, whether it was chosen, and
    the best single fit's edge over it with the noise that edge had to beat."""

    method: str
    score: float
    weights: dict[str, float] | None
    chosen: bool
    single_edge: NotRequired[dict[str, float]]  # the best single fit's gain over it and the noise (cv.noise)
    repeated: NotRequired[dict[str, Any]]  # that edge over more fold splits (run.recheck), small data
    bags: NotRequired[int]  # hill climbing's bootstrap bags (run.final.blend_params)


class ThresholdInfo(TypedDict):
    """``scores.json`` → ``threshold``: the OOF-chosen cut, its scores, whether the submission uses it."""

    threshold: float | list[float]
    score: float
    default_score: float
    cv_score: float
    used: bool
    gain: float  # the cross-fitted cut's per-fold gain over the default cut's (higher is better) ...
    noise: float  # ... and the fold noise it had to beat to be used
    # true: ``threshold`` holds cut points on the expected class (qwk on several classes), not weights
    ordinal: NotRequired[bool]


class ArtifactsInfo(TypedDict, total=False):
    """``scores.json`` → ``artifacts``: what the kept fitted pipeline takes, or why it was not kept."""

    bytes: int
    files: int
    error: str


class RunInfo(TypedDict, total=False):
    """What a run record adds beside the models' scores (each key only when it applies)."""

    ensemble: EnsembleInfo
    threshold: ThresholdInfo
    budget: BudgetSummary
    search: dict[str, Any]  # the feature search: blocks tried, gains, kept recipes (compete.run.search)
    refit: dict[
        str, Any
    ]  # the full-data refit: what was refitted, seeds, rounds, seconds (compete.run.refit)
    fits: dict[str, float]  # the run's fit-seconds and critical path (see compete.run.plan.critical_path)
    display_errors: DisplayErrors
    artifacts: ArtifactsInfo


@dataclass
class Final:
    """The predictions the submission is made of: a model's or an ensemble's (``label``)."""

    label: str
    oof: np.ndarray
    test: np.ndarray
    score: float
    threshold: Threshold | None = None
    info: RunInfo = field(default_factory=lambda: RunInfo())
    ensemble: Any = None  # the fitted blender or meta-model, when the ensemble was chosen
    meta_finalize: Any = None  # the original features' finalizer, for stacking with features = true


@dataclass
class RunResult:
    """What a run produced."""

    run_id: str
    path: Path
    spec: Spec
    metric: str
    greater_is_better: bool
    scores: dict[str, ModelScore]
    final: str
    cv_score: float
    submission: Path
    wall_s: float
    extra_outputs: list[Path] = field(default_factory=list)
    info: RunInfo = field(default_factory=lambda: RunInfo())

    def summary(self) -> dict[str, Any]:
        """The machine-readable summary printed by ``compete run --json``."""
        return {
            "run_id": self.run_id, "competition": self.spec.name, "metric": self.metric,
            "models": {k: v.cv for k, v in self.scores.items()}, "final": self.final,
            "cv_score": self.cv_score, "submission": str(self.submission), "run_dir": str(self.path),
            "wall_s": round(self.wall_s, 2),
        }  # fmt: skip
