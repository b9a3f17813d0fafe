"""``combine``: the one entry point the runner and ``compete ensemble`` call.

Inputs are checked first (same models in OOF and test, same row counts, shapes that fit the task).
Rows that some model never validated (time-series CV) hold NaN and are left out. A method that learns
from the target is cross-fitted over the run's folds for its score; its test predictions come from a
final fit on every usable OOF row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from compete.ensemble.base import Ensemble, EnsembleResult, Folds, Preds, cross_fit, restrict_folds, take
from compete.ensemble.registry import ENSEMBLES
from compete.errors import ModelError
from compete.scoring.metrics import Metric

__all__ = ["combine", "check_inputs"]


def combine(method: str, oof: Preds, test: Preds, y: np.ndarray, *, task: str, metric: Metric,
            folds: Folds, seed: int = 0, params: dict[str, Any] | None = None,
            X: pd.DataFrame | None = None, X_test: pd.DataFrame | None = None) -> EnsembleResult:  # fmt: skip
    """Combine level-1 OOF and test predictions with the registered ensemble ``method``.

    Parameters
    ----------
    method : str
        A name in :data:`~compete.ensemble.ENSEMBLES` ("mean", "rank", "geometric", "hill_climb", "stacking").
    oof, test : dict of str to ndarray
        Model label → OOF / test predictions (binary 1-D P(1), multiclass (n, K), regression 1-D).
    y : ndarray
        Encoded targets of the OOF rows.
    task : {"binary", "multiclass", "regression"}
    metric : Metric
        The run's metric in model space.
    folds : list of (train_idx, valid_idx)
        The run's CV folds; a learning method is scored by cross-fitting over them.
    seed : int
        Seed of the method (meta-models).
    params : dict, optional
        Method parameters.
    X, X_test : DataFrame, optional
        Original features for stacking (passthrough); rows aligned with ``y`` and the test rows.

    Returns
    -------
    EnsembleResult

    Examples
    --------
    >>> import numpy as np
    >>> from compete.scoring.metrics import get_metric
    >>> y = np.array([0.0, 1, 2, 3]); folds = [(np.array([0, 1]), np.array([2, 3])), (np.array([2, 3]), np.array([0, 1]))]
    >>> r = combine("mean", {"a": y + 1, "b": y - 1}, {"a": y, "b": y}, y, task="regression",
    ...             metric=get_metric("rmse"), folds=folds)
    >>> r.score, r.weights
    (0.0, {'a': 0.5, 'b': 0.5})
    """
    cls: Any = ENSEMBLES.get(method, where="ensemble")
    rows = check_inputs(oof, test, y, task=task, folds=folds, X=X, X_test=X_test)
    if (params or {}).get("features") and X is None:
        raise ModelError(
            f"ensemble {method!r}: features = true needs the original features; pass X and X_test"
        )
    y = np.asarray(y)

    def make() -> Ensemble:
        return cls(task=task, metric=metric, params=params, random_state=seed)

    fit_oof, fit_y, fit_X = take(oof, rows), y[rows], None if X is None else X.iloc[rows]
    inner = restrict_folds(folds, rows)
    final = make().fit(fit_oof, fit_y, fit_X, inner)
    test_pred = final.predict(test, X_test)
    out = np.full(next(iter(oof.values())).shape, np.nan)
    info: dict[str, Any] = {"method": method, "rows_fitted": int(len(rows))}
    if cls.learns:
        if not inner:
            raise ModelError(
                f"ensemble {method!r}: no fold has both training and validation OOF rows to cross-fit on"
            )
        cv_pred, fold_ens = cross_fit(make, fit_oof, fit_y, inner, fit_X)
        out[rows] = cv_pred
        # the in-sample score of the final fit, for comparison only: it is not the reported score
        info["fit_score"] = _score(metric, fit_y, final.predict(fit_oof, fit_X))
        info["fold_weights"] = [e.weights() for e in fold_ens]
        info["folds_used"] = len(inner)
    else:
        out[rows] = final.predict(fit_oof, fit_X)
    scored = ~np.isnan(out.reshape(len(out), -1)).any(axis=1)
    info["rows_scored"] = int(scored.sum())
    info["single_scores"] = {k: _score(metric, y[scored], v[scored]) for k, v in oof.items()}
    _describe(final, info)
    score = _score(metric, y[scored], out[scored])
    info["cv_score"] = score
    return EnsembleResult(
        oof=out, test=test_pred, score=score, weights=final.weights(), info=info, model=final
    )


def _score(metric: Metric, y: np.ndarray, pred: np.ndarray) -> float:
    return float(metric.score(y, pred))


def _describe(final: Ensemble, info: dict[str, Any]) -> None:
    if hasattr(final, "path_"):
        info["path"] = final.path_
    if hasattr(final, "meta_"):
        info["meta"] = final.meta_.name
    if hasattr(final, "level2_"):
        info["level2"] = list(final.level2_)


def check_inputs(oof: Preds, test: Preds, y: np.ndarray, *, task: str, folds: Folds,
                 X: pd.DataFrame | None = None, X_test: pd.DataFrame | None = None) -> np.ndarray:  # fmt: skip
    """Validate the inputs of :func:`combine`; return the rows where every model has an OOF value."""
    if not oof:
        raise ModelError("ensemble: no OOF predictions given; a blend needs at least one model")
    missing, extra = sorted(set(oof) - set(test)), sorted(set(test) - set(oof))
    if missing or extra:
        raise ModelError(
            f"ensemble: OOF and test name different models (missing from test: {missing}, "
            f"missing from OOF: {extra}); give both for the same models"
        )
    n, n_test = len(np.asarray(y)), None
    for label in oof:
        a, t = np.asarray(oof[label]), np.asarray(test[label])
        _check_shape(label, "OOF", a, task, n)
        n_test = len(t) if n_test is None else n_test
        _check_shape(label, "test", t, task, n_test)
        if a.shape[1:] != t.shape[1:]:
            raise ModelError(f"ensemble: model {label!r} has OOF shape {a.shape} but test shape {t.shape}")
        if np.isnan(t).any():
            raise ModelError(f"ensemble: test predictions of model {label!r} contain NaN; rerun that model")
    _check_frames(X, X_test, n, n_test)
    _check_folds(folds, n)
    valid = ~np.any([np.isnan(np.asarray(v).reshape(n, -1)).any(axis=1) for v in oof.values()], axis=0)
    if not valid.any():
        raise ModelError(f"ensemble: no OOF row has a prediction from every model ({list(oof)})")
    return np.flatnonzero(valid)


def _check_shape(label: str, part: str, a: np.ndarray, task: str, n: int | None) -> None:
    want = 2 if task == "multiclass" else 1
    if a.ndim != want:
        raise ModelError(
            f"ensemble: {part} predictions of model {label!r} have shape {a.shape}; "
            f"a {task} task needs {'(n, K) probabilities' if want == 2 else 'a 1-D array'}"
        )
    if n is not None and len(a) != n:
        what = "targets" if part == "OOF" else "test rows of the other models"
        raise ModelError(
            f"ensemble: {part} predictions of model {label!r} have {len(a)} rows, but there are {n} {what}"
        )


def _check_frames(X: pd.DataFrame | None, X_test: pd.DataFrame | None, n: int, n_test: int | None) -> None:
    if (X is None) != (X_test is None):
        raise ModelError("ensemble: pass both X and X_test (original features for stacking) or neither")
    if X is not None and X_test is not None:
        if len(X) != n or len(X_test) != n_test:
            raise ModelError(
                f"ensemble: X has {len(X)} rows (want {n}), X_test {len(X_test)} (want {n_test})"
            )


def _check_folds(folds: Folds, n: int) -> None:
    if not folds:
        raise ModelError("ensemble: no folds given; pass the run's CV folds")
    for k, (tr, va) in enumerate(folds):
        top = max(int(np.max(tr, initial=-1)), int(np.max(va, initial=-1)))
        if top >= n or min(int(np.min(tr, initial=0)), int(np.min(va, initial=0))) < 0:
            raise ModelError(
                f"ensemble: fold {k} holds row {top}, outside the {n} OOF rows; folds must match the OOF"
            )
