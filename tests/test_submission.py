import numpy as np
import pandas as pd
import pytest

from compete.errors import DataError
from compete.metrics import get_metric
from compete.submission import build_submission, validate_submission, write_atomic
from compete.target import TargetCodec
from compete.thresholds import Threshold

TEST_IDS = pd.Series([10, 11, 12, 13])
SAMPLE = pd.DataFrame({"id": [13, 10, 12, 11], "label": 0})  # a different order than test


def codec(task, metric, y):
    return TargetCodec(task, get_metric(metric)).fit(pd.Series(y))


def test_aligned_to_sample_ids_and_order_with_probabilities():
    sub = build_submission(SAMPLE, TEST_IDS, np.array([0.1, 0.2, 0.3, 0.4]), id_col="id",
                           codec=codec("binary", "auc", [True, False]), metric=get_metric("auc"))  # fmt: skip
    assert sub.columns.tolist() == ["id", "label"]
    assert sub.id.tolist() == [13, 10, 12, 11] and sub.label.tolist() == [0.4, 0.1, 0.3, 0.2]


def test_labels_in_original_values():
    c = codec("binary", "accuracy", ["<=50K", ">50K"])
    sub = build_submission(SAMPLE, TEST_IDS, np.array([0.9, 0.2, 0.6, 0.4]), id_col="id", codec=c,
                           metric=get_metric("accuracy"), threshold=Threshold(0.5, 0.0, 0.0))  # fmt: skip
    assert sub.label.tolist() == ["<=50K", ">50K", ">50K", "<=50K"]
    validate_submission(sub, SAMPLE, "id", labels=c.classes_)


def test_multiclass_both_layouts():
    c = codec("multiclass", "logloss", ["cat", "dog", "eel"])
    p = np.eye(3)[[0, 1, 2, 0]] * 0.8 + 0.2 / 3
    wide = pd.DataFrame({"id": [10, 11, 12, 13], "eel": 0.0, "cat": 0.0, "dog": 0.0})
    sub = build_submission(wide, TEST_IDS, p, id_col="id", codec=c, metric=get_metric("logloss"))
    assert sub.columns.tolist() == ["id", "eel", "cat", "dog"]
    assert sub.cat.round(3).tolist() == [0.867, 0.067, 0.067, 0.867]
    labels = build_submission(SAMPLE, TEST_IDS, p, id_col="id", codec=c, metric=get_metric("accuracy"))
    assert labels.label.tolist() == ["cat", "cat", "eel", "dog"]  # in sample order 13, 10, 12, 11


def test_rmsle_predictions_back_to_scale():
    c = TargetCodec("regression", get_metric("rmsle")).fit(pd.Series([1.0, 5.0]))
    sub = build_submission(SAMPLE, TEST_IDS, np.log1p([1.0, 2.0, 3.0, 4.0]), id_col="id", codec=c,
                           metric=get_metric("rmsle"))  # fmt: skip
    assert np.allclose(sub.label, [4, 1, 3, 2])


@pytest.mark.parametrize(
    ("sub", "message"),
    [
        (SAMPLE.rename(columns={"label": "y"}), "submission columns ['id', 'y'] differ"),
        (SAMPLE.head(3), "submission has 3 rows, sample_submission has 4"),
        (SAMPLE.iloc[::-1], "ids differ from sample_submission's ids or their order"),
        (SAMPLE.assign(label=[0.1, None, 0.2, 0.3]), "column 'label' has missing values"),
        (SAMPLE.assign(label=[0.1, 1.2, 0.2, 0.3]), "probabilities must lie in [0, 1]"),
    ],
)
def test_validation_refuses_bad_files(sub, message):
    with pytest.raises(DataError) as err:
        validate_submission(sub, SAMPLE, "id", proba=True)
    assert message in str(err.value)


def test_write_atomic_leaves_no_partial_file(tmp_path, monkeypatch):
    path = write_atomic(SAMPLE, tmp_path / "sub.csv")
    assert pd.read_csv(path).equals(SAMPLE)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError):
        write_atomic(SAMPLE.assign(label=1), tmp_path / "sub.csv")
    assert pd.read_csv(path).equals(SAMPLE)  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["sub.csv"]  # no temporary left behind
