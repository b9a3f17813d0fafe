"""``distributed = true``: each Dask worker's peak memory against the whole frame's size.

    python bench/xgb_dask_memory.py --rows 20000000 [--workers 2] [--rounds 40] [--work bench/out/scale]

The synthetic competition of ``bench/scale.py`` (generated there once, chunk by chunk), with a spec of
one model, ``[[models]] name = "xgboost"`` with ``distributed = true`` (``--rounds`` rounds at learning
rate 0.3: the figure is memory, not score), 2-fold stratified CV; then, alone on the machine,

    compete run scale-<rows> --cluster local:<workers> --data-root ... --output ...

as a user types it (progress display on). The run writes its model-ready rows as parquet parts and each
worker trains XGBoost on its share (:mod:`compete.compute.xgb_dask`); the run's own line gives every
worker's peak RSS and the frame's size. Also printed: the peak RSS of the ``compete run`` process tree
(``os.wait4``: the run's process and its waited-for children; the process reads and types the csv, so
it holds the whole frame), wall time, CV and answers.csv AUC. Writes ``WORK/xgb-dask-<rows>.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import CV_SEED, SPEC, answers_auc, compete_bin, generate, measure  # noqa: E402  (bench/scale.py)

MODEL = """
[[models]]
name = "xgboost"
distributed = true
params = {{n_estimators = {rounds}, learning_rate = 0.3, max_depth = 6}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--work", type=Path, default=Path("bench/out/scale"))
    args = parser.parse_args()
    work = args.work.resolve()
    data_root, specs, runs, out = work / "data", work / "competitions", work / "runs-dask", work / "out"
    name = f"scale-{args.rows}"
    generate(data_root / name, args.rows)
    spec_name = f"{name}-dask"
    (specs / spec_name).mkdir(parents=True, exist_ok=True)
    spec = SPEC.format(rows=args.rows, seed=CV_SEED).replace("folds = 3", "folds = 2")
    (specs / spec_name / "competition.toml").write_text(spec + MODEL.format(rounds=args.rounds))
    shutil.rmtree(runs, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    sub = out / f"{spec_name}.csv"
    cmd = [compete_bin(), "run", spec_name, "--cluster", f"local:{args.workers}", "--data-root", str(data_root),
           "--data-dir", str(data_root / name), "--competitions", str(specs), "--runs-dir", str(runs),
           "--output", str(sub)]  # fmt: skip
    result = measure(cmd, out / f"{spec_name}.log")
    result["answers_auc"] = answers_auc(sub, data_root / name / "answers.csv")
    text = Path(str(result["log"])).read_text()
    line = re.search(
        r"peak memory ([\d, ]+) MB; the model-ready frame \(train \+ test\) is ([\d,]+) MB", text
    )
    workers = [int(v.replace(",", "")) for v in line.group(1).split(", ")] if line else []
    frame = int(line.group(2).replace(",", "")) if line else None
    result.update(
        rows=args.rows, workers=args.workers, rounds=args.rounds, worker_peak_mb=workers, frame_mb=frame
    )
    (work / f"xgb-dask-{args.rows}.json").write_text(json.dumps(result, indent=2))
    print("| rows | workers | exit | wall s | run's peak MB | each worker's peak MB | frame MB | worker / frame "
          "| cv AUC | answers AUC |\n|---|---|---|---|---|---|---|---|---|---|")  # fmt: skip
    ratio = ", ".join(f"{w / frame:.2f}" for w in workers) if frame else "-"
    print(f"| {args.rows:,} | {args.workers} | {result['exit']} | {result['wall_s']} | {result['peak_mb']:,} | "
          f"{', '.join(f'{w:,}' for w in workers) or '-'} | {frame if frame is None else f'{frame:,}'} | {ratio} | "
          f"{result['cv_auc']} | {result['answers_auc']} |")  # fmt: skip


if __name__ == "__main__":
    main()
