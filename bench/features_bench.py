"""Benchmark (not a test): group aggregations and time parts on N rows — compete vs pandas vs polars.

Work, identical for the three: by a 1,000-level key, mean/std/min/max/count of 4 numeric columns plus
``x - group mean`` and ``x / group mean`` (28 float32 columns), then 9 calendar parts of a datetime
column (float32). Each contender runs in its own process on the same data (saved once as .npy),
``--repeat`` times; the best wall time is reported. Memory: the process's peak resident set
(Linux ``VmHWM``, reset through ``/proc/self/clear_refs`` just before the work) minus its resident
set at that moment, i.e. RSS growth caused by the work, outputs included (tracemalloc would miss
polars' Rust allocations).

    python bench/features_bench.py --rows 10000000 > bench/features_bench.md
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

NUM = ["x0", "x1", "x2", "x3"]
AGGS = ["mean", "std", "min", "max", "count"]
PARTS = ["year", "month", "day", "hour", "dayofweek", "is_weekend", "weekofyear", "dayofyear", "quarter"]


def make_data(rows: int, folder: Path, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    np.save(folder / "key.npy", rng.integers(0, 1000, rows).astype(np.int16))
    for i, c in enumerate(NUM):
        x = rng.normal(10.0 * (i + 1), 3.0, rows)
        x[rng.random(rows) < 0.01] = np.nan
        np.save(folder / f"{c}.npy", x)
    start = np.datetime64("2015-01-01T00:00:00", "ns").astype(np.int64)
    minutes = rng.integers(0, 5 * 365 * 24 * 60, rows).astype(np.int64)
    np.save(folder / "t.npy", start + minutes * 60_000_000_000)


def load_pandas(folder: Path):  # noqa: ANN201
    import pandas as pd

    key = np.load(folder / "key.npy")
    cats = pd.Categorical.from_codes(key, categories=[f"k{i}" for i in range(1000)])
    cols = {"key": cats} | {c: np.load(folder / f"{c}.npy") for c in NUM}
    cols["t"] = np.load(folder / "t.npy").view("datetime64[ns]")
    return pd.DataFrame(cols, copy=False)


def run_compete(X):  # noqa: ANN001, ANN201
    from compete.features import DateParts, GroupAggregates  # imported before timing, in worker()

    out = GroupAggregates(keys="key", columns=NUM, aggs=AGGS, diff=True, ratio=True).fit_transform(X)
    return DateParts(columns=["t"], parts=PARTS).fit_transform(out)


def run_pandas(X):  # noqa: ANN001, ANN201
    import pandas as pd

    g = X.groupby("key", observed=True)
    new = {}
    for c in NUM:
        for agg in AGGS:
            new[f"{c}__{agg}"] = g[c].transform(agg).astype("float32")
        mean = new[f"{c}__mean"]
        new[f"{c}__diff"] = (X[c] - mean).astype("float32")
        new[f"{c}__ratio"] = (X[c] / mean).astype("float32")
    dt = X["t"].dt
    parts = {"year": dt.year, "month": dt.month, "day": dt.day, "hour": dt.hour, "dayofweek": dt.day_of_week,
             "is_weekend": dt.day_of_week >= 5, "weekofyear": dt.isocalendar().week,
             "dayofyear": dt.day_of_year, "quarter": dt.quarter}  # fmt: skip
    for p, v in parts.items():
        new[f"t__{p}"] = v.astype("float32")
    return pd.concat([X.drop(columns="t"), pd.DataFrame(new, index=X.index)], axis=1)


def load_polars(folder: Path):  # noqa: ANN201
    import polars as pl

    key = np.load(folder / "key.npy")
    names = np.array([f"k{i}" for i in range(1000)])
    df = pl.DataFrame({"key": pl.Series(names[key]).cast(pl.Categorical)})
    for c in NUM:
        df = df.with_columns(pl.Series(c, np.load(folder / f"{c}.npy")).fill_nan(None))
    return df.with_columns(pl.Series("t", np.load(folder / "t.npy").view("datetime64[ns]")))


def run_polars(df):  # noqa: ANN001, ANN201
    """Polars' fastest idiom here: one group_by().agg(), a left join back, then row-wise expressions."""
    import polars as pl

    f32 = pl.Float32
    aggs = []
    for c in NUM:
        x = pl.col(c)
        aggs += [x.mean().alias(f"{c}__mean"), x.std().alias(f"{c}__std"), x.min().alias(f"{c}__min"),
                 x.max().alias(f"{c}__max"), x.count().alias(f"{c}__count")]  # fmt: skip
    stats = df.group_by("key").agg(aggs).with_columns(pl.exclude("key").cast(f32))
    out = df.join(stats, on="key", how="left", maintain_order="left")
    exprs = [(pl.col(c) - pl.col(f"{c}__mean")).cast(f32).alias(f"{c}__diff") for c in NUM]
    exprs += [(pl.col(c) / pl.col(f"{c}__mean")).cast(f32).alias(f"{c}__ratio") for c in NUM]
    t = pl.col("t").dt
    parts = {"year": t.year(), "month": t.month(), "day": t.day(), "hour": t.hour(), "dayofweek": t.weekday() - 1,
             "is_weekend": t.weekday() >= 6, "weekofyear": t.week(), "dayofyear": t.ordinal_day(),
             "quarter": t.quarter()}  # fmt: skip
    exprs += [e.cast(f32).alias(f"t__{p}") for p, e in parts.items()]
    return out.with_columns(exprs).drop("t")


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def worker(name: str, folder: Path) -> dict:
    X = load_polars(folder) if name == "polars" else load_pandas(folder)
    size = X.estimated_size() if name == "polars" else int(X.memory_usage(deep=True).sum())
    import compete.features  # noqa: F401  (import time is not part of the work)

    fn = {"compete": run_compete, "pandas": run_pandas, "polars": run_polars}[name]
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    start = time.perf_counter()
    out = fn(X)
    wall = time.perf_counter() - start
    peak = _status("VmHWM") - before
    out_size = out.estimated_size() if name == "polars" else int(out.memory_usage(deep=True).sum())
    return {
        "name": name,
        "wall": wall,
        "peak": peak,
        "input": size,
        "output": out_size,
        "shape": list(out.shape),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--worker", default="")
    ap.add_argument("--dir", default="")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.dir))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        make_data(args.rows, Path(tmp))
        results = {}
        for _ in range(args.repeat):
            for name in ("compete", "pandas", "polars"):
                cmd = [sys.executable, __file__, "--worker", name, "--dir", tmp]
                r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                if name not in results or r["wall"] < results[name]["wall"]:
                    results[name] = r | {"peak": max(r["peak"], results.get(name, r)["peak"])}
    report(args, results)


def report(args: argparse.Namespace, results: dict) -> None:
    import pandas as pd
    import polars as pl

    gib = 1024**3
    print(f"# features_bench: {args.rows:,} rows, best of {args.repeat}\n")
    print(f"`python bench/features_bench.py --rows {args.rows} --repeat {args.repeat}` on {platform.machine()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"polars {pl.__version__}; memory = peak RSS growth (VmHWM reset via /proc/self/clear_refs).\n")  # fmt: skip
    print(
        "| contender | wall s | × polars | peak RSS growth GiB | × input | input GiB | output GiB | output shape |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    base = results["polars"]["wall"]
    for name, r in results.items():
        print(f"| {name} | {r['wall']:.2f} | {r['wall'] / base:.2f} | {r['peak'] / gib:.2f} | "
              f"{r['peak'] / r['input']:.2f} | {r['input'] / gib:.2f} | {r['output'] / gib:.2f} | "
              f"{r['shape'][0]:,} × {r['shape'][1]} |")  # fmt: skip


if __name__ == "__main__":
    main()
