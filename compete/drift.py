"""Adversarial validation: can a classifier tell the train rows from the test rows?

A LightGBM classifier is cross-validated on "is this row from test?" over the typed features (the
same frames the models see, after the same :class:`~compete.features.finalize.Finalize` step). Its CV AUC says
how different test looks from train: ≈ 0.5 means test is drawn like train and the CV score can be
trusted as an estimate of the leaderboard; near 1.0 means the split itself is learnable (a time
split, a different population) and the features that give it away are listed by importance. The
competition's target is never used.

Threshold: :data:`DRIFT_WARN_AUC` = 0.7. On a random split the AUC sits at 0.5 give or take a few
hundredths (less on small data: a 900-row competition can land at 0.45–0.55 by chance), so 0.6 is
the first value that is clearly more than noise, and 0.7 is where the classifier separates most
rows and a model's CV score starts to describe a different population than the test set. Warn at
0.7; between 0.6 and 0.7, look at the top features.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compete.data.prepared import CompetitionRef
from compete.errors import DataError

__all__ = [
    "DriftReport",
    "DriftResult",
    "QuickDrift",
    "drift_auc",
    "quick_cache",
    "quick_drift",
    "run_drift",
    "DRIFT_WARN_AUC",
    "DRIFT_NOTE_AUC",
]

DRIFT_WARN_AUC = 0.7
DRIFT_NOTE_AUC = 0.6
PARAMS = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 31, "min_child_samples": 20,
          "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8, "verbosity": -1}  # fmt: skip


@dataclass
class DriftReport:
    """The outcome of adversarial validation.

    ``importance`` maps each feature to its share of the classifier's total gain (sums to 1, largest
    first).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    >>> X_test = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(3, 1, size=200)})
    >>> report = drift_auc(X, X_test, seed=0)
    >>> report.auc > 0.9, report.top(1)[0][0]
    (True, 'b')
    """

    auc: float
    fold_aucs: list[float]
    importance: dict[str, float]
    n_train: int
    n_test: int
    seed: int
    threshold: float = DRIFT_WARN_AUC
    seconds: float = 0.0
    sampled: bool = False

    @property
    def high(self) -> bool:
        """Whether the AUC reaches the warning threshold."""
        return self.auc >= self.threshold

    @property
    def verdict(self) -> str:
        if self.auc >= self.threshold:
            return "test differs from train: CV may not predict the leaderboard"
        if self.auc >= DRIFT_NOTE_AUC:
            return "some drift: look at the top features"
        return "test looks like train"

    def top(self, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` features that give the split away most."""
        return list(self.importance.items())[:k]

    def warning(self) -> str | None:
        """A one-line warning for ``compete run`` when the AUC is high, else None."""
        if not self.high:
            return None
        names = ", ".join(name for name, _ in self.top(3))
        return (f"adversarial validation AUC {self.auc:.3f} >= {self.threshold}: test rows are easy to tell from "
                f"train rows (most by {names}); the CV score may not carry over to the leaderboard")  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "high": self.high, "verdict": self.verdict}


def drift_auc(X: pd.DataFrame, X_test: pd.DataFrame, seed: int = 0, *, folds: int = 5,
              max_rows: int = 100_000, params: dict[str, Any] | None = None) -> DriftReport:  # fmt: skip
    """Cross-validated AUC of a LightGBM classifier telling rows of ``X`` (train) from ``X_test``.

    ``X`` and ``X_test`` are the typed feature frames (no id, no target); datetime and text columns
    are expanded by :class:`~compete.features.finalize.Finalize`, fitted on both frames together (no target is
    involved). At most ``max_rows`` rows are used, drawn with ``seed`` in the train:test proportion.
    """
    from sklearn.model_selection import StratifiedKFold

    start = time.perf_counter()
    both, label, sampled = _stack(X, X_test, max_rows, seed)
    if min(int(label.sum()), int((1 - label).sum())) < folds:
        raise DataError(f"adversarial validation needs at least {folds} train and {folds} test rows; "
                        f"got {len(X)} and {len(X_test)}")  # fmt: skip
    features = _finalize(both)
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed % (2**32))
    oof = np.zeros(len(label))
    gains = pd.Series(0.0, index=features.columns)
    aucs = []
    for k, (tr, va) in enumerate(split.split(features, label)):
        p, gain = _fit_fold(features, label, tr, va, seed, k, params)
        oof[va] = p
        gains += gain
        aucs.append(_auc(label[va], p))
    share = gains / gains.sum() if gains.sum() > 0 else gains
    importance = {
        str(k): round(float(v), 6) for k, v in share.sort_values(ascending=False, kind="stable").items()
    }
    return DriftReport(_auc(label, oof), aucs, importance, len(X), len(X_test), seed,
                       seconds=round(time.perf_counter() - start, 2), sampled=sampled)  # fmt: skip


