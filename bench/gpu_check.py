"""Does compete's GPU path work? One call on a machine with an NVIDIA GPU answers it.

    python bench/gpu_check.py --data-root ../shared/datasets
    python bench/gpu_check.py --data-root ../shared/datasets --names titanic,adult --out $OUT/gpu_check.json

Prints the GPU (``nvidia-smi``), the versions of LightGBM, XGBoost and CatBoost and whether each was
built with GPU support, then runs each competition through the CLI as a user types it, each in a
subprocess with a timeout, first

    compete run NAME --data-root ROOT --device gpu --models lightgbm,xgboost,catboost --folds 2 --runs-dir TMP

on every competition, then the same with ``--device auto``. From each run folder's ``scores.json`` it
prints one row per model: the device each fold actually trained on, fit seconds, CV, and any fallback
to the CPU (with the reason the run printed) or the run's error (from its stderr). The table also goes
to ``--out`` as JSON and each run's output to ``<out folder>/gpu_check_logs/``. Exit 0 when every model
of every ``--device gpu`` run trained on the GPU, 1 otherwise; 2 when there is no GPU. Five
competitions x two devices with 2 folds take a few minutes; ``--total`` (default 540 s) stops starting
runs when the time is spent, so one call fits in 10 minutes.

Without a GPU (``nvidia-smi -L`` lists none) it says so on stderr and exits 2.
COMPETE_GPU_CHECK_FAKE_NONE=1 makes it act as if there were none (for tests on a GPU machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NAMES = ("titanic", "house-prices", "personal-loan", "adult", "bike-sharing")
MODELS = "lightgbm,xgboost,catboost"
NO_GPU = "no GPU: nvidia-smi lists none; run this on a machine with an NVIDIA GPU"


def has_gpu() -> bool:
    if os.environ.get("COMPETE_GPU_CHECK_FAKE_NONE") == "1":
        return False
    sys.path.append(str(ROOT))  # compete from this checkout when it is not installed
    from compete.device import gpu_present

    return gpu_present()


def sh(cmd: list[str], timeout: float = 30) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"({exc})"
    return (out.stdout or out.stderr).strip()


def first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")[:200]


def libraries() -> dict[str, dict[str, Any]]:
    """Each GBDT library's version and whether it can use the GPU, found cheaply."""
    import numpy as np

    out: dict[str, dict[str, Any]] = {}
    X, y = np.random.default_rng(0).normal(size=(200, 4)), np.arange(200) % 2
    try:
        import xgboost

        out["xgboost"] = {"version": xgboost.__version__, "gpu": bool(xgboost.build_info().get("USE_CUDA"))}
        out["xgboost"]["how"] = "build_info()['USE_CUDA']"
    except Exception as exc:  # a probe: report whatever it says
        out["xgboost"] = {"version": "?", "gpu": False, "how": first_line(exc)}
    try:
        import lightgbm

        out["lightgbm"] = {"version": lightgbm.__version__}
        try:
            lightgbm.LGBMClassifier(n_estimators=2, device_type="gpu", verbose=-1).fit(X, y)
            out["lightgbm"].update(gpu=True, how="a tiny fit with device_type='gpu' worked")
        except Exception as exc:  # the build's or the driver's complaint is the answer
            out["lightgbm"].update(gpu=False, how=f"tiny fit with device_type='gpu': {first_line(exc)}")
    except Exception as exc:
        out["lightgbm"] = {"version": "?", "gpu": False, "how": first_line(exc)}
    try:
        import catboost
        from catboost.utils import get_gpu_device_count

        count = get_gpu_device_count()
        out["catboost"] = {"version": catboost.__version__, "gpu": count > 0, "how": f"{count} GPU device(s)"}
    except Exception as exc:
        out["catboost"] = {"version": "?", "gpu": False, "how": first_line(exc)}
    return out


def compete_argv() -> list[str]:
    """The ``compete`` script installed with this interpreter, else the one on PATH, else the CLI
    imported from this checkout (run in the repository root)."""
    beside = Path(sys.executable).with_name("compete")
    if beside.is_file() or shutil.which("compete"):
        return [str(beside) if beside.is_file() else "compete"]
    return [sys.executable, "-c", "from compete.cli import main; main()"]


def command(name: str, root: Path, device: str, folds: int, runs: Path) -> list[str]:
    return [*compete_argv(), "run", name, "--data-root", str(root), "--device", device, "--models", MODELS,
            "--folds", str(folds), "--runs-dir", str(runs)]  # fmt: skip


def run(cmd: list[str], timeout: float) -> tuple[int | None, str, str, float]:
    """(exit code or None on timeout, stdout, stderr, wall seconds); a timed-out run's group is killed."""
    t0 = time.perf_counter()
    env = {**os.environ, "COLUMNS": "1000"}  # rich wraps at 80 columns off a terminal
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    return code, out, err, time.perf_counter() - t0


def error_line(err: str) -> str:
    """compete's ``error: ...`` line, a traceback's last line, or stderr's first line."""
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    if any(line.startswith("error:") for line in lines):
        return next(line for line in lines if line.startswith("error:"))[:200]
    if any(line.startswith("Traceback") for line in lines):
        return lines[-1][:200]
    return (lines or [""])[0][:200]


