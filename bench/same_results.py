"""Do two checkouts of compete give the same run? Folds, OOF and test predictions, submission bytes.

    python bench/same_results.py --before /path/to/old/checkout --data-root ../shared/datasets \
        titanic house-prices personal-loan adult bike-sharing

Runs ``compete run NAME --data-root ROOT`` as a user types it (the spec's seed, no budget: a time
budget's choices depend on the clock) once with the code of ``--before`` and once with this
checkout's, each in its own process and its own fresh ``--runs-dir``, then compares the two run
records: the folds' signature, every model's out-of-fold and test predictions (largest absolute
difference) and the submission file byte for byte. Prints one Markdown row per competition.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent


def run(code: Path, name: str, data_root: str, runs: Path) -> tuple[Path | None, float, str]:
    env = {**os.environ, "PYTHONPATH": str(code), "COLUMNS": "160"}
    cmd = [sys.executable, "-c", "from compete.cli import main; main()", "run", name, "--data-root", data_root,
           "--runs-dir", str(runs)]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
    wall = time.perf_counter() - t0
    last = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
    folders = sorted((runs / name).glob("2*")) if (runs / name).is_dir() else []
    return (folders[-1] if done.returncode == 0 and folders else None), wall, last[0]


def compare(a: Path, b: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    sa, sb = (json.loads((p / "scores.json").read_text()) for p in (a, b))
    out["folds"] = sa["folds"] == sb["folds"]
    out["final"] = f"{sa['final']} / {sb['final']}"
    out["cv"] = f"{sa['cv']:.6f} / {sb['cv']:.6f}"
    worst = 0.0
    for name in ("oof.parquet", "test.parquet"):
        fa, fb = pd.read_parquet(a / name), pd.read_parquet(b / name)
        if list(fa.columns) != list(fb.columns):
            out[name] = f"columns differ: {list(fa.columns)} / {list(fb.columns)}"
            continue
        for col in fa.columns:
            x, y = fa[col].to_numpy(np.float64), fb[col].to_numpy(np.float64)
            worst = max(worst, float(np.nanmax(np.abs(x - y))) if len(x) else 0.0)
    out["max |diff|"] = worst
    out["submission"] = (
        "same bytes"
        if (a / "submission.csv").read_bytes() == (b / "submission.csv").read_bytes()
        else "DIFFERS"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+")
    parser.add_argument("--before", type=Path, required=True, help="the other checkout's repository root")
    parser.add_argument("--data-root", required=True)
    args = parser.parse_args()
    print("| competition | folds same | final (before / now) | cv (before / now) | max abs diff of predictions | submission | wall s (before / now) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names:
            (pa, wa, la), (pb, wb, lb) = (run(code, name, args.data_root, Path(tmp) / tag)
                                          for code, tag in ((args.before.resolve(), "before"), (REPO, "now")))  # fmt: skip
            if pa is None or pb is None:
                print(f"| {name} | FAILED: {la if pa is None else lb} | | | | | |", flush=True)
                continue
            c = compare(pa, pb)
            print(f"| {name} | {c['folds']} | {c['final']} | {c['cv']} | {c['max |diff|']:.3g} | {c['submission']} | "
                  f"{wa:.0f} / {wb:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