QUICK: dict[str, Any] = {"folds": 2, "max_rows": 10_000, "params": {"n_estimators": 50}}


@dataclass
class QuickDrift:
    """The outcome of :func:`quick_drift`: the report, and whether it was fitted now or read back."""

    report: DriftReport
    key: str
    cache: Path | None = None
    fitted: bool = True

    def save(self) -> None:
        """Keep a fitted report in the cache file (written whole, then renamed into place)."""
        from compete.records.atomic import write_text_atomic

        if self.cache is not None and self.fitted:
            write_text_atomic(
                json.dumps({"key": self.key, "report": self.report.to_dict()}, indent=2), self.cache
            )


def quick_cache(runs_dir: str | Path, competition: str) -> Path:
    """Where ``compete run`` keeps a competition's quick check: ``<runs>/.cache/drift/<competition>.json``."""
    return Path(runs_dir) / ".cache" / "drift" / f"{competition}.json"


def quick_drift(
    X: pd.DataFrame, X_test: pd.DataFrame, seed: int, cache: str | Path | None = None, data_key: str = ""
) -> QuickDrift:
    """The check ``compete run`` makes before its models: :func:`drift_auc` with 2 folds, at most
    10,000 rows and 50 trees — enough to flag a shift, not ``compete drift``'s full report.

    ``cache`` is a JSON file (``compete run`` uses :func:`quick_cache`, and saves a fitted report
    there once the run is recorded): a report saved under the same hash of
    both frames (values, columns, dtypes) and seed is read back instead of fitted again; any change
    to the data, the schema or the seed changes the hash. ``data_key`` (a run's
    :func:`compete.data.cache.data_key`: the input files' sizes and times, the spec's schema) stands
    for the frames when given, so a run on millions of rows does not hash them all to find its cache.
    No target is involved either way.
    """
    key = _key(data_key, seed) if data_key else _frames_key(X, X_test, seed)
    path = Path(cache) if cache is not None else None
    if path is not None and path.is_file():
        try:
            saved = json.loads(path.read_text())
            if saved.get("key") == key:
                fields = {k: v for k, v in saved["report"].items() if k in DriftReport.__dataclass_fields__}
                return QuickDrift(DriftReport(**fields), key, path, fitted=False)
        except (ValueError, KeyError, TypeError):
            pass  # an unreadable or older file is fitted again and replaced
    report = drift_auc(
        X, X_test, seed, folds=QUICK["folds"], max_rows=QUICK["max_rows"], params=QUICK["params"]
    )
    return QuickDrift(report, key, path)


