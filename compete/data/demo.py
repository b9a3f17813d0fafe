"""The demo competition's data, generated so a fresh clone can run ``compete run demo``.

A churn-style table: numeric columns with missing values, categorical columns (one with a missing
token), a date written as text, and an imbalanced binary target (about 15% "yes"). The signal is
known, so a working pipeline scores well above chance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["make_demo", "write_demo"]


def make_demo(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """All rows (train and test) with their target, in id order."""
    rng = np.random.default_rng(seed)
    city = rng.choice(
        ["north", "south", "east", "west", "centre", "harbour"], n, p=[0.3, 0.2, 0.2, 0.1, 0.1, 0.1]
    )
    plan = rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1])
    tenure = rng.gamma(2.0, 12.0, n).round(1)
    charges = (20 + 15 * (plan == "plus") + 40 * (plan == "pro") + rng.normal(0, 5, n)).round(2)
    calls = rng.poisson(1.5, n)
    signup = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    logit = -2.2 - 0.05 * tenure + 0.6 * calls + 0.8 * (plan == "basic") + 0.7 * (city == "harbour")
    logit += 0.5 * (signup.day_of_week >= 5)
    churn = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = pd.DataFrame({
        "customer_id": np.arange(100000, 100000 + n),
        "city": city, "plan": plan, "tenure_months": tenure, "monthly_charges": charges,
        "support_calls": calls, "signup_date": signup.strftime("%Y-%m-%d"), "churn": churn,
    })  # fmt: skip
    frame.loc[rng.random(n) < 0.08, "tenure_months"] = np.nan
    frame.loc[rng.random(n) < 0.05, "city"] = "?"
    return frame


def write_demo(folder: str | Path, n: int = 3000, seed: int = 0) -> Path:
    """Write train.csv (2/3 of rows), test.csv, sample_submission.csv and answers.csv into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = make_demo(n, seed)
    cut = 2 * n // 3
    train, test = frame.iloc[:cut], frame.iloc[cut:]
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns="churn").to_csv(folder / "test.csv", index=False)
    pd.DataFrame({"customer_id": test.customer_id, "churn": 0.5}).to_csv(
        folder / "sample_submission.csv", index=False
    )
    test[["customer_id", "churn"]].to_csv(folder / "answers.csv", index=False)
    return folder
