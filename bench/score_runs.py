"""Run compete on competition folders with answer keys and score each submission like a leaderboard.

    python bench/score_runs.py --data-root ../shared/datasets titanic adult [--extra "--models lightgbm"]

Prints one markdown row per competition: CV score, local leaderboard score (answers.csv), wall seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from compete.io import find_table, read_table
from compete.leaderboard import score_files
from compete.spec import find_spec, load_spec


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="+")
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--runs-dir", default="runs")
    ap.add_argument("--competitions", default="competitions")
    ap.add_argument(
        "--extra", default="", help='more `compete run` options, e.g. "--models lightgbm --seed 7"'
    )
    args = ap.parse_args()
    print("| competition | metric | final | CV | local LB | wall s |\n|---|---|---|---|---|---|")
    for name in args.names:
        cmd = ["compete", "run", name, "--data-root", args.data_root, "--runs-dir", args.runs_dir,
               "--competitions", args.competitions, "--json", *args.extra.split()]  # fmt: skip
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(
                f"| {name} | failed: {out.stderr.strip().splitlines()[-1] if out.stderr else out.returncode} |"
            )
            continue
        summary = json.loads(out.stdout.strip().splitlines()[-1])
        spec = load_spec(find_spec(name, args.competitions))
        folder = Path(args.data_root) / name
        train = read_table(find_table(folder, "train"))
        lb = score_files(summary["submission"], folder / "answers.csv", spec, train[spec.target])
        print(f"| {name} | {spec.metric} | {summary['final']} | {summary['cv_score']:.4f} | {lb:.4f} | "
              f"{time.perf_counter() - t0:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
