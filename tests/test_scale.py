"""Issue 17's pieces on small data: the pyarrow reader gives pandas' frames, numbers are compact only
where nothing changes, the typed-data cache gives back the same frames (and is invalidated by the
files and the spec), large tables free their fold frames without changing a prediction, and loading
reports its steps."""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compete.cv import foldloop
from compete.data.cache import cache_dir
from compete.data.files import read_table
from compete.data.prepared import CompetitionRef, prepare_run, resolve_spec
from compete.data.reader import read_csv_fast
from compete.data.schema import infer_schema
from compete.errors import DataError
from compete.progress import StepDone, StepStarted
from compete.run.options import RunOptions
from compete.run.runner import run_competition
from compete.spec import SchemaSpec

TRICKY = (
    "id,n,i,s,d,t,b,q,w\n"
    '1,1.5,3,a,2024-01-31,10:30,true,"x, ""y""\nz", 7\n'
    "2,?,,,2024-02-01,11:00:00,False,NA,8 \n"
    "3,-0.1,5,n/a,,,TRUE,plain,\n"
    "4,1e-3,6,None,2024-02-03,12:00,false,<NA>,9\n"
)


def test_the_fast_reader_gives_what_pandas_gives(tmp_path: Path) -> None:
    plain = tmp_path / "t.csv"
    plain.write_text(TRICKY)
    packed = tmp_path / "t.csv.gz"
    packed.write_bytes(gzip.compress(TRICKY.encode()))
    expected = pd.read_csv(plain, na_values=["?", "plain"], low_memory=False)
    for path in (plain, packed):
        got = read_csv_fast(path, ("?", "plain"))
        pd.testing.assert_frame_equal(got, expected)
    assert read_csv_fast(plain)["d"].tolist()[0] == "2024-01-31"  # dates stay text: the schema decides


def test_the_fast_reader_keeps_pandas_floats_bit_for_bit(tmp_path: Path) -> None:
    values = np.random.default_rng(0).normal(0, 1e3, 20_000)
    path = tmp_path / "f.csv"
    path.write_text(
        "x\n" + "\n".join(f"{v:.17g}" if k % 3 else f"{v:.4f}" for k, v in enumerate(values)) + "\n"
    )
    ours, theirs = read_csv_fast(path)["x"].to_numpy(), pd.read_csv(path)["x"].to_numpy()
    assert (ours.view(np.int64) == theirs.view(np.int64)).all()


def test_a_file_that_is_not_a_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataError, match=r"ragged.csv: cannot be read as a table \(.*\); check the file"):
        read_table(path)
    empty = tmp_path / "empty.csv.gz"
    empty.write_bytes(gzip.compress(b""))
    with pytest.raises(DataError, match="empty.csv.gz: the file is empty; re-download it"):
        read_table(empty)


def test_numbers_are_float32_only_where_every_value_is_one() -> None:
    train = pd.DataFrame({"count": [1.0, 2.0, np.nan, 2**23], "price": [0.1, 2.5, 3.0, 4.0],
                          "big": [1.0, 2.0**25 + 1, 3.0, 4.0], "half": [0.5, 1.25, -3.0, 8.0]})  # fmt: skip
    test = pd.DataFrame({"count": [4.0], "price": [1.0], "big": [2.0], "half": [0.75]})
    schema = infer_schema(train, test, SchemaSpec()).fit(train)
    assert schema.dtypes == {"count": "float32", "price": "float64", "big": "float64", "half": "float32"}
    typed = schema.apply(train)
    assert typed.dtypes.astype(str).to_dict() == schema.dtypes
    np.testing.assert_array_equal(typed.to_numpy(np.float64), train.to_numpy(np.float64))  # nothing changed
    old = pickle.loads(pickle.dumps(schema))
    del old.__dict__["dtypes"]  # a schema saved by 0.2.0 (a run's artifacts) types numbers as it did
    assert set(old.apply(train).dtypes.astype(str)) == {"float64"}


def test_new_category_levels_and_missing_values_read_as_missing() -> None:
    train = pd.DataFrame({"c": ["a", "b", None, "a"], "k": [1, 2, 2, 1]})
    test = pd.DataFrame({"c": ["b", "z", None], "k": [2, 3, 1]})
    schema = infer_schema(train, test, SchemaSpec(categorical=("k",))).fit(train)
    typed = schema.apply(test)
    assert typed["c"].astype(object).where(typed["c"].notna(), None).tolist() == ["b", None, None]
    assert typed["k"].astype(object).where(typed["k"].notna(), None).tolist() == [2, None, 1]
    assert list(typed["c"].cat.categories) == ["a", "b"]


def _prepare(competitions: Path, root: Path, report=None, **kw):
    ref = CompetitionRef(
        "toy", competitions_dir=competitions, data_root=root / "data", runs_dir=root / "runs"
    )
    return prepare_run(ref, resolve_spec(ref, **kw), "cpu", report)


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.ctx.X, b.ctx.X)
    pd.testing.assert_frame_equal(a.ctx.X_test, b.ctx.X_test)
    for col in a.schema.categories:
        np.testing.assert_array_equal(a.ctx.X[col].cat.codes, b.ctx.X[col].cat.codes)
    np.testing.assert_array_equal(a.ctx.y, b.ctx.y)
    pd.testing.assert_frame_equal(a.data.test, b.data.test)
    pd.testing.assert_frame_equal(a.data.sample, b.data.sample)
    assert [va.tolist() for _, va in a.ctx.folds] == [va.tolist() for _, va in b.ctx.folds]
    assert a.schema.describe() == b.schema.describe() and a.raw_columns == b.raw_columns


