"""Imbalance remedies side by side: OOF and answers.csv AUC, average precision and F1 at a tuned cut.

    python bench/imbalance.py --data-root ../shared/datasets personal-loan adult \
        --methods none,class_weight,smote,random_under,smote_tomek --models lightgbm

For each competition and ``[resample]`` method, one ``compete run`` (same folds, same seed, the run's
final model or ensemble) and one markdown row: OOF AUC / average precision / F1 at the threshold
chosen on the OOF predictions, then the same three on the test rows against ``answers.csv`` (the
test labels are cut at that same OOF threshold: nothing is chosen on the answers), and wall seconds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from compete.data.files import read_table
from compete.records.runs import load_run
from compete.run.options import RunOptions
from compete.run.runner import prepare_for_run, run_competition
from compete.scoring.metrics import get_metric
from compete.scoring.thresholds import Threshold, apply_threshold, choose_threshold
from compete.submission.score import encode_labels


def scores(y: np.ndarray, p: np.ndarray, cut: Threshold) -> list[float]:
    labels = apply_threshold(p, cut)
    return [get_metric("auc").score(y, p), get_metric("average_precision").score(y, p),
            float(get_metric("f1").fn(y, labels))]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="+")
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--methods", default="none,class_weight,smote,random_under,smote_tomek")
    ap.add_argument("--models", default="", help="comma-separated models (default: the spec's)")
    args = ap.parse_args()
    models = [m for m in args.models.split(",") if m] or None
    print("| competition | method | OOF AUC | OOF AP | OOF F1 | cut | LB AUC | LB AP | LB F1 | wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.names:
        for method in args.methods.split(","):
            opts = RunOptions(name, data_root=args.data_root, runs_dir=args.runs_dir, resample=method,
                              models=models, device="cpu", note=f"bench/imbalance {method}")  # fmt: skip
            t0 = time.perf_counter()
            res = run_competition(opts)
            wall = time.perf_counter() - t0
            prep = prepare_for_run(opts)
            rec = load_run(args.runs_dir, name, res.run_id)
            oof, test = rec.oof[res.final], rec.test[res.final]
            cut = choose_threshold(prep.ctx.y, oof, "f1")
            truth = read_table(Path(prep.data.folder) / "answers.csv")
            truth = truth.set_index(prep.spec.id).loc[prep.data.test[prep.spec.id]][prep.spec.target]
            y_test = encode_labels(prep.codec, truth)
            assert cut is not None  # f1 is a label metric
            row = [*scores(prep.ctx.y, oof, cut), cut.value, *scores(y_test, test, cut)]
            cells = " | ".join(f"{v:.4f}" for v in row)
            print(f"| {name} | {method} | {cells} | {wall:.0f} |", flush=True)


if __name__ == "__main__":
    main()