def said_about(label: str, text: str) -> str:
    """The first line of the run's output that names the model and the GPU (its fallback note)."""
    return next((line.strip() for line in text.splitlines() if label in line and "gpu" in line.lower()), "")


def rows_of(
    name: str, device: str, code: int | None, out: str, err: str, runs: Path, timeout: float
) -> list[dict]:
    """One row per model of a finished run (read from its scores.json), or one row for a failed run."""
    base = {"competition": name, "requested": device}
    if code is None:
        return [{**base, "model": "-", "error": f"timed out after {timeout:.0f} s"}]
    found = sorted((runs / name).glob("*/scores.json"))
    if code != 0 or not found:
        return [{**base, "model": "-", "error": f"exit {code}: {error_line(err) or 'no run record'}"}]
    rows, scores = [], json.loads(found[-1].read_text())
    for label, m in scores["models"].items():
        devices = list(m.get("devices") or [])
        row = {**base, "model": label, "ran_on": ",".join(sorted(set(devices))), "devices": devices,
               "seconds": m.get("seconds"), "cv": m.get("cv"), "error": ""}  # fmt: skip
        if device != "cpu" and scores.get("device") == "cpu":
            row["fallback"] = f"--device {device} resolved to cpu for the whole run"
        elif device != "cpu" and "cpu" in devices:
            said = m.get("gpu_error") or m.get("fallback") or said_about(label, out + err)
            row["fallback"] = (
                f"cpu on {devices.count('cpu')} of {len(devices)} folds: {said or '(no reason printed)'}"
            )
        rows.append(row)
    return rows


def fmt(value: Any, spec: str = "") -> str:
    return "" if value is None else format(value, spec)


def table(rows: list[dict]) -> str:
    head = ("competition", "requested", "model", "ran on", "fit s", "cv", "fallback / error")
    body = [(r["competition"], r["requested"], r["model"], r.get("ran_on", ""), fmt(r.get("seconds"), ".1f"),
             fmt(r.get("cv"), ".5f"), r.get("fallback") or r.get("error", "")) for r in rows]  # fmt: skip
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = [head, tuple("-" * w for w in widths), *body]
    return "\n".join(
        "  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data-root", type=Path, required=True, help="Folder holding <competition>/ data folders."
    )
    ap.add_argument("--names", default=",".join(NAMES), help="Comma-separated competitions.")
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--timeout-per-run", type=float, default=100.0, help="Seconds one compete run may take.")
    ap.add_argument("--total", type=float, default=540.0, help="Start no run after this many seconds.")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "gpu_check.json")
    args = ap.parse_args(argv)
    if not has_gpu():
        print(NO_GPU, file=sys.stderr)
        return 2
    start, names = time.monotonic(), [n for n in args.names.split(",") if n]
    root = args.data_root.resolve()
    print(sh(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]))
    libs = libraries()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores")
    for lib, info in libs.items():
        print(f"{lib:9s} {info['version']:8s} GPU support: {'yes' if info['gpu'] else 'no'} ({info['how']})")
    logs = args.out.parent / "gpu_check_logs"
    logs.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="gpu_check-") as tmp:
        for device in ("gpu", "auto"):
            for name in names:
                left = args.total - (time.monotonic() - start)
                if left < 20:
                    rows.append({"competition": name, "requested": device, "model": "-",
                                 "error": f"not run: --total {args.total:g} s spent"})  # fmt: skip
                    continue
                runs = Path(tmp) / f"{name}-{device}"
                cmd = command(name, root, device, args.folds, runs)
                timeout = min(args.timeout_per_run, left)
                print(f"$ {' '.join(cmd)}", flush=True)
                code, out, err, wall = run(cmd, timeout)
                (logs / f"{name}-{device}.log").write_text(f"$ {' '.join(cmd)}\n{out}\n--- stderr\n{err}")
                got = rows_of(name, device, code, out, err, runs, timeout)
                for row in got:
                    row["run_wall_s"] = round(wall, 1)
                rows += got
                print(f"  exit {code}, {wall:.1f} s", flush=True)
    print("\n" + table(rows))
    gpu_rows = [r for r in rows if r["requested"] == "gpu"]
    ok = bool(gpu_rows) and all(r.get("ran_on") == "gpu" and not r["error"] for r in gpu_rows)
    bad = sorted(
        {
            r["competition"] + ("" if r["model"] == "-" else f"/{r['model']}")
            for r in gpu_rows
            if r.get("ran_on") != "gpu" or r["error"]
        }
    )
    verdict = (
        f"GPU path works: all {len(gpu_rows)} fits with --device gpu trained on the GPU"
        if ok
        else f"GPU path FAILED with --device gpu on: {', '.join(bad) or 'every run'}"
    )
    print(f"\n{verdict} ({time.monotonic() - start:.0f} s in all)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "gpu": sh(["nvidia-smi", "-L"]), "libraries": libs,
              "folds": args.folds, "models": MODELS, "ok": ok, "verdict": verdict, "rows": rows}  # fmt: skip
    args.out.write_text(json.dumps(report, indent=2))
    print(f"written to {args.out} (logs in {logs})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
