"""The default-LightGBM baseline (run with compete's own Python, which has LightGBM).

``LGBMClassifier()`` / ``LGBMRegressor()`` with default parameters on the raw columns, strings as
pandas categories (test categories aligned with train's), rmsle targets trained on log1p(y): the
"lgbm default" of /work/shared/datasets/PEERS.md. The budget is not used (it finishes in seconds).
"""

from __future__ import annotations

import _common as c
import pandas as pd


def categorical(X: pd.DataFrame, X_test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    X, X_test = X.copy(), X_test.copy()
    for col in X.columns:
        if not pd.api.types.is_numeric_dtype(X[col]):
            X[col] = X[col].astype("category")
            X_test[col] = pd.Categorical(X_test[col], categories=X[col].cat.categories)
    return X, X_test


def main() -> None:
    args = c.parse()
    task = c.load(args)
    import lightgbm as lgb

    X, X_test = categorical(task.X, task.X_test)
    if args.task == "regression":
        model = lgb.LGBMRegressor(random_state=args.seed, verbose=-1).fit(X, task.y)
        preds = model.predict(X_test)
    else:
        model = lgb.LGBMClassifier(random_state=args.seed, verbose=-1).fit(X, task.y)
        if task.wants_proba:
            preds = model.predict_proba(X_test)[:, c.positive_index(model.classes_, args.positive)]
        else:
            preds = model.predict(X_test)
    c.write(task, preds, {"peer": "lgbm", "version": lgb.__version__})


if __name__ == "__main__":
    main()
