"""Shared fixtures: small competitions written into tmp folders (never ../shared)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest


def make_frames(task: str = "binary", n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A train frame with target ``y`` and id ``id``, and a test frame without target."""
    rng = np.random.default_rng(seed)
    total = n + n // 2
    x = rng.normal(size=total)
    c = rng.choice(["a", "b", "c"], total)
    when = (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, total), unit="D")).strftime(
        "%Y-%m-%d"
    )
    signal = x + (c == "a") * 1.5 + rng.normal(0, 0.3, total)
    if task == "binary":
        y = np.where(signal > 0.5, "yes", "no")
    elif task == "multiclass":
        y = np.select([signal < 0, signal < 1], ["low", "mid"], "high")
    else:
        y = np.exp(signal) * 10
    frame = pd.DataFrame({"id": np.arange(total), "x": x, "c": c, "when": when, "y": y})
    frame.loc[rng.random(total) < 0.1, "x"] = np.nan
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].drop(columns="y").reset_index(drop=True)


LIGHTGBM_60 = '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 60}\n'


def write_competition(root: Path, *, task: str = "binary", metric: str | None = None, extra: str = "",
                      name: str = "toy", models: str = LIGHTGBM_60, n: int = 240,
                      train: pd.DataFrame | None = None, test: pd.DataFrame | None = None,
                      answers: pd.DataFrame | None = None) -> Path:  # fmt: skip
    """Write a competition (data + spec, 3-fold CV) under ``root``; returns the competitions folder.

    ``train``/``test`` default to :func:`make_frames`; ``answers`` (id + y) is written when given.
    """
    tr, te = make_frames(task, n=n) if train is None or test is None else (train, test)
    data = root / "data" / name
    data.mkdir(parents=True, exist_ok=True)
    tr.to_csv(data / "train.csv", index=False)
    te.to_csv(data / "test.csv", index=False)
    pd.DataFrame({"id": te["id"], "y": 0}).to_csv(data / "sample_submission.csv", index=False)
    if answers is not None:
        answers.to_csv(data / "answers.csv", index=False)
    spec_dir = root / "competitions" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    metric_line = f'metric = "{metric}"\n' if metric else ""
    # the feature search has tests of its own (test_search.py); elsewhere a toy spec leaves it off
    search = "" if "[search]" in extra or "[search]" in models else "\n[search]\nfeatures = false\n"
    (spec_dir / "competition.toml").write_text(
        f'task = "{task}"\ntarget = "y"\nid = "id"\n{metric_line}{extra}\n[cv]\nfolds = 3\n{search}\n{models}'
    )
    return root / "competitions"


@pytest.fixture
def competition(tmp_path: Path) -> Callable[..., Path]:
    """``write_competition`` under tmp_path (keyword arguments as there)."""

    def write(task: str = "binary", **kwargs: Any) -> Path:
        return write_competition(tmp_path, task=task, **kwargs)

    return write