def test_the_typed_data_cache_gives_back_the_same_frames(competition, tmp_path: Path) -> None:
    comps = competition(extra='[schema]\ncategorical = ["c"]\n')
    first = _prepare(comps, tmp_path)
    assert first.pending_cache is not None and not cache_dir(tmp_path / "runs", "toy").exists()
    first.save_cache()
    events: list = []
    second = _prepare(comps, tmp_path, events.append)
    assert second.pending_cache is None  # read back: nothing to write again
    assert [type(e).__name__ for e in events] == ["StepStarted", "StepDone"]
    assert "240 rows read back" in events[-1].detail
    _same(first, second)
    assert first.data_key == second.data_key


def test_editing_a_file_or_the_schema_types_the_csv_again(competition, tmp_path: Path) -> None:
    comps = competition()
    _prepare(comps, tmp_path).save_cache()
    train = tmp_path / "data" / "toy" / "train.csv"
    frame = pd.read_csv(train)
    frame.loc[0, "x"] = 123.0
    frame.to_csv(train, index=False)
    os.utime(train, ns=(train.stat().st_atime_ns, train.stat().st_mtime_ns + 10**9))
    events: list = []
    edited = _prepare(comps, tmp_path, events.append)
    assert edited.pending_cache is not None and edited.ctx.X["x"].iloc[0] == 123.0
    assert [e.step for e in events if isinstance(e, StepDone)] == ["cache", "read", "type"]
    edited.save_cache()
    spec = comps / "toy" / "competition.toml"
    spec.write_text(spec.read_text().replace('id = "id"\n', 'id = "id"\n[schema]\nignore = ["when"]\n'))
    assert "when" not in _prepare(comps, tmp_path).ctx.X.columns


def test_an_unreadable_cache_is_typed_again(competition, tmp_path: Path) -> None:
    comps = competition()
    first = _prepare(comps, tmp_path)
    first.save_cache()
    (cache_dir(tmp_path / "runs", "toy") / "typed.pkl").write_bytes(b"not a pickle")
    again = _prepare(comps, tmp_path)
    assert again.pending_cache is not None
    _same(first, again)


def test_a_run_keeps_its_typed_data_and_the_next_run_predicts_the_same(competition, tmp_path: Path) -> None:
    comps = competition()
    opts = RunOptions("toy", competitions_dir=comps, data_root=tmp_path / "data", runs_dir=tmp_path / "runs")
    first = run_competition(opts)
    assert (cache_dir(tmp_path / "runs", "toy") / "key.json").is_file()
    events: list = []
    second = run_competition(opts, events.append)
    assert [e.step for e in events if isinstance(e, StepDone)] == ["cache"]
    for name in ("oof.parquet", "test.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(first.path / name), pd.read_parquet(second.path / name))
    assert (first.path / "submission.csv").read_bytes() == (second.path / "submission.csv").read_bytes()


def test_a_failed_run_leaves_no_typed_data(competition, tmp_path: Path, monkeypatch) -> None:
    comps = competition()
    opts = RunOptions("toy", competitions_dir=comps, data_root=tmp_path / "data", runs_dir=tmp_path / "runs")

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("compete.run.runner.write_run", broken)
    with pytest.raises(RuntimeError):
        run_competition(opts)
    assert not cache_dir(tmp_path / "runs", "toy").exists()


def test_large_tables_free_fold_frames_and_predict_the_same(competition, tmp_path: Path, monkeypatch) -> None:
    extra = '[[features]]\nrecipe = "target_mean"\ncolumns = ["c"]\n'
    comps = competition(extra=extra)
    kept = _prepare(comps, tmp_path)
    assert kept.ctx.keeps_frames()  # decided once, on first use
    monkeypatch.setattr(foldloop, "FOLD_CACHE_BYTES", 0)
    freed = _prepare(comps, tmp_path)
    assert not freed.ctx.keeps_frames()
    model = kept.spec.models[0]
    a, b = (foldloop.cross_fit(p.ctx, model) for p in (kept, freed))
    assert not freed.ctx._cache and len(kept.ctx._cache) == 3
    np.testing.assert_array_equal(a.oof, b.oof)
    np.testing.assert_array_equal(a.test, b.test)
    again = foldloop.cross_fit(freed.ctx, model)  # fold frames built again: the same predictions
    np.testing.assert_array_equal(a.oof, again.oof)
    assert freed.ctx.transform(0) is not None  # what predicting new rows replays stays


def test_loading_reports_its_steps(competition, tmp_path: Path) -> None:
    events: list = []
    _prepare(competition(), tmp_path, events.append)
    steps = [(type(e).__name__, e.step) for e in events]
    assert steps == [("StepStarted", "cache"), ("StepDone", "cache"), ("StepStarted", "read"), ("StepDone", "read"),
                     ("StepStarted", "type"), ("StepDone", "type")]  # fmt: skip
    done = [e for e in events if isinstance(e, StepDone)]
    assert "240 train rows, 120 test rows" in done[1].detail and "features" in done[2].detail
    assert all(isinstance(e, StepStarted | StepDone) for e in events)
