"""The bare LightGBM script ``bench/scale.py`` measures compete against: what a competent competitor
writes by hand for a large table, with nothing of compete imported.

    python bench/scale_bare.py DATA_DIR --params '{"learning_rate": 0.03, ...}' --seeds 1,2,3 \
        --cv-seed 42 --output sub.csv

Reads train/test with pandas' multi-threaded pyarrow reader, makes strings categories (levels from
train), splits the datetime column into calendar parts, and fits LightGBM with the given parameters
on stratified folds (``StratifiedKFold(len(seeds), shuffle=True, random_state=cv_seed)``: the folds
compete makes), early stopping after 100 rounds on each fold's validation part, fold ``k`` seeded
with ``seeds[k]``. Prints ``cv auc X`` and writes the fold-averaged test predictions.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

ID, TARGET, TIME = "id", "target", "event_time"


def features(frame: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
    """The datetime's calendar parts, as float32 columns at the end (those compete makes of it)."""
    t = pd.to_datetime(frame.pop(TIME))
    dow = t.dt.day_of_week
    parts = {"year": t.dt.year, "month": t.dt.month, "day": t.dt.day, "hour": t.dt.hour, "minute": t.dt.minute,
             "dayofweek": dow, "is_weekend": (dow >= 5).where(t.notna()), "weekofyear": t.dt.isocalendar().week,
             "dayofyear": t.dt.day_of_year, "quarter": t.dt.quarter}  # fmt: skip
    for name, values in parts.items():
        frame[f"{TIME}__{name}"] = values.astype("float32")
    frame[f"{TIME}__elapsed"] = ((t - origin).dt.total_seconds() / 86400).astype("float32")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--params", required=True, help="LightGBM parameters as JSON")
    parser.add_argument("--seeds", required=True, help="one seed per fold, comma-separated")
    parser.add_argument("--cv-seed", type=int, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    params, seeds = json.loads(args.params), [int(s) for s in args.seeds.split(",")]

    train = pd.read_csv(args.data / "train.csv", engine="pyarrow")
    test = pd.read_csv(args.data / "test.csv", engine="pyarrow")
    y = train.pop(TARGET).to_numpy()
    test_ids = test.pop(ID)
    train = train.drop(columns=ID)
    origin = pd.to_datetime(train[TIME]).min()
    train, test = features(train, origin), features(test, origin)
    for col in train.columns:
        if not pd.api.types.is_numeric_dtype(train[col]):
            train[col] = train[col].astype("category")
            cats = train[col].cat.categories
            test[col] = pd.Categorical(test[col].where(test[col].isin(cats)), categories=cats)

    oof, pred = np.zeros(len(train)), np.zeros(len(test))
    split = StratifiedKFold(len(seeds), shuffle=True, random_state=args.cv_seed)
    for k, (tr, va) in enumerate(split.split(train, y)):
        model = lgb.LGBMClassifier(random_state=seeds[k], **params)
        model.fit(train.iloc[tr], y[tr], eval_X=(train.iloc[va],), eval_y=(y[va],),
                  callbacks=[lgb.early_stopping(100, verbose=False)])  # fmt: skip
        oof[va] = model.predict_proba(train.iloc[va])[:, 1]
        pred += model.predict_proba(test)[:, 1] / len(seeds)
        print(
            f"fold {k}: auc {roc_auc_score(y[va], oof[va]):.5f}, {model.best_iteration_} rounds", flush=True
        )
    pd.DataFrame({ID: test_ids, TARGET: pred}).to_csv(args.output, index=False)
    print(f"cv auc {roc_auc_score(y, oof):.5f}")


if __name__ == "__main__":
    main()
