"""A run's fitted pipeline kept as files, so that it predicts new rows without refitting.

``<run>/artifacts/`` holds each fold model of every fit the final prediction is made of (and, for a
fit refitted on every row, its seeds' models and that refit's feature path), in its library's own format where it has one (LightGBM text, XGBoost UBJSON, CatBoost ``.cbm``; scikit-learn
models with joblib), beside ``predictor.joblib``: the spec, the fitted schema, the target codec, the
frequency maps of id-like columns, each fold's fitted recipe pipeline and finalizer, the ensemble's
fitted blender or meta-model, the decision threshold and the submission's layout. ``manifest.json``
lists every file with its size and the library versions that wrote it.

:class:`Predictor` replays the run's test-time path on any frame with the training columns: the same
typing, the same per-fold transforms and models, fold predictions averaged in the same order, the
same ensemble and threshold, so on the run's own ``test.csv`` it writes the run's submission byte for
byte. Loading uses joblib (pickle): load only runs you made or trust.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compete.cv.foldloop import FoldTransform, seed_mean
from compete.data.schema import Schema
from compete.data.target import TargetCodec
from compete.errors import DataError, RunError
from compete.spec import Spec

__all__ = ["Predictor", "save_artifacts", "load_predictor", "predict_file", "ARTIFACTS"]

ARTIFACTS = "artifacts"
LIBRARIES = (
    "pandas",
    "numpy",
    "scikit-learn",
    "scipy",
    "lightgbm",
    "xgboost",
    "catboost",
    "joblib",
    "pyarrow",
)


@dataclass
class Predictor:
    """Everything a run fitted that its test predictions need (the models are loaded beside it)."""

    spec: Spec
    schema: Schema
    codec: TargetCodec
    counts: dict[str, pd.Series]
    folds: list[FoldTransform]
    members: list[str]
    final: str
    ensemble: Any = None
    meta_finalize: Any = None
    threshold: Any = None
    label_text: dict[str, str] = field(default_factory=dict)
    sample_columns: list[str] = field(default_factory=list)
    feature_columns: list[str] = field(default_factory=list)
    recipes_module: str = ""  # the module name the competition's recipes.py was imported under, if any
    # the [[join]] tables as (file under artifacts/tables/, keys)
    joins: list[tuple[str, list[str]]] = field(default_factory=list)
    models: dict[str, list[Any]] = field(default_factory=dict, repr=False)
    full: FoldTransform | None = None  # the full-data refit's feature path (compete.run.refit)
    full_models: dict[str, list[Any]] = field(default_factory=dict, repr=False)  # label: one model per seed

    # prediction ------------------------------------------------------------------------------
    def typed(self, frame: pd.DataFrame, where: str = "the data") -> pd.DataFrame:
        """``frame``'s feature columns typed as in the run; a missing column is an error, extra ones
        other than the id and target are an error too (as ``run`` says of test.csv)."""
        missing = [
            c for c in self.feature_columns if c not in frame.columns and self.schema.kinds.get(c) != "ignore"
        ]
        if missing:
            raise DataError(f"{where}: lacks the training columns {missing[:12]}; the run's models need them")
        extra = [c for c in frame.columns if c not in self.feature_columns and c not in (self.spec.id, self.spec.target)
                 and c not in self.spec.schema.ignore]  # fmt: skip
        if extra:
            raise DataError(f"{where}: has columns the training data lacked: {extra[:12]}; drop them first")
        from compete.data.prepared import typed_frame

        raw = frame.reindex(columns=self.feature_columns)  # ignored columns may be absent
        return typed_frame(self.schema, raw, self.counts)

    def predict_model_space(self, X: pd.DataFrame) -> np.ndarray:
        """The final prediction in model space (as the run's ``test.parquet`` holds it)."""
        preds = {label: self._cross_fitted(label, X) for label in self.members}
        if self.ensemble is None:
            return preds[self.final]
        X_meta = self.meta_finalize.transform(X) if self.meta_finalize is not None else None
        return np.asarray(self.ensemble.predict(preds, X_meta))

    def _cross_fitted(self, label: str, X: pd.DataFrame) -> np.ndarray:
        """The fold models' predictions averaged, summed in fold order as the run's fold loop did; for
        a fit refitted on every row, its seeds' mean instead, as the run made it."""
        if self.full_models.get(label):
            assert self.full is not None
            X_full = self.full.transform(X)
            return seed_mean([m.predict_raw(X_full) for m in self.full_models[label]])
        total: np.ndarray | None = None
        n = len(self.folds)
        for transform, model in zip(self.folds, self.models[label], strict=True):
            p = model.predict_raw(transform.transform(X))
            total = np.zeros_like(p) if total is None else total
            total += p / n
        assert total is not None
        return total

    def submission(self, frame: pd.DataFrame, where: str = "the data") -> pd.DataFrame:
        """A submission for ``frame``'s rows (in its order), in the run's sample_submission layout."""
        from compete.submission.build import build_submission

        if self.spec.id not in frame.columns:
            raise DataError(f"{where}: id column {self.spec.id!r} is missing; the submission is keyed by it")
        pred = self.predict_model_space(self.typed(frame, where))
        ids = frame[self.spec.id].reset_index(drop=True)
        layout = pd.DataFrame({c: ids if c == self.spec.id else 0.0 for c in self.sample_columns})
        return build_submission(layout, ids, pred, id_col=self.spec.id, codec=self.codec, metric=self.codec.metric,
                                threshold=self.threshold, label_text=self.label_text)  # fmt: skip


# saving ------------------------------------------------------------------------------------------
def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@~#-]", "_", label)


def save_artifacts(folder: Path, predictor: Predictor, recipes: Path | None = None,
                   tables: tuple[Path, ...] = ()) -> dict[str, Any]:  # fmt: skip
    """Write ``predictor`` and its fold models under ``folder``, with copies of the competition's
    ``recipes`` file (its pickled recipes need it) and its ``[[join]]`` ``tables``; how many files and
    bytes were written."""
    import shutil

    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if recipes is not None:
        files.append(Path(shutil.copyfile(recipes, folder / "recipes.py")))
    for source in tables:
        (folder / "tables").mkdir(exist_ok=True)
        files.append(Path(shutil.copyfile(source, folder / "tables" / source.name)))
    index: dict[str, list[list[str]]] = {}
    for label in predictor.members:
        sub = folder / "models" / _safe(label)
        sub.mkdir(parents=True, exist_ok=True)
        index[label] = []
        for k, model in enumerate(predictor.models[label]):
            written = model.save(sub / f"fold{k}")
            index[label].append([str(p.relative_to(folder)) for p in written])
            files += written
    refits: dict[str, list[list[str]]] = {}  # a refit shared by a fit and its seed bags is written once
    saved: dict[int, list[str]] = {}
    for label, models in predictor.full_models.items():
        refits[label] = []
        for s, model in enumerate(models):
            if id(model) not in saved:
                sub = folder / "models" / _safe(label)
                sub.mkdir(parents=True, exist_ok=True)
                written = model.save(sub / f"full{s}")
                saved[id(model)] = [str(p.relative_to(folder)) for p in written]
                files += written
            refits[label].append(saved[id(model)])
    shell = Predictor(**{**predictor.__dict__, "models": {}, "full_models": {}})
    joblib.dump(shell, folder / "predictor.joblib")
    files.append(folder / "predictor.joblib")
    sizes = {str(p.relative_to(folder)): p.stat().st_size for p in files}
    every = [*predictor.models.values(), *predictor.full_models.values()]
    libraries = sorted({lib for models in every for m in models for lib in m.libraries()})
    manifest = {"models": index, "full_models": refits, "files": sizes, "bytes": sum(sizes.values()), "versions": _versions(),
                "libraries": libraries, "recipes_module": predictor.recipes_module}  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return {"bytes": sum(sizes.values()) + (folder / "manifest.json").stat().st_size, "files": len(files) + 1}


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("compete", *LIBRARIES):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def load_predictor(run_dir: str | Path) -> Predictor:
    """The :class:`Predictor` of the run in ``run_dir``, with its fold models loaded."""
    import joblib

    from compete.models.base import Model

    folder = Path(run_dir) / ARTIFACTS
    if not (folder / "predictor.joblib").is_file():
        raise RunError(f"{run_dir}: the run kept no fitted models ({folder} is missing: it was made with "
                       "--no-models or keep_models = false, or by compete ensemble from other runs' predictions); "
                       "re-run it with compete run to predict with it")  # fmt: skip
    module = json.loads((folder / "manifest.json").read_text()).get("recipes_module", "")
    if module:  # the competition's own recipes, under the name its pickled recipes refer to
        from compete.features.pipeline import load_recipes_file

        load_recipes_file(folder / "recipes.py", module)
    predictor: Predictor = joblib.load(folder / "predictor.joblib")
    manifest = json.loads((folder / "manifest.json").read_text())
    predictor.models, predictor.full_models = (
        {label: [Model.load([folder / f for f in files]) for files in fits] for label, fits in manifest.get(key, {}).items()}
        for key in ("models", "full_models")
    )  # fmt: skip
    return predictor


def predict_file(run_dir: str | Path, data: str | Path, output: str | Path) -> pd.DataFrame:
    """Predict the rows of ``data`` (csv, csv.gz or parquet, with the training columns and the id) with
    the run in ``run_dir`` and write a submission to ``output`` (atomically); returns it."""
    from compete.data.files import join_table, read_table
    from compete.records.atomic import write_atomic

    predictor = load_predictor(run_dir)
    path = Path(data)
    if not path.is_file():
        raise DataError(f"--data {path}: no such file; point it at a csv or parquet file of rows to predict")
    frame = read_table(path, predictor.spec.schema.na_values)
    for file, on in predictor.joins:  # the extra tables, joined as the run joined them
        table = Path(run_dir) / ARTIFACTS / "tables" / file
        (frame,) = join_table(table, on, {path.name: frame}, predictor.spec.schema.na_values)
    sub = predictor.submission(frame, where=str(path))
    write_atomic(sub, output)
    return sub
