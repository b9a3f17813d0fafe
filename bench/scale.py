"""compete on one machine at competition scale, against a bare LightGBM script: time and peak memory.

    python bench/scale.py --rows 1000000 --rows 5000000 [--work bench/out/scale] [--no-second]

For each row count, a synthetic competition of the shape of a real one is generated once (chunk by
chunk, so 20M rows need little memory to write) under ``WORK/data/scale-<rows>/``: train.csv (``rows``
rows) and test.csv (a quarter as many: 20% of all rows), sample_submission.csv and answers.csv, with

- ``id``; ``target``, binary, from interactions of numbers, categories and the hour (AUC ~0.75);
- 16 numeric columns with 3–20% missing: ``num_0..7`` real values (4 decimals), ``num_8..11``
  amounts (2 decimals, skewed), ``num_12..15`` counts (whole numbers);
- 6 string categoricals of 5, 20, 300, 3,000, 30,000 and 300,000 levels (skewed: many rare levels);
- ``event_time``, a datetime over two years (1% missing).

Then, each in its own process, one after the other (nothing else should run: the figures are
wall time and peak RSS):

1. ``compete run scale-<rows> --models lightgbm --folds 3`` as a user types it (progress display on,
   runs in a fresh ``--runs-dir``, so its typed-data cache starts empty);
2. the same command again (the second run reads the typed-data cache), unless ``--no-second``;
3. ``bench/scale_bare.py``: a bare LightGBM script with compete's default LightGBM parameters, the
   same folds (stratified, the spec's seed) and the same per-fold model seeds.

Peak RSS is the child's own (``os.wait4``'s ``ru_maxrss``). Prints one Markdown row per run and the
ratios compete / bare; writes ``WORK/scale-<rows>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CV_SEED = 42
CHUNK = 500_000
CATEGORIES = (5, 20, 300, 3_000, 30_000, 300_000)
SPEC = """\
description = "Synthetic {rows}-row binary competition (bench/scale.py)"
task = "binary"
target = "target"
id = "id"
metric = "auc"

