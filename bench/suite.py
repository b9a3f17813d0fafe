"""compete against its peers on every competition folder with an answer key, same files, same scorer.

    python bench/suite.py --data-root ../shared/datasets --budget 120
    python bench/suite.py --data-root ../shared/datasets --budget 300 --systems compete,autogluon \
        --competitions titanic,adult

A competition folder holds train, test, sample_submission, answers (csv) and meta.json (target, id,
metric, task, positive_label). Each system runs as a subprocess on the same raw files:

- ``compete``: ``compete run NAME --data-root DIR --runs-dir DIR --competitions DIR --output FILE
  --time-budget BUDGET`` (the shipped spec in ``competitions/NAME``), as a user types it: no ``--json``,
  the progress display on, so a crash in the display fails the benchmark. The submission and the scores
  are read from the run record the run wrote (the ledger's new row and its folder's ``scores.json``); a
  non-zero exit, no ``submission:`` last line on stdout or no new run record is reported as FAILED with
  the last lines of output. Without ``--time-budget`` support in the runner, plain ``compete run``.
- ``lgbm``: default ``LGBMClassifier()`` / ``LGBMRegressor()`` on raw columns (bench/peers/lgbm_run.py).
- ``autogluon``, ``flaml``, ``pycaret``: bench/peers/<peer>_run.py in bench/.venvs/<peer> (made by
  ``bench/peers/setup``; ``BENCH_VENVS`` moves them); a peer without a venv is reported "not set up".

Wall seconds are the subprocess's; peak memory is the largest sum of RSS over the process tree,
sampled every 0.2 s from /proc. Every submission is scored by
``compete.leaderboard.score_files`` against answers.csv, with a spec built from meta.json. The
markdown table is printed and written to ``bench/RESULTS.md`` (the section for this budget is
replaced, others kept); raw results go to ``bench/out/suite-<budget>.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYSTEMS = ("compete", "lgbm", "autogluon", "flaml", "pycaret")
PEERS = ("autogluon", "flaml", "pycaret")
FILES = ("train", "test", "sample_submission", "answers")
ARROW = {True: "↑", False: "↓"}


@dataclass
class Result:
    """One system on one competition."""

    competition: str
    system: str
    metric: str
    score: float | None = None
    wall_s: float | None = None
    peak_mb: float | None = None
    status: str = "ok"
    note: str = ""
    cv: float | None = None  # compete: the run record's CV score of the final model
    run: str = ""  # compete: the run record's folder


# ------------------------------------------------------------------------------ process tree memory


def _tree_rss_mb(root: int) -> float:
    """Sum of RSS (MB) of ``root`` and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total / 2**20


def run_measured(
    cmd: list[str], timeout: float, log: Path, env: dict[str, str] | None = None, err: Path | None = None
) -> tuple[int, float, float]:
    """Run ``cmd`` with stdout to ``log`` and stderr to ``err`` (or ``log`` too); return (exit code,
    wall seconds, peak tree RSS MB)."""
    peak = [0.0]
    t0 = time.perf_counter()
    with open(log, "w") as out, open(err or os.devnull, "w") as errs:
        stderr = errs if err else subprocess.STDOUT
        proc = subprocess.Popen(cmd, stdout=out, stderr=stderr, env=env, start_new_session=True)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_mb(proc.pid))
                done.wait(0.2)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            code = proc.wait()
            code = -9
        done.set()
        watcher.join()
    return code, time.perf_counter() - t0, peak[0]


# ------------------------------------------------------------------------------ competitions


def find_competitions(root: Path, names: list[str] | None) -> list[Path]:
    """Folders under ``root`` that have meta.json and train/test/sample_submission/answers csv files."""
    found = [d for d in sorted(root.iterdir()) if d.is_dir() and (d / "meta.json").is_file()
             and all((d / f"{f}.csv").is_file() for f in FILES)]  # fmt: skip
    if names:
        missing = set(names) - {d.name for d in found}
        if missing:
            sys.exit(
                f"--competitions {sorted(missing)}: not found under {root} (have {[d.name for d in found]})"
            )
        found = [d for d in found if d.name in names]
    return found


def spec_of(meta: dict[str, Any]) -> Any:
    """A compete spec from meta.json (for the scorer: task, target, id, metric, positive)."""
    from compete.spec import spec_from_dict

    raw = {k: meta[k] for k in ("task", "target", "id", "metric")}
    if meta.get("positive_label") is not None:
        raw["positive"] = str(meta["positive_label"])
    return spec_from_dict(raw, name=meta["name"], source="meta.json")


