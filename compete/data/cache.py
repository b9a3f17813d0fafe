"""The typed-data cache: a competition's typed frames kept as parquet, so the next run skips the csv.

Reading and typing a large csv is the first minute of every run on it. :func:`data_key` names what the
typed frames depend on — each input file's path, size and modification time, the spec's target, id,
task, schema and joins, and the cache's own format — and :func:`save_typed` keeps them under
``<runs>/.cache/data/<competition>/`` (one entry per competition, replaced as a whole, written to a
side folder then renamed into place); :func:`load_typed` reads them back when the key matches.
Editing a file, the schema or the joins changes the key, and the next run types the csv again.

What is kept: the typed train and test features (categoricals as their integer codes, made categories
again with the schema's levels, so the codes a model sees are exactly the first run's), the columns
of train and test the rest of a run needs (id, target, the cv's group or time column), the
sample_submission, and the schema, id-like frequencies and load notes (pickled). Nothing here looks at
the target beyond keeping it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from compete.data.files import CompetitionData, find_table
from compete.data.schema import Schema
from compete.spec import Spec

__all__ = ["TypedData", "data_key", "cache_dir", "load_typed", "save_typed", "side_columns", "FORMAT"]

FORMAT = 3  # bump when what is kept, or how frames are typed, changes (2: code-like whole numbers, 3: keys)


@dataclass
class TypedData:
    """A competition's data after loading and typing: what :func:`compete.data.prepared.prepare_run`
    builds the folds and the models on. ``data.train`` and ``data.test`` hold only the columns of
    :func:`side_columns` (the features are ``X`` and ``X_test``)."""

    data: CompetitionData
    schema: Schema
    X: pd.DataFrame
    X_test: pd.DataFrame
    counts: dict[str, pd.Series] = field(default_factory=dict)
    raw_columns: list[str] = field(default_factory=list)
    key: str = ""
    from_cache: bool = False


def side_columns(spec: Spec, frame: pd.DataFrame) -> list[str]:
    """The raw columns of ``frame`` a run needs beside the typed features: id, target, cv columns."""
    wanted = (spec.id, spec.target, spec.cv.group, spec.cv.time)
    return list(dict.fromkeys(c for c in wanted if c and c in frame.columns))


def data_key(spec: Spec, folder: Path) -> str:
    """What the typed frames of ``spec``'s competition in ``folder`` depend on, hashed: each input
    file's resolved path, size and modification time, the spec's target, id, task, schema, joins and
    file names, the cv's group and time columns, this cache's format and the pandas and pyarrow
    versions. The same key means the same typed frames."""
    import pyarrow

    from compete import __version__

    files = [find_table(folder, spec.file(r)) for r in ("train", "test", "sample_submission")]
    files += [find_table(folder, j.file) for j in spec.joins]
    stats = [[str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns] for p in files]
    written = spec.to_dict()
    spec_part = {"target": spec.target, "id": spec.id, "task": spec.task, "schema": written["schema"],
                 "joins": written["joins"], "files": written["files"], "cv": [spec.cv.group, spec.cv.time]}  # fmt: skip
    payload = {"format": FORMAT, "compete": __version__, "pandas": pd.__version__, "pyarrow": pyarrow.__version__,
               "files": stats, "spec": spec_part}  # fmt: skip
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def cache_dir(runs_dir: str | Path, competition: str) -> Path:
    """Where a competition's typed data are kept: ``<runs>/.cache/data/<competition>/``."""
    return Path(runs_dir) / ".cache" / "data" / competition


def _codes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each categorical column as its integer codes (-1: missing)."""
    cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.assign(**{c: frame[c].cat.codes for c in cats}) if cats else frame


def _categories(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    for col, levels in schema.categories.items():
        if col in frame.columns:
            frame[col] = pd.Categorical.from_codes(frame[col].to_numpy(), dtype=pd.CategoricalDtype(levels))
    return frame


def save_typed(folder: Path, typed: TypedData) -> None:
    """Keep ``typed`` in ``folder`` (replacing what was there), or nothing if writing fails: a cache
    that cannot be written costs the next run its reading time, never this run its result."""
    stage = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    try:
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
        _codes(typed.X).to_parquet(stage / "X.parquet")
        _codes(typed.X_test).to_parquet(stage / "X_test.parquet")
        typed.data.train.to_parquet(stage / "train.parquet")
        typed.data.test.to_parquet(stage / "test.parquet")
        typed.data.sample.to_parquet(stage / "sample.parquet")
        side = {"schema": typed.schema, "counts": typed.counts, "raw_columns": typed.raw_columns,
                "notes": typed.data.notes, "label_text": typed.data.label_text}  # fmt: skip
        (stage / "typed.pkl").write_bytes(pickle.dumps(side))
        (stage / "key.json").write_text(json.dumps({"key": typed.key}))  # last: marks the entry complete
        shutil.rmtree(folder, ignore_errors=True)
        stage.rename(folder)
    except (OSError, ValueError, TypeError, ImportError):
        shutil.rmtree(stage, ignore_errors=True)


def _read(path: Path) -> pd.DataFrame:
    """A parquet file as pandas reads it, each column's arrow memory freed once converted."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas(split_blocks=True, self_destruct=True)


def load_typed(folder: Path, key: str, data_folder: Path) -> TypedData | None:
    """The typed data kept in ``folder`` under ``key``, or ``None`` (no entry, another key, or an
    entry that cannot be read: the caller types the csv again)."""
    try:
        if json.loads((folder / "key.json").read_text()).get("key") != key:
            return None
        side: dict[str, Any] = pickle.loads((folder / "typed.pkl").read_bytes())
        schema: Schema = side["schema"]
        X = _categories(_read(folder / "X.parquet"), schema)
        X_test = _categories(_read(folder / "X_test.parquet"), schema)
        data = CompetitionData(_read(folder / "train.parquet"), _read(folder / "test.parquet"),
                               _read(folder / "sample.parquet"), data_folder, list(side["notes"]),
                               dict(side["label_text"]))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ImportError, pickle.UnpicklingError):
        return None
    return TypedData(data, schema, X, X_test, side["counts"], list(side["raw_columns"]), key, from_cache=True)
