"""Replay hill climbing on the libraries that finished runs stored, with and without bootstrap bags.

A run keeps every fit's OOF and test predictions (``oof.parquet``, ``test.parquet``). This script blends
them again with :func:`compete.ensemble.combine` ("hill_climb", cross-fitted over the run's own folds as
in a run) for each ``--bags`` value and scores the blend's test predictions on the competition's
``answers.csv``. It is a side check of one step, not a run: the figures a user sees come from
``compete run`` (``bench/score_runs.py``). The test predictions are those the run stored (the refitted
ones for the fits its refit covered), so a replay can differ from the run's own submission.

    python bench/replay_blend.py --data-root ../shared/datasets --runs /tmp/c/runsA120 /tmp/c/runsB120 \
        --bags 1,20 titanic house-prices personal-loan

Scores are in model space: a binary metric on P(positive) (label metrics at 0.5), rmsle as the rmse of
log1p values; the answers are encoded as the run encoded the training target.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _encoded_answers(run: Path, data: Path, oof_y: np.ndarray) -> np.ndarray:
    """The test targets in the run's encoding: raw training labels mapped to the OOF rows' codes."""
    spec = json.loads((run / "spec.json").read_text())
    target, id_col = spec["target"], spec["id"]
    test = pd.read_csv(data / "test.csv", usecols=[id_col])
    answers = test.merge(pd.read_csv(data / "answers.csv"), on=id_col, how="left")[target]
    if spec["task"] == "regression":
        values = answers.to_numpy(float)
        return np.log1p(values) if spec["metric"] == "rmsle" else values
    train = pd.read_csv(data / "train.csv", usecols=[target])[target].astype(str)
    codes = dict(zip(train, oof_y.astype(int)))
    return answers.astype(str).map(codes).to_numpy(int)


def replay(run: Path, data: Path, bags: list[int]) -> dict[str, float | str]:
    """One run's blend, once per bag count: cross-fitted CV, answers score, seconds, members used."""
    from compete.ensemble import combine
    from compete.scoring.metrics import get_metric

    scores = json.loads((run / "scores.json").read_text())
    spec = json.loads((run / "spec.json").read_text())
    oof, test = pd.read_parquet(run / "oof.parquet"), pd.read_parquet(run / "test.parquet")
    y, fold = oof["y"].to_numpy(), oof["fold"].to_numpy()
    folds = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in np.unique(fold[fold >= 0])]
    labels = [c for c in test.columns if not c.startswith("ensemble") and c in oof.columns]
    labels = [c for c in labels if c not in ("y", "fold")]
    metric = get_metric(scores["metric"])
    model_metric = get_metric("rmse") if metric.log_target else metric
    truth = _encoded_answers(run, data, y)
    out: dict[str, float | str] = {"run": f"{run.parent.parent.name}/{run.parent.name}"}
    for b in bags:
        start = time.perf_counter()
        res = combine("hill_climb", {c: oof[c].to_numpy() for c in labels}, {c: test[c].to_numpy() for c in labels},
                      y, task=spec["task"], metric=model_metric.selection(), folds=folds, seed=7,
                      params={"bags": b})  # fmt: skip
        seen = ~np.isnan(res.oof)
        out[f"cv bags={b}"] = round(model_metric.score(y[seen], res.oof[seen]), 5)
        out[f"answers bags={b}"] = round(model_metric.score(truth, res.test), 5)
        out[f"s bags={b}"] = round(time.perf_counter() - start, 2)
        out[f"fits bags={b}"] = sum(w > 0 for w in (res.weights or {}).values())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data-root", required=True, help="folder of <competition>/ data folders with answers.csv"
    )
    ap.add_argument("--runs", nargs="+", required=True, help="runs folders (--runs-dir of compete run)")
    ap.add_argument("--bags", default="1,20", help="bag counts to compare, comma-separated")
    ap.add_argument("competitions", nargs="+")
    args = ap.parse_args()
    bags = [int(b) for b in args.bags.split(",")]
    for name in args.competitions:
        found = sorted(
            p.parent
            for root in args.runs
            for p in Path(root).glob("*/*/scores.json")
            if p.parent.parent.name in (name, f"{name}-init")
        )
        if not found:
            print(f"{name}: no run with oof.parquet under {' '.join(args.runs)}")
            continue
        table = pd.DataFrame([replay(run, Path(args.data_root) / name, bags) for run in found])
        print(f"\n{name}\n{table.to_string(index=False)}")
        print("mean: " + ", ".join(f"{k} {v:.5f}" for k, v in table.mean(numeric_only=True).items()))


if __name__ == "__main__":
    main()
