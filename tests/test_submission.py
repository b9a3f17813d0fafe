import numpy as np
import pandas as pd
import pytest

from compete.data.target import TargetCodec
from compete.errors import DataError
from compete.records.atomic import write_atomic
from compete.scoring.metrics import get_metric
from compete.scoring.thresholds import Threshold
from compete.submission.build import build_submission, validate_submission

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


def test_write_atomic_writes_utf8_under_an_ascii_locale(tmp_path):
    """A C/POSIX locale without UTF-8 mode (a bare container, a cron job) makes Python's default file
    encoding ASCII; the submission and the text files must still be UTF-8."""
    import os
    import subprocess
    import sys

    script = (
        "import sys, locale, pandas as pd\n"
        "from compete.records.atomic import write_atomic, write_text_atomic\n"
        "assert locale.getpreferredencoding(False).lower() in ('ascii', 'ansi_x3.4-1968'), locale.getpreferredencoding(False)\n"
        "write_atomic(pd.DataFrame({'id': [1, 2], 'label': ['\\u00e9t\\u00e9', 'hiver']}), sys.argv[1])\n"
        "write_text_atomic('caf\\u00e9\\n', sys.argv[2])\n"
    )
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0"}
    env.pop("PYTHONIOENCODING", None)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "sub.csv"), str(tmp_path / "note.txt")],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "sub.csv").read_bytes() == "id,label\n1,été\n2,hiver\n".encode()
    assert (tmp_path / "note.txt").read_bytes() == "café\n".encode()
