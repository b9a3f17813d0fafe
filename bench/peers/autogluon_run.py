"""AutoGluon tabular on one competition within a time budget (run in bench/.venvs/autogluon).

``TabularPredictor(...).fit(train, presets="best_quality", time_limit=budget)``. Metric mapping:
auc → ``roc_auc``, accuracy → ``accuracy``, logloss → ``log_loss``, rmsle → ``root_mean_squared_error``
on a log1p(y) label (predictions expm1'd back), rmse → ``root_mean_squared_error``, mae →
``mean_absolute_error``, r2 → ``r2``. ``time_limit`` bounds the fit; prediction comes after it.
"""

from __future__ import annotations

import _common as c

METRICS = {"auc": "roc_auc", "accuracy": "accuracy", "logloss": "log_loss", "f1": "f1",
           "rmsle": "root_mean_squared_error", "rmse": "root_mean_squared_error",
           "mae": "mean_absolute_error", "r2": "r2"}  # fmt: skip
PROBLEM = {"binary": "binary", "multiclass": "multiclass", "regression": "regression"}


def main() -> None:
    args = c.parse()
    task = c.load(args)
    import autogluon.tabular
    from autogluon.tabular import TabularPredictor

    label = "__target__"
    train = task.X.assign(**{label: task.y.to_numpy()})
    predictor = TabularPredictor(label=label, problem_type=PROBLEM[args.task], eval_metric=METRICS.get(args.metric),
                                 path=c.workdir(args, "autogluon"), verbosity=1)  # fmt: skip
    predictor.fit(train, presets="best_quality", time_limit=args.budget)
    if task.wants_proba and args.task != "regression":
        proba = predictor.predict_proba(task.X_test)
        preds = proba.iloc[:, c.positive_index(proba.columns, args.positive)]
    else:
        preds = predictor.predict(task.X_test)
    board = predictor.leaderboard(silent=True)
    c.write(task, preds.to_numpy(), {"peer": "autogluon", "version": autogluon.tabular.__version__,
                                     "best": predictor.model_best, "models": len(board)})  # fmt: skip


if __name__ == "__main__":
    main()