def _key(data_key: str, seed: int) -> str:
    payload = json.dumps({"seed": seed, "quick": QUICK, "data": data_key}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _frames_key(X: pd.DataFrame, X_test: pd.DataFrame, seed: int) -> str:
    digest = hashlib.sha256(json.dumps({"seed": seed, "quick": QUICK}, sort_keys=True).encode())
    for frame in (X, X_test):
        digest.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _stack(
    X: pd.DataFrame, X_test: pd.DataFrame, max_rows: int, seed: int
) -> tuple[pd.DataFrame, np.ndarray, bool]:
    """Train and test rows in one frame (categories unified), with 1 marking test rows."""
    missing = [c for c in X.columns if c not in X_test.columns]
    if missing:
        raise DataError(
            f"test lacks the train columns {missing[:5]}; adversarial validation compares the same columns"
        )
    X_test = X_test[X.columns]
    rng = np.random.default_rng(seed)
    sampled = len(X) + len(X_test) > max_rows
    if sampled:
        frac = max_rows / (len(X) + len(X_test))
        X = X.iloc[np.sort(rng.choice(len(X), max(1, int(len(X) * frac)), replace=False))]
        X_test = X_test.iloc[np.sort(rng.choice(len(X_test), max(1, int(len(X_test) * frac)), replace=False))]
    both = pd.concat([X, X_test], ignore_index=True)
    for col in X.columns:
        if isinstance(X[col].dtype, pd.CategoricalDtype) or isinstance(
            X_test[col].dtype, pd.CategoricalDtype
        ):
            levels = pd.Index(
                pd.concat([X[col].astype(object), X_test[col].astype(object)]).dropna().unique()
            )
            both[col] = pd.Categorical(both[col].astype(object), categories=levels)
    label = np.r_[np.zeros(len(X)), np.ones(len(X_test))].astype(int)
    return both, label, sampled


def _finalize(both: pd.DataFrame) -> pd.DataFrame:
    from compete.features.finalize import Finalize

    out = Finalize().fit(both).transform(both)
    for col in out.columns:
        if not isinstance(out[col].dtype, pd.CategoricalDtype) and not pd.api.types.is_numeric_dtype(
            out[col]
        ):
            out[col] = out[col].astype("category")
    return out


def _fit_fold(features: pd.DataFrame, label: np.ndarray, tr: np.ndarray, va: np.ndarray, seed: int, k: int,
              params: dict[str, Any] | None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    import lightgbm as lgb

    from compete.seeding import derive_seed

    threads = 1 if len(features) < 50_000 else -1  # threads cost more than they give on small frames
    model = lgb.LGBMClassifier(random_state=derive_seed(seed, "drift", k), importance_type="gain",
                               **{**PARAMS, "n_jobs": threads, **(params or {})})  # fmt: skip
    model.fit(features.iloc[tr], label[tr])
    return np.asarray(model.predict_proba(features.iloc[va]))[:, 1], np.asarray(model.feature_importances_)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


# ------------------------------------------------------------------------------------------ drift run


@dataclass
class DriftResult:
    """A saved adversarial validation: ``<runs>/<competition>/drift-<id>/drift.json``."""

    drift_id: str
    path: Path
    competition: str
    report: DriftReport
    features: list[str] = field(default_factory=list)


def run_drift(
    ref: CompetitionRef, *, seed: int | None = None, folds: int = 5, max_rows: int = 100_000
) -> DriftResult:
    """Adversarial validation of competition ``ref`` (with ``seed``, else the spec's), saved.

    The features are ``prepare_run``'s typed frames, before any recipe; the result is written to a
    run-like folder ``drift-<id>`` beside the runs (not a row of the runs ledger).
    """
    from compete.data.prepared import prepare_run, resolve_spec
    from compete.records.runs import new_run_id, staged_run

    prep = prepare_run(ref, resolve_spec(ref, seed=seed), "cpu")
    spec, ctx = prep.spec, prep.ctx
    X, X_test = ctx.without_keys()
    report = drift_auc(X, X_test, seed=spec.seed, folds=folds, max_rows=max_rows)
    drift_id = f"drift-{new_run_id()}"
    with staged_run(ref.runs_dir, spec.name, drift_id) as tmp:
        payload = {"competition": spec.name, "drift_id": drift_id, "created": time.strftime("%Y-%m-%d %H:%M:%S"),
                   "features": list(X.columns), **report.to_dict()}  # fmt: skip
        (tmp / "drift.json").write_text(json.dumps(payload, indent=2))
    prep.save_cache()
    return DriftResult(
        drift_id, Path(ref.runs_dir) / spec.name / drift_id, spec.name, report, list(X.columns)
    )
