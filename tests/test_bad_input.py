"""Bad input through `compete run` and `compete init`: exit code 2, a message naming the file and column,
no traceback, nothing written. Also the near misses that must keep working (a shuffled sample_submission,
some missing targets, an ignored column only train has)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compete.data.files import load_competition
from compete.spec import find_spec, load_spec
from tests.conftest import make_frames
from tests.test_cli import bad, invoke, run_args, write


def data(comps: Path) -> Path:
    return comps.parent / "data" / "toy"


def sample_of(ids: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"id": ids, "y": 0})


def test_target_entirely_missing(competition):
    comps = competition()
    tr, _ = make_frames()
    write(comps, "train.csv", tr.assign(y=np.nan))
    message = bad(comps)
    assert "train.csv: target column 'y' has no values (all 240 rows are missing)" in message
    assert "`target` in the spec" in message


def test_init_refuses_a_target_entirely_missing(competition, tmp_path):
    comps = competition()
    tr, _ = make_frames()
    write(comps, "train.csv", tr.assign(y=np.nan))
    res = invoke("init", "fresh", "--data-dir", data(comps), "--competitions", tmp_path / "new")
    assert res.exit_code == 2 and "Traceback" not in res.output
    message = " ".join(res.output.split())
    assert "train.csv: target column 'y' has no values (all 240 rows are missing)" in message
    assert "--target" in message and not (tmp_path / "new").exists()


def test_some_targets_missing_are_left_out_with_a_note(competition):
    comps = competition()
    tr, _ = make_frames()
    write(comps, "train.csv", tr.assign(y=tr.y.where(tr.index >= 3)))
    loaded = load_competition(load_spec(find_spec("toy", comps)), data(comps))
    assert len(loaded.train) == 237 and loaded.train.y.notna().all()
    assert loaded.notes == ["train.csv: 3 rows have no target 'y'; they are left out (237 rows remain)"]


def test_no_note_when_every_target_is_there(competition):
    comps = competition()
    assert load_competition(load_spec(find_spec("toy", comps)), data(comps)).notes == []


def test_too_few_targets_left(competition):
    comps = competition()
    tr, _ = make_frames()
    write(comps, "train.csv", tr.assign(y=tr.y.where(tr.index < 5)))
    message = bad(comps)
    assert (
        "train.csv: 5 rows have a target, too few to cross-validate with 3 folds: need at least 10" in message
    )


def test_train_with_one_row(competition):
    comps = competition()
    tr, _ = make_frames()
    write(comps, "train.csv", tr.head(1))
    assert "train.csv: 1 row has a target, too few to cross-validate with 3 folds: need at least 10" in bad(
        comps
    )


def test_too_few_rows_counts_the_folds_asked_for(competition):
    comps = competition()
    tr, _ = make_frames()
    write(comps, "train.csv", tr.head(15))
    message = bad(comps, "--folds", "10")
    assert "15 rows have a target, too few to cross-validate with 10 folds: need at least 20 rows" in message


def test_test_file_with_zero_rows(competition):
    comps = competition()
    _, te = make_frames()
    write(comps, "test.csv", te.head(0))
    assert "test.csv: the file has a header but no rows; re-download it" in bad(comps)


def test_sample_submission_lacks_test_ids(competition):
    comps = competition()
    _, te = make_frames()
    write(comps, "sample_submission.csv", sample_of(te.id.iloc[:-5]))
    message = bad(comps)
    assert (
        "sample_submission.csv: 5 test ids are not in sample_submission (first: 355, 356, 357, ...)"
        in message
    )
    assert "it has 115 rows, test.csv has 120" in message


def test_sample_submission_has_ids_test_lacks(competition):
    comps = competition()
    _, te = make_frames()
    write(comps, "sample_submission.csv", sample_of(pd.concat([te.id, pd.Series([9001, 9002])])))
    assert "sample_submission.csv: 2 ids are not in test (first: 9001, 9002)" in bad(comps)


def test_sample_submission_repeats_an_id(competition):
    comps = competition()
    _, te = make_frames()
    write(comps, "sample_submission.csv", sample_of(pd.concat([te.id, te.id.head(1)])))
    assert "sample_submission.csv: id 'id' is duplicated (1 repeats, e.g. 240)" in bad(comps)


def test_repeated_column_name_in_train(competition):
    comps = competition()
    tr, _ = make_frames()
    text = tr.rename(columns={"c": "x"}).to_csv(index=False)
    write(comps, "train.csv", text)
    message = bad(comps)
    assert "train.csv: column 'x' appears 2 times in the header; give each column its own name" in message


def test_repeated_column_name_in_gzipped_test(competition):
    comps = competition()
    _, te = make_frames()
    (data(comps) / "test.csv").unlink()
    te.rename(columns={"when": "c"}).to_csv(data(comps) / "test.csv.gz", index=False)
    assert "test.csv.gz: column 'c' appears 2 times in the header" in bad(comps)


def test_shuffled_sample_submission_is_followed(competition, tmp_path):
    comps = competition()
    _, te = make_frames()
    shuffled = sample_of(te.id.sample(frac=1, random_state=1))
    write(comps, "sample_submission.csv", shuffled)
    res = invoke(*run_args(comps, "toy", "--json", "--output", tmp_path / "sub.csv"))
    assert res.exit_code == 0, res.output
    sub = pd.read_csv(tmp_path / "sub.csv")
    assert sub.id.tolist() == shuffled.id.tolist() and sub.y.between(0, 1).all()
    assert sub.id.tolist() != te.id.tolist()


def test_ignored_column_only_train_has(competition):
    """io says "add them to schema.ignore": doing so must work, not end in a KeyError."""
    comps = competition(extra='[schema]\nignore = ["leak"]\n')
    tr, _ = make_frames()
    write(comps, "train.csv", tr.assign(leak=np.arange(len(tr))))
    res = invoke(*run_args(comps, "toy", "--json"))
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(json.loads(res.output)["submission"])) == 120


@pytest.mark.parametrize("role", ["train.csv", "sample_submission.csv"])
def test_header_only_files(competition, role):
    comps = competition()
    write(comps, role, "id,y\n" if role != "train.csv" else "id,x,c,when,y\n")
    assert f"{role}: the file has a header but no rows" in bad(comps)


def test_target_mean_among_naming_no_column(competition):
    comps = competition(extra='[[features]]\nrecipe = "target_mean"\ncolumns = ["c"]\namong = "nope == 1"\n')
    message = bad(comps)
    assert "recipe 'target_mean': parameter 'among' 'nope == 1' is not a query over the columns" in message
    assert "name 'nope' is not defined" in message and "write a pandas query" in message


def test_lags_over_times_that_repeat_ask_for_the_series(competition):
    comps = competition(extra='[[features]]\nrecipe = "lags"\ntime = "when"\ncolumns = ["x"]\n')
    message = bad(comps)
    assert (
        "recipe 'lags':" in message and "of the training rows share their 'when' with another row" in message
    )
    assert "name the columns that tell the series apart in 'by' (e.g. by = [\"store\"])" in message
