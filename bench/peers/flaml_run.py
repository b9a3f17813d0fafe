"""FLAML on one competition within a time budget (run in bench/.venvs/flaml).

Metric mapping: auc → ``roc_auc``, accuracy → ``accuracy``, logloss → ``log_loss``, rmsle → ``rmse``
on log1p(y) (predictions expm1'd back), rmse → ``rmse``, mae → ``mae``, r2 → ``r2``. ``time_budget``
is the whole budget; FLAML retrains the best configuration on all rows inside it.
"""

from __future__ import annotations

import _common as c

METRICS = {"auc": "roc_auc", "accuracy": "accuracy", "logloss": "log_loss", "rmsle": "rmse", "rmse": "rmse",
           "mae": "mae", "r2": "r2", "f1": "f1"}  # fmt: skip


def main() -> None:
    args = c.parse()
    task = c.load(args)
    import flaml
    from flaml import AutoML

    automl = AutoML()
    kind = "regression" if args.task == "regression" else "classification"
    automl.fit(task.X, task.y, task=kind, metric=METRICS.get(args.metric, "auto"), time_budget=args.budget,
               seed=args.seed, verbose=0, log_file_name="")  # fmt: skip
    if task.wants_proba and kind == "classification":
        proba = automl.predict_proba(task.X_test)
        preds = proba[:, c.positive_index(automl.classes_, args.positive)]
    else:
        preds = automl.predict(task.X_test)
    c.write(task, preds, {"peer": "flaml", "version": flaml.__version__, "best": automl.best_estimator,
                          "best_loss": automl.best_loss})  # fmt: skip


if __name__ == "__main__":
    main()
