"""Where compete's overhead over the bare LightGBM script goes: wall seconds per phase, no profiler.

    python bench/overhead_split.py --data-root ../shared/datasets [--repeats 3] [--cold]

Runs ``compete run adult --models lightgbm --json`` and ``bench/overhead.py``'s bare script, each
in a fresh subprocess of this interpreter, alternating, with wall-clock wrappers around LightGBM's
``fit`` and ``predict_proba`` (the work both do) and around compete's phases. "other" is a run's
wall time less LightGBM's fit and predict: start-up, imports, reading, typing, folds, checks and
writing, which is what compete adds to (compete's "fit" and "predict" count the models' fold loop
only, so the quick drift check is all in "other"). Runs share one runs folder (the drift check is read back after the
first run) unless ``--cold``.
"""

from __future__ import annotations

import argparse
import atexit
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# compete's phases, each a public function looked up where the run calls it (module, name)
PHASES = (("compete.tune.params", "resolve_params"), ("compete.run.runner", "prepare_for_run"),
          ("compete.drift", "quick_drift"), ("compete.cv.foldloop", "cross_fit"), ("compete.run.runner", "write_run"))  # fmt: skip
FIT = "cross_fit"  # the models' fold loop: LightGBM's time counts as the work only inside it


def _lightgbm_clock(counting: list[bool]) -> dict[str, float]:
    """LightGBM's fit and predict seconds, counted while ``counting[0]`` is true."""
    import lightgbm as lgb

    spent = {"fit": 0.0, "predict": 0.0}
    for method, key in (("fit", "fit"), ("predict_proba", "predict")):
        original = getattr(lgb.LGBMClassifier, method)

        def timed(self: Any, *a: Any, _original: Any = original, _key: str = key, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _original(self, *a, **k)
            finally:
                spent[_key] += (time.perf_counter() - t0) if counting[0] else 0.0

        setattr(lgb.LGBMClassifier, method, timed)
    return spent


def _inner(kind: str, data_root: Path, runs: str, start: float) -> None:
    counting = [kind == "bare"]  # compete: only the models' fits (not the drift check's) are the work
    spent = _lightgbm_clock(counting)
    phases: dict[str, float] = {}

    def report() -> None:
        total = time.perf_counter() - start
        other = total - spent["fit"] - spent["predict"]
        print(json.dumps({"total": total, "other": other, **spent, **phases}), file=sys.stderr)

    atexit.register(report)
    if kind == "bare":
        sys.path.insert(0, str(ROOT / "bench"))
        import overhead

        overhead.bare(data_root / "adult", Path(runs) / "bare.csv")
        return
    import importlib

    import compete.cli as cli

    for module_name, name in PHASES:
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def wrapped(*a: Any, _original: Any = original, _name: str = name, **k: Any) -> Any:
            t0, counting[0] = time.perf_counter(), _name == FIT
            try:
                return _original(*a, **k)
            finally:
                counting[0] = False
                phases[_name] = phases.get(_name, 0.0) + time.perf_counter() - t0

        setattr(module, name, wrapped)
    sys.argv = ["compete", "run", "adult", "--data-root", str(data_root), "--runs-dir", runs, "--models",
                "lightgbm", "--json"]  # fmt: skip
    cli.app()


def _measure(kind: str, data_root: Path, runs: str) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--data-root", str(data_root), "--inner", kind, "--runs", runs]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    lines = [line for line in done.stderr.splitlines() if line.startswith("{")]
    if done.returncode not in (0, None) or not lines:
        sys.exit(f"{kind} failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))


def main() -> None:
    start = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="a new runs folder for every compete run")
    ap.add_argument("--inner", choices=["compete", "bare"], help=argparse.SUPPRESS)
    ap.add_argument("--runs", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inner:
        return _inner(args.inner, args.data_root, args.runs, start)
    shared = tempfile.mkdtemp(prefix="overhead-split-")
    rows: dict[str, list[dict[str, float]]] = {"compete": [], "bare": []}
    for i in range(args.repeats):
        for kind in ("compete", "bare"):
            runs = tempfile.mkdtemp(prefix="overhead-split-") if args.cold and kind == "compete" else shared
            rows[kind].append(_measure(kind, args.data_root, runs))
            shown = " ".join(f"{k}={v:.3f}" for k, v in rows[kind][-1].items())
            print(f"  {kind:8s} run {i + 1}: {shown}", flush=True)
    for kind, runs in rows.items():
        keys = list(runs[0])
        medians = " ".join(f"{k}={statistics.median(r.get(k, 0.0) for r in runs):.3f}" for k in keys)
        print(f"{kind} medians: {medians}")
    gap = statistics.median(r["other"] for r in rows["compete"]) - statistics.median(
        r["other"] for r in rows["bare"]
    )
    print(f"compete's 'other' less the bare script's: {gap:.3f} s")


if __name__ == "__main__":
    main()
