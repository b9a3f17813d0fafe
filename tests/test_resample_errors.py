"""Every resampling error says what is wrong, shows the value and says what to do."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from compete.errors import ModelError, SpecError
from compete.resample import make_resampler
from compete.spec import StepSpec


def frame(n_pos: int = 10, n_neg: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n = n_pos + n_neg
    X = pd.DataFrame({"x": rng.normal(size=n), "c": pd.Categorical(rng.choice(["a", "b"], n))})
    return X, np.r_[np.zeros(n_neg, int), np.ones(n_pos, int)]


def make(method: str, task: str = "binary", **params: object):
    return make_resampler(StepSpec(method, params), task=task, seed=0)


def test_regression_is_refused() -> None:
    msg = "resample method 'smote' needs a classification target, but the task is 'regression'; " \
          "remove the [resample] table or set method = \"none\""  # fmt: skip
    with pytest.raises(ModelError, match=re.escape(msg)):
        make("smote", task="regression")
    with pytest.raises(ModelError, match="method 'class_weight' needs a classification target"):
        make("class_weight", task="regression")


def test_unknown_method_lists_the_known_ones() -> None:
    with pytest.raises(SpecError, match=r"unknown resample method 'smot' in resample.method; known resample "
                                        r"methods: adasyn, borderline_smote, class_weight, none, random_over"):  # fmt: skip
        make("smot")


def test_unknown_parameter_lists_the_class_parameters() -> None:
    msg = "resample.neighbours: unknown parameter for method 'smote' (imbalanced-learn SMOTE); " \
          "allowed: k_neighbors, random_state, ratio, sampling_strategy"  # fmt: skip
    with pytest.raises(SpecError, match=re.escape(msg)):
        make("smote", neighbours=3)
    with pytest.raises(
        SpecError, match=r"allowed: k_neighbors, n_jobs, random_state, ratio, sampling_strategy$"
    ):
        make("smote_tomek", tomek=1)
    with pytest.raises(SpecError, match=r"resample.k_neighbors: unknown parameter for method 'class_weight'; "
                                        r"allowed: power, ratio"):  # fmt: skip
        make("class_weight", k_neighbors=3)


@pytest.mark.parametrize("ratio", [0, 1.5, "most", True])
def test_bad_ratio(ratio: object) -> None:
    with pytest.raises(
        SpecError, match=re.escape(f"resample.ratio: got {ratio!r}; allowed: a number in (0, 1]")
    ):
        make("random_under", ratio=ratio)


def test_numeric_ratio_needs_a_binary_target() -> None:
    with pytest.raises(SpecError, match=r"resample.ratio: got 0.5, but a number only applies to binary targets; "
                                        r"for multiclass use one of auto, minority"):  # fmt: skip
        make("smote", task="multiclass", ratio=0.5)


def test_ratio_below_the_current_balance_cannot_be_reached() -> None:
    X, y = frame(n_pos=30, n_neg=60)
    r = make("smote", ratio=0.2)
    with pytest.raises(ModelError, match=r"resample.ratio = 0.2 cannot be reached on a training part with class "
                                         r"counts \{0: 60, 1: 30\}: .*use a ratio at least the current"):  # fmt: skip
        r.apply(X, y)


def test_too_few_rows_for_the_neighbourhood() -> None:
    X, y = frame(n_pos=3)
    msg = "resample method 'smote': class 1 has 3 rows in a training part, fewer than k_neighbors + 1 = 6; " \
          "lower resample.k_neighbors (at most 2), or use method = \"random_over\" or \"class_weight\""  # fmt: skip
    with pytest.raises(ModelError, match=re.escape(msg)):
        make("smote").apply(X, y)
    with pytest.raises(ModelError, match=r"'adasyn': class 1 has 1 rows .* fewer than n_neighbors \+ 1 = 6"):
        make("adasyn").apply(*frame(n_pos=1))
    X2, y2, _ = make("smote", k_neighbors=2).apply(X, y)  # the advice works
    assert np.bincount(y2).tolist() == [60, 60]


def test_text_column_with_smote_names_the_column() -> None:
    X, y = frame()
    X["note"] = pd.Series(["some words"] * len(X), dtype="str")
    msg = "resample method 'smote' cannot interpolate column 'note' (dtype str): drop it or turn it into " \
          "numeric features with a recipe first, or use method = \"random_over\", \"random_under\" or " \
          "\"class_weight\", which do not synthesise rows"  # fmt: skip
    with pytest.raises(ModelError, match=re.escape(msg)):
        make("smote").apply(X, y)
    X2, _, _ = make("random_over").apply(X, y)  # copies rows: text is fine
    assert X2["note"].dtype == X["note"].dtype


def test_smotenc_needs_both_kinds_of_columns() -> None:
    X, y = frame()
    with pytest.raises(ModelError, match=r"'smotenc' needs both categorical and numeric columns; this frame has "
                                         r"0 categorical of 1; use method = \"smote\""):  # fmt: skip
        make("smotenc").apply(X[["x"]], y)


def test_one_class_training_part() -> None:
    X, y = frame()
    with pytest.raises(ModelError, match=r"'random_under': this training part holds one class only \(\[0\]\); "
                                         r"use fewer folds"):  # fmt: skip
        make("random_under").apply(X.iloc[:60], y[:60])


def test_class_weight_parameters() -> None:
    with pytest.raises(SpecError, match="give either ratio or power for method 'class_weight', not both"):
        make("class_weight", ratio=0.5, power=0.5)
    with pytest.raises(SpecError, match=r"resample.power: got -1; allowed: a number >= 0"):
        make("class_weight", power=-1)


def test_ratio_and_sampling_strategy_together() -> None:
    with pytest.raises(SpecError, match="give either ratio or sampling_strategy, not both"):
        make("smote", ratio=0.5, sampling_strategy=0.5)


def test_length_mismatch() -> None:
    X, y = frame()
    with pytest.raises(ModelError, match="resample: X has 70 rows but y has 69; pass the same rows"):
        make("smote").apply(X, y[:-1])
