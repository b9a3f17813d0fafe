"""compete's overhead over a bare LightGBM script, and the start-up time of ``compete --help``.

    python bench/overhead.py --data-root ../shared/datasets [--repeats 3]

(a) ``compete run adult --models lightgbm --json`` and (b) this file with ``--bare``: the same raw
csv files, the same folds (StratifiedKFold 5, shuffle, seed 42), the same LightGBM parameters
(``LightGBMModel.default_params``), the same per-fold seeds (``derive_seed(42, "lightgbm", k)``),
the same early stopping (100 rounds on the validation fold), OOF + fold-averaged test predictions and
a submission written. Both run as fresh subprocesses of this interpreter (compete's script is the one
installed beside it, not a pyenv shim), alternating, ``--repeats`` times each. Printed: the medians
and their ratio (target: ratio ≤ 1.10); each side's spread and the ratio of the fastest runs (the
least disturbed: identical runs on a shared VM differ by more than the overhead); then
``compete --help`` 5 times (target: median < 0.5 s). The load average is printed before and after.

compete's runs share one runs folder, as a competitor's do, so the first fits the run's quick
drift check and the later ones read it back (``runs/.cache/drift/adult.json``); each line says which.
``--cold`` gives every compete run a new runs folder, so every run fits the check.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from suite import compete_command  # noqa: E402


def bare(folder: Path, out: Path) -> None:
    """The same fit as ``compete run adult --models lightgbm``, written directly against LightGBM."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    from compete.models.lightgbm import LightGBMModel
    from compete.seeding import derive_seed

    train = pd.read_csv(folder / "train.csv", na_values=["?"])
    test = pd.read_csv(folder / "test.csv", na_values=["?"])
    y = (train.pop("income") == ">50K").to_numpy(dtype=int)
    X, X_test = train.drop(columns=["id"]), test.drop(columns=["id"])
    for col in [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]:
        X[col] = X[col].astype("category")
        X_test[col] = pd.Categorical(X_test[col], categories=X[col].cat.categories)
    params = LightGBMModel.default_params("binary")
    oof, pred = np.zeros(len(X)), np.zeros(len(X_test))
    for k, (tr, va) in enumerate(StratifiedKFold(5, shuffle=True, random_state=42).split(X, y)):
        est = lgb.LGBMClassifier(random_state=derive_seed(42, "lightgbm", k), **params)
        est.fit(
            X.iloc[tr],
            y[tr],
            eval_X=(X.iloc[va],),
            eval_y=(y[va],),
            callbacks=[lgb.early_stopping(100, verbose=False)],
        )
        oof[va] = est.predict_proba(X.iloc[va])[:, 1]
        pred += est.predict_proba(X_test)[:, 1] / 5
    pd.DataFrame({"id": test["id"], "income": pred}).to_csv(out, index=False)
    print(f"bare OOF AUC {roc_auc_score(y, oof):.5f}")


def timed(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return wall, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def loadavg() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="a new runs folder for every compete run")
    ap.add_argument("--bare", type=Path, help=argparse.SUPPRESS)  # internal: run (b) writing this file
    args = ap.parse_args()
    folder = args.data_root / "adult"
    if args.bare:
        return bare(folder, args.bare)
    from compete.drift import quick_cache  # here, not at the top: the bare run (b) must not import it

    print(f"load average before: {loadavg()}")
    runs = tempfile.mkdtemp(prefix="overhead-runs-")
    plain = [sys.executable, __file__, "--data-root", str(args.data_root), "--bare", f"{runs}/bare.csv"]
    walls: dict[str, list[float]] = {"compete": [], "bare": []}
    for i in range(args.repeats):
        runs_dir = tempfile.mkdtemp(prefix="overhead-runs-") if args.cold else runs
        check = "read back" if quick_cache(runs_dir, "adult").is_file() else "fitted"
        compete = [compete_command(), "run", "adult", "--data-root", str(args.data_root), "--runs-dir", runs_dir,
                   "--models", "lightgbm", "--json"]  # fmt: skip
        for name, cmd in (("compete", compete), ("bare", plain)):
            wall, last = timed(cmd)
            walls[name].append(wall)
            note = f"(drift check {check}) " if name == "compete" else ""
            print(f"  {name:8s} run {i + 1}: {wall:6.2f} s  {note}{last[:120]}", flush=True)
    med = {k: statistics.median(v) for k, v in walls.items()}
    print(f"compete run adult --models lightgbm: median {med['compete']:.2f} s")
    print(f"bare LightGBM script, same folds:   median {med['bare']:.2f} s")
    print(f"ratio compete / bare: {med['compete'] / med['bare']:.3f} (target <= 1.10)")
    lo = {k: min(v) for k, v in walls.items()}
    print(
        f"spread: compete {lo['compete']:.2f}-{max(walls['compete']):.2f} s, bare {lo['bare']:.2f}-"
        f"{max(walls['bare']):.2f} s; fastest against fastest: {lo['compete'] / lo['bare']:.3f}"
    )
    helps = sorted(timed([compete_command(), "--help"])[0] for _ in range(5))
    print(
        f"compete --help: median {statistics.median(helps):.3f} s of 5 {[round(h, 3) for h in helps]} (target < 0.5 s)"
    )
    print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
