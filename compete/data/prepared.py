"""The prepared competition: which competition and where (:class:`CompetitionRef`), its spec with the
command's overrides (:func:`resolve_spec`), and everything before the models (:func:`prepare_run`):
the data read and checked, the target encoded, the columns typed, the folds made. Nothing is written.

Every command starts here: ``run``, ``tune``, ``drift``, ``submit`` and ``ensemble`` take a
:class:`CompetitionRef` (their options extend it) and share one :class:`Prepared`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from compete.progress import Reporter
from compete.spec import ModelSpec, Spec, StepSpec, find_spec, load_spec

if TYPE_CHECKING:
    from compete.cv.foldloop import FoldContext
    from compete.data.cache import TypedData
    from compete.data.files import CompetitionData
    from compete.data.schema import Schema
    from compete.data.target import TargetCodec

__all__ = ["CompetitionRef", "Prepared", "resolve_spec", "prepare_run", "typed_frame"]


@dataclass
class CompetitionRef:
    """Which competition, where its spec and data are, and where runs are recorded.

    The options of every command extend it (:class:`~compete.run.options.RunOptions`,
    :class:`~compete.tune.study.TuneOptions`, :class:`~compete.kaggle.submit.SubmitOptions`).

    Examples
    --------
    >>> ref = CompetitionRef("titanic", data_root="../shared/datasets")
    >>> ref.competition, str(ref.runs_dir)
    ('titanic', 'runs')
    """

    competition: str
    competitions_dir: str | Path = "competitions"
    data_root: str | Path | None = None
    data_dir: str | Path | None = None
    runs_dir: str | Path = "runs"

    def load_spec(self) -> Spec:
        """The competition's spec as written (no overrides)."""
        return load_spec(find_spec(self.competition, self.competitions_dir))

    def data_folder(self, spec: Spec) -> Path:
        """Where the competition's files are (``--data-dir``, else the data root's folder)."""
        from compete.data.files import resolve_data_dir

        return resolve_data_dir(spec, self.data_root, self.data_dir)


@dataclass
class Prepared:
    """A competition loaded, typed and split: what ``run``, ``tune`` and ``drift`` share."""

    spec: Spec
    data: CompetitionData
    codec: TargetCodec
    schema: Schema
    ctx: FoldContext
    device: str
    raw_columns: list[str] = field(default_factory=list)  # the feature columns as read, before typing
    counts: dict[str, pd.Series] = field(default_factory=dict)  # id-like column -> its value frequencies
    data_key: str = ""  # what the typed frames depend on (compete.data.cache.data_key)
    pending_cache: tuple[Path, TypedData] | None = field(default=None, repr=False)

    def save_cache(self) -> None:
        """Keep the typed data for the next run on these files (once the caller's work succeeded: a
        command that fails leaves nothing under ``runs/``). Nothing to do when they came from it."""
        if self.pending_cache is not None:
            from compete.data.cache import save_typed

            folder, typed = self.pending_cache
            save_typed(folder, typed)
            self.pending_cache = None


def resolve_spec(ref: CompetitionRef, *, seed: int | None = None, folds: int | None = None,
                 models: list[str] | None = None, resample: str | None = None) -> Spec:  # fmt: skip
    """Load the spec and apply a command's overrides (seed, folds, models, resample)."""
    spec = ref.load_spec()
    changes: dict[str, Any] = {}
    if seed is not None:
        changes["seed"] = seed
        changes["cv"] = dataclasses.replace(spec.cv, seed=seed)
    if folds is not None:
        changes["cv"] = dataclasses.replace(changes.get("cv", spec.cv), folds=folds)
    if models:
        from compete.models import MODELS

        for name in models:
            MODELS.get(name, where="--models")
        changes["models"] = tuple(ModelSpec(n) for n in models)
    if resample is not None:
        changes["resample"] = StepSpec(resample)
    return dataclasses.replace(spec, **changes) if changes else spec


