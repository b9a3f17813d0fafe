import numpy as np
import pandas as pd
import pytest

from compete.cv.splits import folds_signature, make_folds
from compete.errors import DataError
from compete.spec import CVSpec

N = 200
rng = np.random.default_rng(1)
Y = (rng.random(N) < 0.2).astype(int)
FRAME = pd.DataFrame(
    {"g": rng.integers(0, 25, N), "t": pd.date_range("2024-01-01", periods=N, freq="h")[::-1]}
)


def folds(scheme, y=Y, task="binary", k=5):
    return make_folds(CVSpec(scheme, k, 3, "g", "t"), y, FRAME, task)


@pytest.mark.parametrize("scheme", ["kfold", "stratified", "group"])
def test_every_row_validated_once_and_no_overlap(scheme):
    seen = np.zeros(N, int)
    for tr, va in folds(scheme):
        assert not set(tr) & set(va)
        assert len(tr) + len(va) == N
        seen[va] += 1
    assert (seen == 1).all()


def test_stratified_keeps_class_shares():
    for _, va in folds("stratified"):
        assert abs(Y[va].mean() - Y.mean()) < 0.03


def test_stratified_regression_bins_the_target():
    y = rng.gamma(2, 3, N)
    means = [y[va].mean() for _, va in folds("stratified", y, "regression")]
    assert max(means) - min(means) < 0.6 * y.std()


def test_group_integrity():
    for tr, va in folds("group"):
        assert not set(FRAME.g.iloc[tr]) & set(FRAME.g.iloc[va])


def test_time_folds_validate_the_future_only():
    for tr, va in folds("time"):
        assert FRAME.t.iloc[tr].max() < FRAME.t.iloc[va].min()
    validated = np.concatenate([va for _, va in folds("time")])
    assert len(set(validated)) < N  # the earliest block is never validated


def test_same_seed_same_folds_and_signature():
    assert folds_signature(folds("kfold")) == folds_signature(folds("kfold"))
    other = make_folds(CVSpec("kfold", 5, 4), Y, FRAME, "binary")
    assert folds_signature(other) != folds_signature(folds("kfold"))


def test_class_smaller_than_folds_is_a_clear_error():
    y = np.r_[np.zeros(N - 2), np.ones(2)].astype(int)
    with pytest.raises(DataError, match="class 1 has only 2 rows, fewer than cv.folds = 5"):
        folds("stratified", y)


def test_missing_group_column():
    with pytest.raises(DataError, match="cv.group = 'shop' is not a column of train"):
        make_folds(CVSpec("group", 5, 0, "shop"), Y, FRAME, "binary")


def test_group_period_keeps_each_calendar_day_in_one_fold():
    when = pd.Series(pd.date_range("2024-01-01", periods=N, freq="h").strftime("%Y-%m-%d %H:%M"), name="when")
    frame = FRAME.assign(when=when)
    split = make_folds(CVSpec("group", 4, 0, "when", "", "day"), Y, frame, "binary")
    days = pd.to_datetime(when).dt.date
    assert sum(len(va) for _, va in split) == N
    for tr, va in split:
        assert not set(days.iloc[tr]) & set(days.iloc[va])
    assert len(split) == 4


def test_group_period_needs_dates():
    with pytest.raises(
        DataError, match="cv.group_period = 'day' needs cv.group = 'g' to hold dates, but it holds numbers"
    ):
        make_folds(CVSpec("group", 5, 0, "g", "", "day"), Y, FRAME, "binary")
    bad = FRAME.assign(w=["2024-01-01"] * (N - 1) + ["soon"])
    with pytest.raises(DataError, match="1 values are missing or not dates \\(e.g. 'soon'\\)"):
        make_folds(CVSpec("group", 5, 0, "w", "", "day"), Y, bad, "binary")
