"""What every peer runner shares: the command line, reading the raw files, writing the submission.

Runs inside each peer's own venv, so it imports only pandas and numpy (never compete). A runner is

    python bench/peers/<peer>_run.py --train T --test T --sample S --target Y --id ID --metric M
        --task binary|multiclass|regression [--positive P] --budget SECONDS --out sub.csv [--workdir DIR]

and writes a submission aligned with sample_submission: P(positive) for auc, labels for accuracy (and
the other label metrics), values for regression. rmsle targets are modelled as log1p(y) and predicted
back with expm1 by every runner, so each peer optimises RMSE in log space (= RMSLE).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

PROBA_METRICS = ("auc", "logloss")


@dataclass
class Task:
    """One fit: the frames, the target and what the metric wants."""

    args: argparse.Namespace
    X: pd.DataFrame
    y: pd.Series
    X_test: pd.DataFrame
    test_ids: pd.Series

    @property
    def log_target(self) -> bool:
        return self.args.metric == "rmsle"

    @property
    def wants_proba(self) -> bool:
        return self.args.metric in PROBA_METRICS


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__)
    for name in ("train", "test", "sample", "target", "id", "metric", "task", "out"):
        ap.add_argument(f"--{name}", required=True)
    ap.add_argument("--positive", default="")
    ap.add_argument("--budget", type=float, required=True, help="Seconds for the whole fit.")
    ap.add_argument("--workdir", default="", help="Scratch folder for the peer's own files.")
    ap.add_argument("--seed", type=int, default=42)
    return ap.parse_args(argv)


def load(args: argparse.Namespace) -> Task:
    """Raw files as pandas reads them (no type fixes: every system gets the same raw input)."""
    train = pd.read_csv(args.train)
    test = pd.read_csv(args.test)
    train = train[train[args.target].notna()].reset_index(drop=True)
    y = train[args.target]
    if args.metric == "rmsle":
        y = np.log1p(y.astype(float))
    X = train.drop(columns=[args.target, args.id])
    return Task(args, X, y, test[X.columns], test[args.id])


def positive_index(classes: Any, positive: str) -> int:
    """Column of P(positive) among ``classes`` (the larger label when no positive is given)."""
    names = [str(c) for c in classes]
    if positive and positive in names:
        return names.index(positive)
    return len(names) - 1


def write(task: Task, preds: np.ndarray | pd.Series, info: dict[str, Any]) -> None:
    """Align ``preds`` (one per test row) with sample_submission and write it plus ``<out>.json``."""
    args = task.args
    values = np.asarray(preds)
    if task.log_target:
        values = np.clip(np.expm1(values.astype(float)), 0, None)
    sample = pd.read_csv(args.sample)
    col = next(c for c in sample.columns if c != args.id)
    by_id = pd.Series(values, index=task.test_ids.to_numpy())
    sub = pd.DataFrame({args.id: sample[args.id], col: by_id.reindex(sample[args.id].to_numpy()).to_numpy()})
    if sub[col].isna().any():
        sys.exit(f"{sub[col].isna().sum()} sample_submission ids have no prediction")
    sub.to_csv(args.out, index=False)
    with open(args.out + ".json", "w") as fh:
        json.dump(info, fh, default=str)


def workdir(args: argparse.Namespace, peer: str) -> str:
    path = args.workdir or os.path.join(os.path.dirname(os.path.abspath(args.out)), f"{peer}-work")
    os.makedirs(path, exist_ok=True)
    return path


def clock() -> float:
    return time.perf_counter()