def prepare_run(
    ref: CompetitionRef, spec: Spec, device: str = "auto", report: Reporter | None = None
) -> Prepared:
    """Everything before the models: data, schema, encoded target and folds (no writes).

    The typed frames come from ``<runs>/.cache/data/`` when an earlier run typed the same files with
    the same spec (:mod:`compete.data.cache`); otherwise the csv are read and typed, and :meth:`Prepared.save_cache` keeps them once the caller's work is
    done. Only the typed frames stay in memory: of the raw train and test, the id, target and cv
    columns. ``report`` receives :class:`~compete.progress.StepStarted`/``StepDone`` per step.
    """
    from compete.cv.foldloop import FoldContext
    from compete.cv.splits import make_folds
    from compete.data.cache import cache_dir, data_key, load_typed
    from compete.data.target import TargetCodec
    from compete.device import resolve_device
    from compete.scoring.metrics import get_metric

    resolved = resolve_device(device)
    folder = ref.data_folder(spec)
    _generate_if_needed(spec, folder)
    key = data_key(spec, folder)
    with _step(report, "cache", "typed data from the cache") as done:
        typed = load_typed(cache_dir(ref.runs_dir, spec.name), key, folder)
        done(
            f"{len(typed.X):,} rows read back" if typed is not None else "none for these files: reading them"
        )
    if typed is None:
        typed = _load_and_type(spec, folder, report)
        typed.key = key
    data = typed.data
    codec = TargetCodec(spec.task, get_metric(spec.metric), spec.positive).fit(data.train[spec.target])
    y = codec.encode(data.train[spec.target])
    folds = make_folds(spec.cv, y, data.train, spec.task)
    spec_dir = Path(spec.source).parent if spec.source else None
    ctx = FoldContext(typed.X, y, typed.X_test, folds, spec.task, codec.model_metric(), spec.seed, spec.features,
                      spec.resample, spec_dir, keys=typed.schema.keys)  # fmt: skip
    pending = None if typed.from_cache else (cache_dir(ref.runs_dir, spec.name), typed)
    return Prepared(
        spec, data, codec, typed.schema, ctx, resolved, typed.raw_columns, typed.counts, key, pending
    )


def _load_and_type(spec: Spec, folder: Path, report: Reporter | None) -> TypedData:
    """Read and check the competition's files, type the features, keep only the side columns raw."""
    from compete.data.cache import TypedData, side_columns
    from compete.data.files import load_competition
    from compete.data.schema import infer_schema

    with _step(report, "read", f"{folder.name}: train, test, sample_submission") as done:
        data = load_competition(spec, folder)
        done(f"{len(data.train):,} train rows, {len(data.test):,} test rows, {data.train.shape[1]} columns")
    with _step(report, "type", f"{data.train.shape[1]} columns") as done:
        X_raw, X_test_raw = _features(spec, data.train), _features(spec, data.test)
        schema = infer_schema(X_raw, X_test_raw, spec.schema).fit(X_raw)
        X, X_test, counts = _typed(schema, X_raw, X_test_raw)
        raw_columns = list(X_raw.columns)
        del X_raw, X_test_raw
        data.train = data.train[side_columns(spec, data.train)]  # the raw features are freed here
        data.test = data.test[side_columns(spec, data.test)]
        mb = (X.memory_usage(deep=True).sum() + X_test.memory_usage(deep=True).sum()) / 1e6
        done(f"{X.shape[1]} features, {mb:,.1f} MB typed")
    return TypedData(data, schema, X, X_test, counts, raw_columns)


@contextmanager
def _step(report: Reporter | None, step: str, detail: str) -> Iterator[Callable[[str], None]]:
    """Report ``step`` started, run the block, report it done with what the block said it did."""
    from compete.progress import StepDone, StepStarted

    said = [detail]
    start = time.perf_counter()
    if report is not None:
        report(StepStarted(step, detail))
    yield lambda text: said.append(text)
    if report is not None:
        report(StepDone(step, said[-1], round(time.perf_counter() - start, 2)))


def _generate_if_needed(spec: Spec, folder: Path) -> None:
    if spec.generate and not (folder / "train.csv").exists():
        from compete.data.demo import write_demo

        write_demo(folder)


def _features(spec: Spec, frame: pd.DataFrame) -> pd.DataFrame:
    drop = [c for c in (spec.id, spec.target) if c in frame.columns]
    return frame.drop(columns=drop)


def _typed(schema: Schema, X_raw: pd.DataFrame,
           X_test_raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.Series]]:  # fmt: skip
    """Typed frames; id-like string columns (mostly distinct) become their frequency over train and
    test (the frequencies are returned too: new rows are encoded with them)."""
    from compete.features.finalize import frequencies

    counts = {col: frequencies(X_raw[col], X_test_raw[col]) for col in schema.high_cardinality}
    return typed_frame(schema, X_raw, counts), typed_frame(schema, X_test_raw[X_raw.columns], counts), counts


def typed_frame(schema: Schema, raw: pd.DataFrame, counts: dict[str, pd.Series]) -> pd.DataFrame:
    """``raw`` typed as a run types it: :meth:`Schema.apply`, then each id-like column replaced by its
    frequency (``counts``: the run's, over its train and test rows; ``compete predict`` uses the same).
    A group key (:attr:`Schema.keys`) keeps its values as a categorical beside its frequency, for
    recipes to read; models never see it (:class:`~compete.features.finalize.Finalize` drops it)."""
    X = schema.apply(raw)
    keys = getattr(schema, "keys", ())  # a schema saved by an older compete has none
    for col, freq in counts.items():
        X[f"{col}__count"] = raw[col].map(freq).astype("float32")
        if col not in keys:
            X = X.drop(columns=col)
    return X