def score(folder: Path, meta: dict[str, Any], submission: Path) -> float:
    from compete.data.files import read_table
    from compete.submission.score import score_files

    spec = spec_of(meta)
    train = read_table(folder / "train.csv")
    return score_files(submission, folder / "answers.csv", spec, train[spec.target])


# ------------------------------------------------------------------------------ systems


def venv_python(peer: str) -> Path:
    return Path(os.environ.get("BENCH_VENVS", HERE / ".venvs")) / peer / "bin" / "python"


def compete_command() -> str:
    """The ``compete`` script installed with this interpreter (not a pyenv shim on PATH, whose own
    start-up, ~0.1-0.2 s here, is not compete's)."""
    beside = Path(sys.executable).with_name("compete")
    return str(beside) if beside.is_file() else "compete"


def compete_has_budget() -> bool:
    out = subprocess.run(
        [compete_command(), "run", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    return "--time-budget" in out.stdout


def peer_command(
    python: str, system: str, folder: Path, meta: dict[str, Any], budget: float, out: Path
) -> list[str]:
    return [python, str(HERE / "peers" / f"{system}_run.py"), "--train", str(folder / "train.csv"),
            "--test", str(folder / "test.csv"), "--sample", str(folder / "sample_submission.csv"),
            "--target", meta["target"], "--id", meta["id"], "--metric", meta["metric"], "--task", meta["task"],
            "--positive", str(meta.get("positive_label") or ""), "--budget", str(budget), "--out", str(out),
            "--workdir", str(out.parent / f"{system}-work")]  # fmt: skip


def compete_cmd(folder: Path, args: argparse.Namespace, runs: Path, sub: Path) -> list[str]:
    """``compete run`` as a user types it: no ``--json``, so the progress display runs."""
    cmd = [compete_command(), "run", folder.name, "--data-root", str(folder.parent), "--runs-dir", str(runs),
           "--competitions", str(args.specs), "--output", str(sub)]  # fmt: skip
    return cmd + (["--time-budget", f"{args.budget:g}"] if args.compete_budget else [])


def run_ids(runs: Path, competition: str) -> set[str]:
    from compete.records.runs import list_runs

    return {r["run_id"] for r in list_runs(runs, competition)}


def read_run(runs: Path, competition: str, before: set[str]) -> dict[str, Any]:
    """The run ``compete run`` just recorded under ``runs``: the newest ledger row of ``competition``
    whose id is not in ``before``, with its folder's ``scores.json``. Raises ``LookupError`` when there
    is none or its record is incomplete."""
    from compete.records.runs import list_runs

    new = [r for r in list_runs(runs, competition) if r["run_id"] not in before]
    if not new:
        raise LookupError(f"no new run of {competition} in {runs / 'ledger.sqlite'}")
    row = new[0]
    folder, submission = Path(row["path"]), Path(row["submission"])
    if not (folder / "scores.json").is_file():
        raise LookupError(f"run {row['run_id']}: no scores.json in {folder}")
    if not submission.is_file():
        raise LookupError(f"run {row['run_id']}: no submission at {submission}")
    scores = json.loads((folder / "scores.json").read_text())
    return {"run_id": row["run_id"], "path": folder, "submission": submission, "cv": scores["cv"],
            "final": scores["final"], "models": {k: v["cv"] for k, v in scores["models"].items()},
            "budget": scores.get("budget"), "search": scores.get("search"), "refit": scores.get("refit"),
            "wall_s": row["wall_s"]}  # fmt: skip


def tail(*logs: Path, lines: int = 6) -> list[str]:
    """The last non-empty lines of each log that has any."""
    out = []
    for log in logs:
        text = log.read_text(errors="replace").strip().splitlines() if log.is_file() else []
        out += [line.rstrip() for line in text if line.strip()][-lines:]
    return out


def run_compete(folder: Path, meta: dict[str, Any], args: argparse.Namespace, work: Path) -> Result:
    """``compete run`` on one competition; the submission and CV come from the run record it wrote."""
    res = Result(folder.name, "compete", meta["metric"])
    if not args.compete_budget:
        res.note = "no --time-budget (plain run)"
    runs, sub = work / "runs", work / f"{folder.name}-compete.csv"
    log, err = work / f"{folder.name}-compete.log", work / f"{folder.name}-compete.err"
    before = run_ids(runs, folder.name)
    env = {**os.environ, "COLUMNS": "1000"}  # rich wraps at 80 columns off a terminal; keep lines whole
    cmd = compete_cmd(folder, args, runs, sub)
    code, res.wall_s, res.peak_mb = run_measured(cmd, args.budget * args.kill_factor + 120, log, env, err)
    record, problem = None, f"exit {code}" if code != 0 else ""
    if not problem and not (tail(log, lines=1) or [""])[-1].startswith("submission:"):
        problem = "no 'submission:' last line on stdout"
    if not problem:
        try:
            record = read_run(runs, folder.name, before)
        except LookupError as exc:
            problem = str(exc)
    if record is None:
        res.status = "killed" if code == -9 else "FAILED"
        lines = tail(log, err)
        res.note = f"{problem}: {(lines or [''])[-1][:160]} (log {log})"
        print(f"{folder.name} compete {res.status} ({problem}); last lines of output:", flush=True)
        print("\n".join(f"    {line}" for line in lines), flush=True)
        return res
    res.cv, res.run = record["cv"], str(record["path"])
    res.score = score(folder, meta, record["submission"])
    return res


def run_system(
    system: str, folder: Path, meta: dict[str, Any], args: argparse.Namespace, work: Path
) -> Result:
    if system == "compete":
        return run_compete(folder, meta, args, work)
    res = Result(folder.name, system, meta["metric"])
    sub = work / f"{folder.name}-{system}.csv"
    if system == "lgbm":
        cmd = peer_command(sys.executable, system, folder, meta, args.budget, sub)
    else:
        python = venv_python(system)
        if not python.is_file():
            res.status = "not set up"
            res.note = f"run bench/peers/setup {system}"
            return res
        cmd = peer_command(str(python), system, folder, meta, args.budget, sub)
    log = work / f"{folder.name}-{system}.log"
    code, res.wall_s, res.peak_mb = run_measured(cmd, args.budget * args.kill_factor + 120, log)
    if code != 0 or not sub.is_file():
        res.status = "killed" if code == -9 else "failed"
        res.note = f"exit {code}: {(tail(log, lines=1) or [''])[0][:160]} (log {log})"
        return res
    res.score = score(folder, meta, sub)
    return res


# ------------------------------------------------------------------------------ report


def versions(systems: list[str]) -> dict[str, str]:
    out = {"python": platform.python_version()}
    git = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    out["compete"] = f"git {git.stdout.strip()}"
    import lightgbm

    out["lgbm"] = f"lightgbm {lightgbm.__version__}"
    dist = {"autogluon": "autogluon.tabular", "flaml": "flaml", "pycaret": "pycaret"}
    for peer in (s for s in systems if s in PEERS):
        python = venv_python(peer)
        if python.is_file():
            code = f"import importlib.metadata as m; print(m.version('{dist[peer]}'))"
            got = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
            out[peer] = f"{dist[peer]} {got.stdout.strip() or '?'}"
    return out


def machine() -> str:
    mem = next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        "?",
    )
    return f"{os.cpu_count()} cores ({cpu}), {int(mem) / 2**20:.0f} GiB memory, {platform.system()} {platform.release()}"


def cell(r: Result | None, what: str) -> str:
    if r is None:
        return ""
    if r.status != "ok":
        return r.status
    if what == "score":
        return f"{r.score:.4f}" + (" *" if r.note else "")
    return f"{r.wall_s:.0f} s / {r.peak_mb:.0f} MB"


def table(results: list[Result], systems: list[str], what: str) -> str:
    by = {(r.competition, r.system): r for r in results}
    comps = list(dict.fromkeys(r.competition for r in results))
    metric = {r.competition: r.metric for r in results}
    head = "| competition | metric | " + " | ".join(systems) + " |"
    lines = [head, "|" + "---|" * (len(systems) + 2)]
    for comp in comps:
        from compete.scoring.metrics import get_metric

        arrow = ARROW[get_metric(metric[comp]).greater_is_better]
        cells = " | ".join(cell(by.get((comp, s)), what) for s in systems)
        lines.append(f"| {comp} | {metric[comp]} {arrow} | {cells} |")
    return "\n".join(lines)


def tally(results: list[Result], systems: list[str]) -> str:
    """How often compete's score beats each other system's, over the competitions both finished."""
    from compete.scoring.metrics import get_metric

    by = {(r.competition, r.system): r for r in results if r.status == "ok"}
    comps = list(dict.fromkeys(r.competition for r in results))
    parts = []
    for other in (s for s in systems if s != "compete"):
        both = [c for c in comps if (c, "compete") in by and (c, other) in by]
        if not both:
            continue
        better = {c: get_metric(by[(c, "compete")].metric).better for c in both}
        wins = [c for c in both if better[c](by[(c, "compete")].score, by[(c, other)].score)]
        lost = [c for c in both if better[c](by[(c, other)].score, by[(c, "compete")].score)]
        parts.append(f"{other}: {len(wins)} of {len(both)}" + (f" (loses {', '.join(lost)})" if lost else ""))
    return "compete beats " + "; ".join(parts) + "." if parts else ""


def report(results: list[Result], systems: list[str], args: argparse.Namespace, load: tuple[str, str]) -> str:
    notes = sorted({f"- {r.system} on {r.competition}: {r.note}" for r in results if r.note})
    vers = versions(systems)
    return "\n".join([
        f"## Budget {args.budget:g} s", "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {machine()}; `{' '.join(sys.argv)}`.",
        f"Versions: {', '.join(f'{k} {v}' if k == 'python' else v for k, v in vers.items())}.",
        f"Load average (1, 5, 15 min) before: {load[0]}; after: {load[1]}.", "",
        "Score on answers.csv (scored by `compete.leaderboard.score_files`):", "",
        table(results, systems, "score"), "",
        *([tally(results, systems), ""] if "compete" in systems else []),
        "Wall seconds / peak memory (RSS summed over the process tree):", "",
        table(results, systems, "cost"), "",
        *(["Notes (`*` in the table):", "", *notes, ""] if notes else []),
    ])  # fmt: skip


def write_section(path: Path, budget: float, text: str) -> None:
    """Replace this budget's section of ``path`` (between markers), keeping the others."""
    begin, end = f"<!-- suite budget {budget:g} -->", f"<!-- /suite budget {budget:g} -->"
    old = path.read_text() if path.is_file() else "# Benchmark results\n\nWritten by `bench/suite.py`.\n"
    block = f"{begin}\n{text}\n{end}"
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        new = head + block + rest.split(end, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new)


def loadavg() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-root", type=Path, required=True)
    ap.add_argument("--budget", type=float, required=True, help="Seconds per system per competition.")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--competitions", default="", help="Comma-separated names (default: every folder found).")
    ap.add_argument("--specs", type=Path, default=ROOT / "competitions", help="compete's competition specs.")
    ap.add_argument("--work", type=Path, default=HERE / "out", help="Submissions, logs and run records.")
    ap.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument(
        "--kill-factor", type=float, default=3.0, help="Kill a system after budget * this + 120 s."
    )
    ap.add_argument("--resume", action="store_true", help="Reuse results already in the jsonl file.")
    args = ap.parse_args(argv)
    systems = [s for s in args.systems.split(",") if s]
    if bad := [s for s in systems if s not in SYSTEMS]:
        sys.exit(f"--systems {bad}: unknown; use any of {', '.join(SYSTEMS)}")
    args.compete_budget = "compete" in systems and compete_has_budget()
    work = args.work / f"budget-{args.budget:g}"
    work.mkdir(parents=True, exist_ok=True)
    store = args.work / f"suite-{args.budget:g}.jsonl"
    done = {}
    if args.resume and store.is_file():
        done = {
            (d["competition"], d["system"]): Result(**d)
            for d in map(json.loads, store.read_text().splitlines())
        }
    load_before, results = loadavg(), []
    for folder in find_competitions(args.data_root, [c for c in args.competitions.split(",") if c]):
        meta = json.loads((folder / "meta.json").read_text())
        meta.setdefault("name", folder.name)
        for system in systems:
            res = done.get((folder.name, system)) or run_system(system, folder, meta, args, work)
            if (folder.name, system) not in done:
                with open(store, "a") as fh:
                    fh.write(json.dumps(asdict(res)) + "\n")
            results.append(res)
            cv = f"  cv {res.cv:.5f}" if res.cv is not None else ""
            line = f"{folder.name:14s} {system:10s} {cell(res, 'score'):>12s}  {cell(res, 'cost')}{cv}"
            print(f"{line}  {res.note}", flush=True)
    text = report(results, systems, args, (load_before, loadavg()))
    print("\n" + text)
    write_section(args.output, args.budget, text)


if __name__ == "__main__":
    main()
