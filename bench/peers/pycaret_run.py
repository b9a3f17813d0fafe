"""PyCaret 3.3.2 on one competition within a time budget (run in bench/.venvs/pycaret).

``setup`` + ``compare_models(budget_time=minutes, sort=...)`` + ``finalize_model`` (refit on all
rows). compare_models gets 70% of the budget, leaving the rest for setup and the final refit (PyCaret
has no budget for those). Metric mapping (the ``sort`` column): auc → ``AUC``, accuracy →
``Accuracy``, rmsle → ``RMSE`` on a log1p(y) target (predictions expm1'd back), rmse → ``RMSE``, mae
→ ``MAE``, r2 → ``R2``, f1 → ``F1``.
"""

from __future__ import annotations

import _common as c

SORT = {"auc": "AUC", "accuracy": "Accuracy", "rmsle": "RMSE", "rmse": "RMSE", "mae": "MAE", "r2": "R2",
        "f1": "F1", "logloss": "Accuracy"}  # fmt: skip
COMPARE_SHARE = 0.7


def main() -> None:
    args = c.parse()
    start = c.clock()
    task = c.load(args)
    import pycaret

    if args.task == "regression":
        from pycaret import regression as pc
    else:
        from pycaret import classification as pc
    label = "__target__"
    train = task.X.assign(**{label: task.y.to_numpy()})
    pc.setup(data=train, target=label, session_id=args.seed, verbose=False, html=False, n_jobs=-1)
    minutes = max(args.budget * COMPARE_SHARE - (c.clock() - start), 1.0) / 60
    best = pc.compare_models(sort=SORT.get(args.metric, "R2" if args.task == "regression" else "Accuracy"),
                             budget_time=minutes, verbose=False)  # fmt: skip
    board = pc.pull()
    final = pc.finalize_model(best)
    if task.wants_proba and args.task != "regression":
        out = pc.predict_model(final, data=task.X_test, raw_score=True, verbose=False)
        cols = [col for col in out.columns if col.startswith("prediction_score_")]
        classes = [col[len("prediction_score_") :] for col in cols]
        if cols:
            preds = out[cols[c.positive_index(classes, args.positive)]].to_numpy()
        else:  # the chosen model has no predict_proba (SVM, ridge): its labels as 0/1 scores
            labels = out["prediction_label"].astype(str)
            preds = (labels == (args.positive or sorted(labels.unique())[-1])).astype(float).to_numpy()
    else:
        preds = pc.predict_model(final, data=task.X_test, verbose=False)["prediction_label"].to_numpy()
    c.write(task, preds, {"peer": "pycaret", "version": pycaret.__version__, "best": type(best).__name__,
                          "leaderboard": board.reset_index().to_dict(orient="records")})  # fmt: skip


if __name__ == "__main__":
    main()