[cv]
scheme = "stratified"
folds = 3
seed = {seed}
"""


# ------------------------------------------------------------------------------------------ data


def _chunk(rng: np.random.Generator, start: int, n: int) -> tuple[dict[str, object], np.ndarray]:
    """``n`` rows of features (as pyarrow arrays) and their binary target."""
    import pyarrow as pa

    cols: dict[str, object] = {"id": pa.array(np.arange(start, start + n, dtype=np.int64))}
    z = rng.standard_normal((n, 8))
    amounts = rng.lognormal(3.0, 1.2, (n, 4))
    counts = rng.poisson([1.0, 3.0, 12.0, 40.0], (n, 4)).astype(np.float64)
    codes = [np.minimum((k * rng.random(n) ** 2.5).astype(np.int64), k - 1) for k in CATEGORIES]
    seconds = rng.integers(1_640_995_200, 1_640_995_200 + 2 * 365 * 86_400, n)
    hour = (seconds // 3600) % 24

    effect = [np.random.default_rng(k).normal(0, 0.6, k) for k in CATEGORIES]  # a fixed effect per level
    logit = (0.5 * z[:, 0] + 0.45 * z[:, 1] * z[:, 2] - 0.35 * np.abs(z[:, 3]) + 0.3 * np.log1p(amounts[:, 0])
             - 0.02 * counts[:, 3] + effect[0][codes[0]] + 0.6 * effect[2][codes[2]] * (z[:, 4] > 0)
             + 0.4 * effect[3][codes[3]] + 0.25 * effect[5][codes[5]] + 0.5 * np.sin(hour / 24 * 2 * np.pi)
             - 1.6)  # fmt: skip
    target = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)

    def holes(values: np.ndarray, share: float) -> pa.Array:
        return pa.array(values, mask=rng.random(n) < share)

    for j in range(8):
        cols[f"num_{j}"] = holes(np.round(z[:, j], 4), 0.03 + 0.02 * j)
    for j in range(4):
        cols[f"num_{8 + j}"] = holes(np.round(amounts[:, j], 2), 0.05 + 0.05 * j)
    for j in range(4):
        cols[f"num_{12 + j}"] = holes(counts[:, j], 0.04 + 0.03 * j)
    for k, c in zip(CATEGORIES, codes, strict=True):
        names = np.array([f"L{k}_{i}" for i in range(k)], dtype=object)
        cols[f"cat_{k}"] = pa.array(names[c], type=pa.string())
    cols["event_time"] = pa.array(seconds, type=pa.timestamp("s"), mask=rng.random(n) < 0.01)
    return cols, target


def generate(folder: Path, rows: int, seed: int = 0) -> None:
    """Write the competition files for ``rows`` train rows (test: ``rows // 4``) into ``folder``."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if (folder / "answers.csv").is_file():
        return
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    opts = pacsv.WriteOptions(quoting_style="needed")
    writers: dict[str, pacsv.CSVWriter] = {}
    total, start, t0 = rows + rows // 4, 0, time.perf_counter()
    while start < total:
        n = min(CHUNK, total - start)
        cols, target = _chunk(rng, start, n)
        to_test = np.arange(start, start + n) >= rows
        for role, mask in (("train", ~to_test), ("test", to_test)):
            if not mask.any():
                continue
            table = pa.table(cols).filter(pa.array(mask))
            if role == "train":
                table = table.append_column("target", pa.array(target[mask]))
            parts = {role: table}
            if role == "test":
                ids = table.column("id")
                parts["sample_submission"] = pa.table({"id": ids, "target": pa.array(np.full(len(ids), 0.5))})
                parts["answers"] = pa.table({"id": ids, "target": pa.array(target[mask])})
            for name, part in parts.items():
                if name not in writers:
                    writers[name] = pacsv.CSVWriter(str(tmp / f"{name}.csv"), part.schema, write_options=opts)
                writers[name].write_table(part)
        start += n
    for w in writers.values():
        w.close()
    size = sum(p.stat().st_size for p in tmp.glob("*.csv")) / 1e6
    print(f"generated {rows:,} train + {rows // 4:,} test rows ({size:,.0f} MB of csv) in "
          f"{time.perf_counter() - t0:.0f} s: {folder}", flush=True)  # fmt: skip
    tmp.rename(folder)


# ------------------------------------------------------------------------------------------ runs


def measure(cmd: list[str], log: Path) -> dict[str, object]:
    """Run ``cmd`` alone; its wall seconds, peak RSS (the child's own), exit code and output."""
    env = {**os.environ, "COLUMNS": "120"}
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    text = log.read_text()
    auc = re.findall(r"cv auc ([0-9.]+)", text)
    return {"cmd": " ".join(cmd), "exit": os.waitstatus_to_exitcode(status), "wall_s": round(wall, 1),
            "peak_mb": round(usage.ru_maxrss / 1024), "cv_auc": float(auc[-1]) if auc else None,
            "log": str(log)}  # fmt: skip


def answers_auc(submission: Path, answers: Path) -> float | None:
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    if not submission.is_file():
        return None
    sub = pd.read_csv(submission, engine="pyarrow")
    truth = pd.read_csv(answers, engine="pyarrow")
    merged = truth.merge(sub, on="id", suffixes=("", "_pred"))
    return round(float(roc_auc_score(merged["target"], merged["target_pred"])), 5)


def compete_bin() -> str:
    script = Path(sys.executable).with_name("compete")
    return str(script) if script.exists() else "compete"


def one_size(rows: int, work: Path, second: bool) -> dict[str, object]:
    from compete.models.lightgbm import LightGBMModel
    from compete.seeding import derive_seed

    name = f"scale-{rows}"
    data_root, specs, runs, out = work / "data", work / "competitions", work / "runs", work / "out"
    generate(data_root / name, rows)
    (specs / name).mkdir(parents=True, exist_ok=True)
    (specs / name / "competition.toml").write_text(SPEC.format(rows=rows, seed=CV_SEED))
    shutil.rmtree(runs / name, ignore_errors=True)
    shutil.rmtree(runs / ".cache", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    answers = data_root / name / "answers.csv"

    results: dict[str, object] = {"rows": rows, "test_rows": rows // 4}
    compete = [compete_bin(), "run", name, "--models", "lightgbm", "--folds", "3", "--data-root", str(data_root),
               "--competitions", str(specs), "--runs-dir", str(runs)]  # fmt: skip
    for key in ("compete", "compete_cached") if second else ("compete",):
        sub = out / f"{name}-{key}.csv"
        results[key] = measure([*compete, "--output", str(sub)], out / f"{name}-{key}.log")
        results[key]["answers_auc"] = answers_auc(sub, answers)  # type: ignore[index]
        print(f"  {key}: {results[key]}", flush=True)
    params = LightGBMModel.default_params("binary")
    seeds = ",".join(str(derive_seed(CV_SEED, "lightgbm", k)) for k in range(3))  # the spec's seed is cv's
    sub = out / f"{name}-bare.csv"
    bare = [sys.executable, str(REPO / "bench" / "scale_bare.py"), str(data_root / name), "--params",
            json.dumps(params), "--seeds", seeds, "--cv-seed", str(CV_SEED), "--output", str(sub)]  # fmt: skip
    results["bare"] = measure(bare, out / f"{name}-bare.log")
    results["bare"]["answers_auc"] = answers_auc(sub, answers)  # type: ignore[index]
    print(f"  bare: {results['bare']}", flush=True)
    (work / f"{name}.json").write_text(json.dumps(results, indent=2))
    return results


def table(all_results: list[dict[str, object]]) -> str:
    lines = ["| rows | run | exit | wall s | peak MB | cv AUC | answers AUC | time × bare | memory × bare |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for res in all_results:
        bare = res["bare"]
        for key in ("compete", "compete_cached", "bare"):
            if key not in res:
                continue
            r = res[key]
            ratio_t = r["wall_s"] / bare["wall_s"] if bare["wall_s"] else float("nan")
            ratio_m = r["peak_mb"] / bare["peak_mb"] if bare["peak_mb"] else float("nan")
            lines.append(f"| {res['rows']:,} | {key} | {r['exit']} | {r['wall_s']} | {r['peak_mb']:,} | "
                         f"{r['cv_auc']} | {r['answers_auc']} | {ratio_t:.2f} | {ratio_m:.2f} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="train rows (repeat for several sizes)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "scale")
    parser.add_argument("--no-second", action="store_true", help="skip the second (cached) compete run")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    sizes = args.rows or [1_000_000, 5_000_000, 20_000_000]
    work = args.work.resolve()
    if args.generate_only:
        for rows in sizes:
            generate(work / "data" / f"scale-{rows}", rows)
        return
    results = []
    for rows in sizes:
        print(f"## {rows:,} rows", flush=True)
        results.append(one_size(rows, work, not args.no_second))
    print(table(results))


if __name__ == "__main__":
    main()
