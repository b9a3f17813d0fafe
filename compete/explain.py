"""What a run's models learned: gain importance and TreeSHAP values, per model, on a sample of OOF rows.

Each boosted model of the final prediction (LightGBM, XGBoost, CatBoost) is explained by its own
library's TreeSHAP, so no extra dependency is needed: LightGBM ``Booster.predict(pred_contrib=True)``,
XGBoost ``Booster.predict(pred_contribs=True)``, CatBoost ``get_feature_importance(type="ShapValues")``.
A TreeSHAP row holds one contribution per feature and the expected value; they add up to the model's
raw score (log-odds, class margins or the regression value) for that row.

The rows explained are a seeded sample of the training rows (at most :data:`MAX_ROWS` in all), each
explained by the fold model that did not see it: the fold's own validation rows, transformed by that
fold's fitted recipes. Per model, ``importances.json`` in the run folder keeps

- ``shap``: mean |SHAP| per feature, averaged over folds (multiclass: summed over classes), in the
  model's raw-score units;
- ``gain``: each feature's share of the model's total gain (CatBoost: of its ``PredictionValuesChange``
  importance), averaged over folds;
- ``fold_agreement``: the mean pairwise Spearman correlation of the folds' mean-|SHAP| vectors
  (1: every fold ranks the features alike; ``null`` with fewer than two folds);
- ``shap_gain_agreement``: the Spearman correlation of the ``shap`` and ``gain`` vectors;
- ``rows``: how many rows were explained.

Models without TreeSHAP in their library (linear, random and extra trees, ``bag``, ``boost``) are
skipped and named in :attr:`Explanation.skipped`: a gain-only entry would be a different kind of
figure under the same keys.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compete.errors import DataError, RunError

__all__ = [
    "Explanation",
    "ModelExplanation",
    "explain_run",
    "explain_model",
    "tree_shap",
    "gain_shares",
    "mean_abs_shap",
    "sample_rows",
    "spearman",
    "training_rows",
    "IMPORTANCES",
    "MAX_ROWS",
    "TREE_SHAP",
]

IMPORTANCES = "importances.json"
MAX_ROWS = 2000
TREE_SHAP = ("lightgbm", "xgboost", "catboost")


@dataclass
class ModelExplanation:
    """One model's importances (see the module's docstring for each figure)."""

    label: str
    model: str
    shap: dict[str, float]
    gain: dict[str, float]
    fold_agreement: float | None
    shap_gain_agreement: float | None
    rows: int

    def top(self, k: int = 10) -> list[tuple[str, float, float]]:
        """The ``k`` features of largest mean |SHAP|: ``(feature, mean |SHAP|, gain share)``."""
        return [(name, value, self.gain.get(name, 0.0)) for name, value in list(self.shap.items())[:k]]

    def to_dict(self) -> dict[str, Any]:
        """The entry ``importances.json`` keeps under the model's label."""
        return {"shap": self.shap, "gain": self.gain, "fold_agreement": self.fold_agreement,
                "shap_gain_agreement": self.shap_gain_agreement, "rows": self.rows}  # fmt: skip


@dataclass
class Explanation:
    """:func:`explain_run`'s outcome: the explained models, the skipped ones and why."""

    run_dir: Path
    models: dict[str, ModelExplanation]
    skipped: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    seconds: float = 0.0
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """``importances.json``: ``{label: {"shap", "gain", "fold_agreement", "shap_gain_agreement", "rows"}}``."""
        return {label: m.to_dict() for label, m in self.models.items()}


# TreeSHAP per library ------------------------------------------------------------------------------
def tree_shap(model: Any, X: pd.DataFrame) -> np.ndarray:
    """TreeSHAP values of a fitted compete adapter on its model-ready frame ``X``.

    Returns ``(rows, outputs, features + 1)``: one output for binary (log-odds) and regression, one
    per class for multiclass; the last column is the expected value, and each row's values add up
    to the model's raw score.
    """
    name = getattr(model, "name", "")
    if name not in TREE_SHAP:
        raise RunError(f"model {name!r} has no TreeSHAP in its library (only {', '.join(TREE_SHAP)} do)")
    contrib = {"lightgbm": _lightgbm_shap, "xgboost": _xgboost_shap, "catboost": _catboost_shap}[name](
        model.model_, X
    )
    n, width = len(X), X.shape[1] + 1
    return np.asarray(contrib, dtype=float).reshape(n, -1, width)


