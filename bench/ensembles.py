"""Every ensemble method over one run's stored OOF and test predictions: honest CV and local LB.

    python bench/ensembles.py --data-root ../shared/datasets --runs-dir runs titanic [house-prices ...]
    python bench/ensembles.py --data-root ../shared/datasets adult=RUN_ID1+RUN_ID2   # pool two runs

Uses each competition's latest run (or the runs named after ``=``, joined by ``+``, which must share
their folds; every model of each is pooled); prints a markdown row per model and per method: the best single model, mean, rank, geometric, hill_climb and stacking (linear and
LightGBM meta-models), each with its cross-fitted CV score and its answers.csv score.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from compete.cv.splits import folds_signature
from compete.ensemble import combine
from compete.records.runs import load_run
from compete.run.options import RunOptions
from compete.run.runner import prepare_for_run
from compete.scoring.metrics import get_metric
from compete.scoring.thresholds import choose_threshold, cross_fitted_score
from compete.submission.build import build_submission
from compete.submission.score import score_submission

METHODS = [("mean", {}), ("rank", {}), ("geometric", {}), ("hill_climb", {}), ("stacking", {}),
           ("stacking", {"meta": "lightgbm"})]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="+")
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--run", default="latest")
    args = ap.parse_args()
    print("| competition | method | CV | local LB | seconds |\n|---|---|---|---|---|")
    for arg in args.names:
        name, _, ids = arg.partition("=")
        oofs, tests, signature = pooled(args.runs_dir, name, (ids or args.run).split("+"))
        prep = prepare_for_run(
            RunOptions(name, data_root=args.data_root, runs_dir=args.runs_dir, device="cpu")
        )
        if folds_signature(prep.ctx.folds) != signature:
            raise SystemExit(
                f"{name}: the runs' folds are not the spec's (seed or folds changed); re-run them"
            )
        answers = prep.data.folder / "answers.csv"
        from compete.data.files import read_table

        truth = read_table(Path(answers))
        for label in oofs:
            row(name, label, prep, oofs[label], tests[label], truth, 0.0)
        for method, params in METHODS:
            t0 = time.perf_counter()
            metric = get_metric("logloss") if prep.codec.metric.needs == "label" else prep.ctx.metric
            res = combine(method, oofs, tests, prep.ctx.y,
                          task=prep.spec.task, metric=metric, folds=prep.ctx.folds, seed=0, params=params)  # fmt: skip
            shown = method + (f" ({params['meta']} meta)" if params else "")
            row(name, shown, prep, res.oof, res.test, truth, time.perf_counter() - t0)


def pooled(runs_dir: str, name: str, run_ids: list[str]) -> tuple[dict, dict, str]:
    """Every model's OOF and test predictions of ``run_ids`` (ensembles left out); the runs must share folds."""
    recs = [load_run(runs_dir, name, r) for r in run_ids]
    if len({rec.folds_signature for rec in recs}) > 1:
        raise SystemExit(
            f"{name}: runs {run_ids} were made with different folds; pool runs of the same folds"
        )
    oofs, tests = {}, {}
    for rec in recs:
        for label in (k for k in rec.oof if not k.startswith("ensemble")):
            oofs[label], tests[label] = rec.oof[label], rec.test[label]
    return oofs, tests, recs[0].folds_signature


def row(name: str, label: str, prep, oof, test, truth, seconds: float) -> None:  # type: ignore[no-untyped-def]
    from compete.cv.foldloop import score_oof

    codec, spec = prep.codec, prep.spec
    threshold = choose_threshold(prep.ctx.y, oof, codec.metric)
    # a label metric's CV is cross-fitted: each fold cut at a threshold chosen on the other folds
    fold = prep.ctx.fold_of_row()
    cv = (
        score_oof(prep.ctx, oof)
        if threshold is None
        else cross_fitted_score(prep.ctx.y, oof, fold, codec.metric)
    )
    sub = build_submission(prep.data.sample, prep.data.test[spec.id], test, id_col=spec.id, codec=codec,
                           metric=codec.metric, threshold=threshold)  # fmt: skip
    lb = score_submission(sub, truth, spec, codec)
    print(f"| {name} | {label} | {cv:.4f} | {lb:.4f} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
