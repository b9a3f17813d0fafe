"""No recipe leaks the target into the CV score: on a permuted target, the fold loop scores chance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from compete.cv.foldloop import FoldContext
from compete.cv.splits import make_folds
from compete.scoring.metrics import get_metric
from compete.spec import CVSpec, StepSpec


def fixed_rounds_model() -> Any:
    import lightgbm as lgb

    return lgb.LGBMClassifier(n_estimators=60, learning_rate=0.05, num_leaves=15, verbosity=-1, n_jobs=2,
                              random_state=0)  # fmt: skip


def permuted_data(n: int = 2000, levels: int = 300) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(7)
    c = rng.choice([f"c{i}" for i in range(levels)], n)
    X = pd.DataFrame({"c": pd.Categorical(c), "x": rng.normal(size=n) + (np.char.str_len(c) % 2)})
    y = rng.permutation(np.arange(n) % 2)  # a randomly permuted target: nothing to learn
    X_test = X.sample(200, random_state=1).reset_index(drop=True)
    return X, y, X_test


def cv_auc(X: pd.DataFrame, y: np.ndarray, X_test: pd.DataFrame, features: tuple[StepSpec, ...],
           keys: tuple[str, ...] = ()) -> float:  # fmt: skip
    """Out-of-fold AUC over the fold loop's own frames (recipes fitted per fold on the training part).

    A fixed number of boosting rounds: early stopping on the validation part would itself pick the
    luckiest round on pure noise and blur what this test measures (the recipes).
    """
    from sklearn.metrics import roc_auc_score

    folds = make_folds(CVSpec("stratified", 5, 42), y, X, "binary")
    ctx = FoldContext(X, y, X_test, folds, "binary", get_metric("auc"), 42, features, keys=keys)
    oof = np.full(len(y), np.nan)
    for k, (_, va) in enumerate(folds):
        frames = ctx.frames(k)
        assert frames.X_valid.index.equals(X.index[va])
        model = fixed_rounds_model().fit(frames.X_train, frames.y_train)
        oof[va] = model.predict_proba(frames.X_valid)[:, 1]
    return float(roc_auc_score(y, oof))


def test_target_means_and_group_aggregates_score_chance_on_a_permuted_target() -> None:
    X, y, X_test = permuted_data()
    features = (StepSpec("target_mean", {"columns": ["c"]}),
                StepSpec("group_agg", {"keys": ["c"], "columns": ["x"], "aggs": ["mean", "std", "count"],
                                       "diff": True, "use_test": True}))  # fmt: skip
    auc = cv_auc(X, y, X_test, features)
    assert abs(auc - 0.5) <= 0.03, auc


def test_an_in_sample_target_mean_leaks_and_scores_well_above_chance() -> None:
    X, y, X_test = permuted_data()
    leaky = (
        pd.Series(y).groupby(X["c"].to_numpy()).transform("mean").to_numpy()
    )  # uses every row's own target
    X_leaky = X.assign(c_mean=leaky).drop(columns="c")
    auc = cv_auc(X_leaky, y, X_test.assign(c_mean=0.5).drop(columns="c"), ())
    assert auc > 0.65, auc


def test_a_group_key_reaches_the_recipes_but_no_model_and_its_target_mean_scores_chance() -> None:
    X, y, X_test = permuted_data()
    features = (StepSpec("target_mean", {"columns": ["c"]}),)
    folds = make_folds(CVSpec("stratified", 5, 42), y, X, "binary")
    ctx = FoldContext(X, y, X_test, folds, "binary", get_metric("auc"), 42, features, keys=("c",))
    frames = ctx.frames(0)
    for frame in (frames.X_train, frames.X_valid, frames.X_test):
        assert list(frame.columns) == [
            "x",
            "c__te",
        ]  # the key's levels never reach a model; its encoding does
    assert list(ctx.without_keys()[0].columns) == ["x"]
    auc = cv_auc(X, y, X_test, features, keys=("c",))
    assert abs(auc - 0.5) <= 0.03, auc