def _lightgbm_booster(lib: Any) -> Any:
    return getattr(lib, "booster_", lib)  # a fitted LGBMModel, or the Booster loaded from its file


def _lightgbm_shap(lib: Any, X: pd.DataFrame) -> np.ndarray:
    return np.asarray(_lightgbm_booster(lib).predict(X, pred_contrib=True))  # (n, K*(F+1)) for K classes


def _xgboost_booster(lib: Any) -> Any:
    """The booster up to the best round (as the adapter's ``predict`` uses it), on the CPU."""
    booster = lib.get_booster() if hasattr(lib, "get_booster") else lib
    best = booster.attr("best_iteration")
    if best is not None and int(best) + 1 < booster.num_boosted_rounds():
        booster = booster[: int(best) + 1]
    booster.set_param({"device": "cpu"})
    return booster


def _xgboost_shap(lib: Any, X: pd.DataFrame) -> np.ndarray:
    import xgboost as xgb

    matrix = xgb.DMatrix(X, enable_categorical=True)
    return np.asarray(_xgboost_booster(lib).predict(matrix, pred_contribs=True))


def _catboost_shap(lib: Any, X: pd.DataFrame) -> np.ndarray:
    import catboost as cb

    from compete.models.catboost import catboost_frame

    frame, cats = catboost_frame(X)
    return np.asarray(lib.get_feature_importance(cb.Pool(frame, cat_features=cats), type="ShapValues"))


def mean_abs_shap(contrib: np.ndarray, columns: pd.Index) -> pd.Series:
    """Mean |SHAP| per feature over the rows, summed over the outputs (classes); the expected value's
    column is left out."""
    return pd.Series(np.abs(contrib[:, :, :-1]).mean(axis=0).sum(axis=0), index=columns.astype(str))


# gain ----------------------------------------------------------------------------------------------
def gain_shares(model: Any, columns: pd.Index) -> pd.Series:
    """Each feature's share of the fitted model's total gain (CatBoost: its default importance,
    ``PredictionValuesChange``), indexed by ``columns`` (the model-ready frame's); sums to 1."""
    lib, name = model.model_, getattr(model, "name", "")
    if name == "lightgbm":
        raw = np.asarray(_lightgbm_booster(lib).feature_importance("gain"), dtype=float)
    elif name == "xgboost":
        booster = _xgboost_booster(lib)
        score = booster.get_score(importance_type="total_gain")
        names = booster.feature_names or [f"f{i}" for i in range(len(columns))]
        raw = np.array([float(score.get(n, 0.0)) for n in names])
    elif name == "catboost":
        raw = np.asarray(lib.get_feature_importance(), dtype=float)
    else:
        raise RunError(f"model {name!r}: no gain importance is read from it")
    total = raw.sum()
    return pd.Series(raw / total if total > 0 else raw, index=columns.astype(str))


# agreement -----------------------------------------------------------------------------------------
def spearman(a: pd.Series, b: pd.Series) -> float | None:
    """Spearman's rank correlation of two importance vectors over the union of their features
    (a feature missing from one counts 0 there); ``None`` when either is constant.

    Examples
    --------
    >>> spearman(pd.Series({"a": 3.0, "b": 2.0, "c": 1.0}), pd.Series({"a": 0.5, "b": 0.4, "c": 0.1}))
    1.0
    """
    both = pd.concat([a, b], axis=1).fillna(0.0).rank()
    if len(both) < 2 or (both.std() == 0).any():
        return None
    return float(np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1])


def fold_agreement(vectors: list[pd.Series]) -> float | None:
    """The mean pairwise Spearman correlation of the folds' importance vectors (``None`` with fewer
    than two folds or when no pair has one)."""
    pairs = [spearman(a, b) for a, b in combinations(vectors, 2)]
    values = [p for p in pairs if p is not None]
    return float(np.mean(values)) if values else None


def _mean(vectors: list[pd.Series]) -> pd.Series:
    """The features' mean over folds (0 where a fold lacks one), largest first."""
    if not vectors:
        return pd.Series(dtype=float)
    mean = pd.concat(vectors, axis=1).fillna(0.0).mean(axis=1)
    return mean.sort_values(ascending=False, kind="stable")


# one model, one run --------------------------------------------------------------------------------
def sample_rows(fold: np.ndarray, max_rows: int = MAX_ROWS, seed: int = 0) -> np.ndarray:
    """Positions of at most ``max_rows`` validated rows (``fold >= 0``), drawn with ``seed``, sorted.

    Examples
    --------
    >>> sample_rows(np.array([0, 1, -1, 0, 1]), max_rows=10).tolist()
    [0, 1, 3, 4]
    """
    validated = np.flatnonzero(np.asarray(fold) >= 0)
    if len(validated) <= max_rows:
        return validated
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(validated, size=max_rows, replace=False))


