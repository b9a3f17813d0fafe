"""Write generated competitions with answer keys, for what the five local ones do not cover: many classes,
and many rows.

    python bench/generated.py --out /tmp/gen
    python bench/score_runs.py --data-root /tmp/gen --init /tmp/gen-specs --extra "--time-budget 120" classes-7 rows-300k

Each folder holds train.csv, test.csv, sample_submission.csv, answers.csv and meta.json (target, id, metric),
as ``../shared/datasets`` does, so ``bench/score_runs.py`` sets each up with ``compete init`` and scores it:

* ``classes-7``: 30,000 rows (22,000 to train), 7 classes from ``make_classification`` (12 numbers), a
  40-level shop code, a note of three words (one of them tells class D apart) and a date; logloss on
  one probability column per class.
* ``ratings-5``: 6,000 rows (4,500 to train), ratings 0-4 cut from a noisy linear score of 8 numbers;
  quadratic weighted kappa on one label column.
* ``rows-300k``: 400,000 rows (300,000 to train), a binary target from ``make_classification`` (16
  numbers, 5% of labels flipped) and three categoricals of 5, 30 and 300 levels that carry nothing; AUC.

The same seed writes the same files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd


def _write(out: Path, name: str, frame: pd.DataFrame, n_train: int, id_col: str, target: str, metric: str,
           sample: pd.DataFrame, what: str) -> None:  # fmt: skip
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    frame.iloc[:n_train].to_csv(folder / "train.csv", index=False)
    frame.iloc[n_train:].drop(columns=target).to_csv(folder / "test.csv", index=False)
    sample.to_csv(folder / "sample_submission.csv", index=False)
    frame.iloc[n_train:][[id_col, target]].to_csv(folder / "answers.csv", index=False)
    meta = {"name": name, "target": target, "id": id_col, "metric": metric, "origin": what,
            "rows_train": n_train, "rows_test": len(frame) - n_train}  # fmt: skip
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"{folder}: {n_train:,} train rows, {len(frame) - n_train:,} test rows, {metric}")


def classes_7(out: Path) -> None:
    from sklearn.datasets import make_classification

    X, y = make_classification(30_000, n_features=12, n_informative=8, n_classes=7, n_clusters_per_class=2,
                               random_state=0)  # fmt: skip
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(12)]).round(4)
    frame["shop"] = rng.choice([f"S{i}" for i in range(40)], len(frame))
    words = ["red", "blue", "fast", "slow", "big", "small"]
    frame["note"] = [" ".join(rng.choice(words, 3)) + (" urgent" if c == 3 else "") for c in y]
    days = pd.to_timedelta(rng.integers(0, 700, len(frame)), unit="D")
    frame["when"] = (pd.Timestamp("2023-01-01") + days).strftime("%Y-%m-%d")
    frame.insert(0, "row_id", np.arange(len(frame)))
    classes = list("ABCDEFG")
    frame["Class"] = np.array(classes)[y]
    test_ids = frame["row_id"].iloc[22_000:]
    sample = pd.DataFrame({"row_id": test_ids, **{c: 1 / 7 for c in classes}})
    _write(out, "classes-7", frame, 22_000, "row_id", "Class", "logloss", sample,
           "generated: sklearn make_classification, 7 classes, seed 0")  # fmt: skip


def ratings_5(out: Path) -> None:
    rng = np.random.default_rng(3)
    n = 6000
    X = rng.normal(size=(n, 8))
    latent = X[:, :4] @ np.array([1, 0.8, 0.6, 0.4]) + rng.normal(0, 0.8, n)
    frame = pd.DataFrame(X.round(4), columns=[f"x{i}" for i in range(8)])
    frame.insert(0, "id", np.arange(n))
    frame["rating"] = np.digitize(latent, [-1.5, -0.5, 0.5, 1.5])
    sample = pd.DataFrame({"id": frame["id"].iloc[4500:], "rating": 0})
    _write(out, "ratings-5", frame, 4500, "id", "rating", "qwk", sample,
           "generated: ratings 0-4 cut from a noisy linear score, seed 3")  # fmt: skip


def rows_300k(out: Path) -> None:
    from sklearn.datasets import make_classification

    n = 400_000
    X, y = make_classification(n, n_features=16, n_informative=10, random_state=1, flip_y=0.05)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(16)]).astype("float32").round(4)
    rng = np.random.default_rng(0)
    for j, levels in enumerate([5, 30, 300]):
        frame[f"c{j}"] = [f"L{v}" for v in rng.integers(0, levels, n)]
    frame.insert(0, "id", np.arange(n))
    frame["target"] = y
    sample = pd.DataFrame({"id": frame["id"].iloc[300_000:], "target": 0.5})
    _write(out, "rows-300k", frame, 300_000, "id", "target", "auc", sample,
           "generated: sklearn make_classification, binary, 5% labels flipped, seed 1")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="folder to write the competitions into")
    args = ap.parse_args()
    out = Path(args.out)
    classes_7(out)
    ratings_5(out)
    rows_300k(out)


if __name__ == "__main__":
    main()
