"""Run compete as a user types it on competition folders with answer keys, and score each submission.

    python bench/score_runs.py --data-root ../shared/datasets titanic adult --extra "--time-budget 120"

Each competition runs ``compete run NAME --data-root ROOT --output OUT/NAME.csv EXTRA`` with the progress
display on (no ``--json``), in its own process, from the repository root so the shipped specs are found.
Prints one Markdown row per competition: exit code, the last line the command printed, CV and final
model (read from the run record), the answers.csv score of the file written by ``--output``, wall
seconds, what the feature search kept and what was refitted on every row (with how many seeds). A run that crashes or prints no ``submission:`` line is a failed row, not a skipped one.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compete.data.files import find_table, read_table
from compete.records.runs import list_runs
from compete.spec import find_spec, load_spec
from compete.submission.score import score_files

sys.path.insert(0, str(Path(__file__).resolve().parent))
from suite import read_run  # noqa: E402  (bench/suite.py, beside this file)

REPO = Path(__file__).resolve().parents[1]


def compete_bin() -> str:
    script = Path(sys.executable).with_name("compete")
    return str(script) if script.exists() else "compete"


def _init(name: str, args: argparse.Namespace) -> tuple[str, Path]:
    """``compete init NAME-init --data-dir ROOT/NAME --competitions INIT [--metric M]`` as a new user types
    it: the competition under a new name, with none of the shipped spec's hand-written knowledge; the
    metric is the one the competition's page states (``meta.json``), as a user passes it."""
    specs = Path(args.init).resolve()
    new = f"{name}-init"
    folder = Path(args.data_root) / name
    meta = json.loads((folder / "meta.json").read_text()) if (folder / "meta.json").is_file() else {}
    metric = ["--metric", meta["metric"]] if meta.get("metric") else []
    cmd = [compete_bin(), "init", new, "--data-dir", str(folder), "--competitions", str(specs), "--force",
           *metric]  # fmt: skip
    subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, check=True)
    return new, specs


def one(name: str, args: argparse.Namespace, out: Path) -> str:
    runs = Path(args.runs_dir)
    specs = REPO / "competitions"
    run_name = name
    if args.init:
        run_name, specs = _init(name, args)
    before = {r["run_id"] for r in list_runs(runs, run_name)}
    sub = out / f"{run_name}.csv"
    cmd = [
        compete_bin(),
        "run",
        run_name,
        "--data-root",
        args.data_root,
        "--output",
        str(sub),
        *(["--competitions", str(specs)] if args.init else []),
        *shlex.split(args.extra),
    ]
    if args.runs_dir != "runs":
        cmd += ["--runs-dir", args.runs_dir]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env={**os.environ, "COLUMNS": "200"})
    wall = time.perf_counter() - t0
    # stdout's last line (stderr comes after it here, whenever it was written)
    lines = [line for line in done.stdout.strip().splitlines() if line.strip()] or [
        line for line in done.stderr.strip().splitlines() if line.strip()]  # fmt: skip
    last = lines[-1].strip() if lines else ""
    if done.returncode != 0 or not last.startswith("submission:") or not sub.is_file():
        return f"| {run_name} | {done.returncode} | `{last}` | failed | | | {wall:.0f} | | |"
    run = read_run(runs, run_name, before)
    spec = load_spec(find_spec(run_name, specs))
    folder = Path(args.data_root) / name
    train = read_table(find_table(folder, "train"))
    lb = score_files(sub, folder / "answers.csv", spec, train[spec.target])
    search = run.get("search") or {}
    kept = ", ".join(k["recipe"] for k in search.get("kept", [])) or ("none" if search else "not run")
    refit = run.get("refit") or {}
    refitted = (
        "; ".join(f"{'+'.join(g['labels'])} x{g['seeds']}" for g in refit.get("refitted", [])) or "none"
    )
    return (
        f"| {run_name} | 0 | `{last}` | {run['final']} | {run['cv']:.5f} | {lb:.5f} | {wall:.0f} | {kept} "
        f"| {refitted} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="+")
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--runs-dir", default="runs", help="as compete's --runs-dir (relative to the repository)")
    ap.add_argument("--out", default=None, help="folder for the submissions (default: a temporary one)")
    ap.add_argument("--extra", default="", help='more `compete run` options, e.g. "--time-budget 120"')
    ap.add_argument("--init", default=None, help="set each competition up with `compete init NAME-init` in this "
                    "folder (no shipped spec) and run that")  # fmt: skip
    args = ap.parse_args()
    args.data_root = str(Path(args.data_root).resolve())
    out = Path(args.out or tempfile.mkdtemp(prefix="score-runs-"))
    out.mkdir(parents=True, exist_ok=True)
    print(
        "| competition | exit | last line | final | CV | answers | wall s | search kept | refitted (seeds) |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    for name in args.names:
        print(one(name, args, out), flush=True)


if __name__ == "__main__":
    main()