def explain_model(label: str, models: list[Any], transforms: list[Any], X: pd.DataFrame,
                  fold: np.ndarray) -> ModelExplanation:  # fmt: skip
    """Explain one model's fold models: fold ``k``'s model on the rows of ``X`` whose ``fold`` is ``k``
    (``X``: the typed rows to explain, ``fold``: their validation fold), transformed by fold ``k``'s
    ``transforms[k]``."""
    shaps, gains, rows = [], [], 0
    for k, (transform, model) in enumerate(zip(transforms, models, strict=True)):
        mine = X[fold == k]
        frame = transform.transform(mine if len(mine) else X.iloc[:1])
        gains.append(gain_shares(model, frame.columns))
        if len(mine):
            shaps.append(mean_abs_shap(tree_shap(model, frame), frame.columns))
            rows += len(mine)
    shap, gain = _mean(shaps), _mean(gains)
    return ModelExplanation(label, models[0].name, _floats(shap), _floats(gain), fold_agreement(shaps),
                            spearman(shap, gain), rows)  # fmt: skip


def _floats(values: pd.Series) -> dict[str, float]:
    return {str(k): round(float(v), 8) for k, v in values.items()}


def training_rows(predictor: Any, data_root: str | Path | None = None,
                  data_dir: str | Path | None = None) -> pd.DataFrame:  # fmt: skip
    """The run's training rows, typed as the run typed them (in the order of its ``oof.parquet``)."""
    from compete.data.files import load_competition
    from compete.data.prepared import CompetitionRef

    spec = predictor.spec
    folder = CompetitionRef(spec.name, data_root=data_root, data_dir=data_dir).data_folder(spec)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such data folder; explain needs the run's training rows: pass "
                        "--data-root (the folder holding the competition's folder) or --data-dir")  # fmt: skip
    train = load_competition(spec, folder).train
    return predictor.typed(train.drop(columns=[c for c in (spec.id, spec.target) if c in train.columns]),
                           where=str(folder))  # fmt: skip


def explain_run(run_dir: str | Path, *, data_root: str | Path | None = None,
                data_dir: str | Path | None = None, max_rows: int = MAX_ROWS, seed: int | None = None,
                write: bool = True) -> Explanation:  # fmt: skip
    """Explain every model of a run's final prediction on at most ``max_rows`` OOF rows (drawn with
    ``seed``, default the run's), and write ``importances.json`` in the run folder (unless not ``write``)."""
    from compete.records.artifacts import load_predictor

    start, run_dir = time.perf_counter(), Path(run_dir)
    predictor = load_predictor(run_dir)
    fold = pd.read_parquet(run_dir / "oof.parquet", columns=["fold"])["fold"].to_numpy()
    X = training_rows(predictor, data_root, data_dir)
    if len(X) != len(fold):
        raise RunError(f"{run_dir}: the data has {len(X)} training rows, the run had {len(fold)}; "
                       "the competition's files changed since the run")  # fmt: skip
    rows = sample_rows(fold, max_rows, predictor.spec.seed if seed is None else seed)
    if not len(rows):
        raise RunError(f"{run_dir}: no training row has an out-of-fold prediction (oof.parquet's fold "
                       "column is -1 everywhere), so there is nothing to explain")  # fmt: skip
    out = Explanation(run_dir, {}, rows=len(rows))
    for label in predictor.members:
        models = predictor.models[label]
        if models[0].name not in TREE_SHAP:
            out.skipped[label] = f"{models[0].name} has no TreeSHAP in its library"
            continue
        out.models[label] = explain_model(label, models, predictor.folds, X.iloc[rows], fold[rows])
    if not out.models:
        raise RunError(f"{run_dir}: none of the run's models ({', '.join(predictor.members)}) is a "
                       f"boosted tree model with TreeSHAP ({', '.join(TREE_SHAP)})")  # fmt: skip
    out.seconds = round(time.perf_counter() - start, 2)
    if write:
        out.path = _write(out)
    return out


def _write(explanation: Explanation) -> Path:
    from compete.records.atomic import write_text_atomic

    text = json.dumps(explanation.to_dict(), indent=2)
    return write_text_atomic(text, explanation.run_dir / IMPORTANCES)
