"""Resampling inside the fold loop touches each fold's training part only: count what the model sees."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import compete.models
from compete.cv.foldloop import FoldContext, cross_fit
from compete.cv.splits import make_folds
from compete.scoring.metrics import get_metric
from compete.spec import CVSpec, ModelSpec, StepSpec


def context(method: str) -> FoldContext:
    rng = np.random.default_rng(3)
    n = 300
    y = (rng.random(n) < 0.12).astype(int)
    X = pd.DataFrame({"x": rng.normal(size=n) + y, "c": pd.Categorical(rng.choice(["a", "b", "c"], n))})
    X.loc[rng.random(n) < 0.1, "x"] = np.nan
    X_test = X.iloc[:50].reset_index(drop=True)
    folds = make_folds(CVSpec("stratified", 3, 42), y, X, "binary")
    return FoldContext(X, y, X_test, folds, "binary", get_metric("auc"), 42, resample=StepSpec(method))


@pytest.mark.parametrize(("method", "balanced"), [("smote", True), ("random_under", True), ("class_weight", False),
                                                  ("smote_tomek", False)])  # fmt: skip
def test_model_sees_resampled_training_rows_and_untouched_validation_rows(
    method: str, balanced: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context(method)
    seen: list[dict[str, Any]] = []
    real = compete.models.make_model

    def spy(*args: Any, **kwargs: Any) -> Any:
        model = real(*args, **kwargs)
        fit = model.fit

        def fit_and_count(
            X: pd.DataFrame, y: Any, X_valid: pd.DataFrame, y_valid: Any, sample_weight: Any = None
        ):
            seen.append({"y": np.asarray(y), "valid_index": X_valid.index, "y_valid": np.asarray(y_valid),
                         "weight": sample_weight})  # fmt: skip
            return fit(X, y, X_valid, y_valid, sample_weight=sample_weight)

        model.fit = fit_and_count
        return model

    monkeypatch.setattr(compete.models, "make_model", spy)
    result = cross_fit(ctx, ModelSpec("lightgbm", {"n_estimators": 20}))
    assert len(seen) == 3 and not np.isnan(result.oof).any()
    for (tr, va), fold in zip(ctx.folds, seen):
        assert fold["valid_index"].equals(ctx.X.index[va])  # validation rows: exactly the fold's own
        assert (fold["y_valid"] == ctx.y[va]).all()  # with their true labels, no synthetic rows
        counts = np.bincount(fold["y"])
        if balanced:
            assert counts[0] == counts[1]
        if method == "class_weight":
            assert len(fold["y"]) == len(tr) and fold["weight"] is not None
            assert fold["weight"][fold["y"] == 1].sum() == pytest.approx(fold["weight"][fold["y"] == 0].sum())
        else:
            assert fold["weight"] is None and len(fold["y"]) != len(tr)
