"""Resampling and class weights for imbalanced classification targets.

A resampler rebalances **one fold's training part**: the fold loop calls :meth:`Resampler.apply`
on the rows a model is about to be fitted on, after the recipes and before ``model.fit``. It is
never applied to the validation part of a fold nor to the test set, so out-of-fold scores are
measured on the real class balance and the CV score stays honest. Nothing here is fitted outside
that training part: the medians and category codes used for the samplers come from it alone.

Methods (``[resample] method = ...`` in ``competition.toml``; the samplers are imbalanced-learn's):
``none`` (:func:`make_resampler` returns ``None``); ``class_weight`` (the original rows with
balanced sample weights); ``random_over`` (``RandomOverSampler``, minority rows copied);
``random_under`` (``RandomUnderSampler``, majority rows dropped); ``smote`` (``SMOTE``, or
``SMOTENC`` when some columns are categorical, ``SMOTEN`` when all are); ``borderline_smote``
(``BorderlineSMOTE``); ``adasyn`` (``ADASYN``, ``k_neighbors`` passed as its ``n_neighbors``);
``smotenc`` (``SMOTENC``, needs categorical and numeric columns); ``smote_tomek`` and
``smote_enn`` (``SMOTETomek``, ``SMOTEENN``; their SMOTE step is SMOTENC when there are
categorical columns).

Parameters: ``ratio`` is imbalanced-learn's ``sampling_strategy`` (a float in (0, 1], the
minority/majority ratio after resampling, for binary targets; or ``"auto"``, ``"minority"``,
``"not minority"``, ``"not majority"``, ``"all"``), ``k_neighbors`` the SMOTE neighbourhood, and
any other parameter of the imbalanced-learn class is passed through (an unknown one raises
:class:`~compete.errors.SpecError` listing the class's parameters).

Encoding for the samplers. ``random_over`` and ``random_under`` only pick rows, so they see no
encoded data and accept every column type. The SMOTE family interpolates, so the training part
is encoded first, for the sampler only:

* numeric and boolean columns: missing values are replaced by the column's median in the
  training part (0 if the column is all missing); datetimes become seconds since 1970;
* categorical columns: their integer codes, a missing value being its own code (-1). SMOTENC /
  SMOTEN take a synthetic row's category from its neighbours (the most frequent), so no
  category is invented; ``borderline_smote`` and ``adasyn`` interpolate the codes and round to
  the nearest code, which can give a category between two neighbours' (use ``smote`` for
  categorical data);
* text columns (``str``/object dtype) cannot be interpolated: a clear error says to drop or
  encode them first.

The output frame has the **same columns and dtypes** as the input: original rows are the input
rows themselves (their missing values and index kept), synthetic rows are decoded back (integers
rounded, categories restored as ``category`` with the same categories, -1 as missing) and get a
fresh index that does not collide with the input's. A copied row of ``random_over`` is a copy of
its original with a fresh index. ``y`` comes back as the input's type (a Series indexed like the
frame, or an array).

``class_weight`` returns weights ``n / (K * n_c)`` (scikit-learn's "balanced"; mean 1), optionally
tempered by ``power`` (``w ** power``, renormalised to mean 1; 0.5 is CatBoost's "SqrtBalanced")
or, for binary targets, set by ``ratio`` (the minority/majority ratio of total weight; 1 is
balanced). The fold loop passes them to the model as ``sample_weight``: for XGBoost this is
``scale_pos_weight = n_neg / n_pos``, for LightGBM ``class_weight="balanced"`` / ``is_unbalance``,
for CatBoost ``auto_class_weights="Balanced"``, up to a constant factor (weights here have mean 1,
so ``min_child_weight``-like parameters keep their meaning), and it works for multiclass too.
"""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compete.errors import ModelError, SpecError
from compete.registry import Registry

if TYPE_CHECKING:
    from compete.spec import StepSpec

__all__ = ["SAMPLERS", "Resampler", "ImblearnResampler", "ClassWeight", "class_weights", "make_resampler"]

SAMPLERS: Registry[type[Resampler]] = Registry("resample method")
STRATEGIES = ("auto", "minority", "not minority", "not majority", "all")


class Resampler:
    """Rebalances the training part of one fold; see the module docstring.

    Parameters
    ----------
    params : dict
        The ``[resample]`` parameters other than ``method``.
    task : {"binary", "multiclass"}
        Regression raises :class:`~compete.errors.ModelError`.
    seed : int
        Seed of every random choice: one seed, one output.

    Attributes
    ----------
    counts_before_, counts_after_ : dict
        Class counts of the last :meth:`apply` (for the run log).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": np.arange(20.0)}); y = np.r_[np.zeros(16, int), np.ones(4, int)]
    >>> X2, y2, w2 = make_resampler("random_over", task="binary", seed=0).apply(X, y)
    >>> np.bincount(y2).tolist(), w2 is None
    ([16, 16], True)
    """

    method = "base"
    allowed: tuple[str, ...] = ()

    def __init__(self, params: dict[str, Any], task: str, seed: int) -> None:
        if task not in ("binary", "multiclass"):
            raise ModelError(
                f"resample method {self.method!r} needs a classification target, but the task is "
                f'{task!r}; remove the [resample] table or set method = "none"'
            )
        self.params = dict(params)
        self.task = task
        self.seed = seed
        self._check_params()

    def _check_params(self) -> None:
        target = getattr(self, "target", "")
        what = f" (imbalanced-learn {target.rsplit('.', 1)[1]})" if target else ""
        for key in self.params:
            if key not in self.allowed:
                raise SpecError(
                    f"resample.{key}: unknown parameter for method {self.method!r}{what}; "
                    f"allowed: {', '.join(sorted(set(self.allowed)))}"
                )
        ratio = self.params.get("ratio", self.params.get("sampling_strategy"))
        if ratio is not None:
            _check_ratio(ratio, self.task)

    def apply(self, X: pd.DataFrame, y: Any) -> tuple[pd.DataFrame, Any, np.ndarray | None]:
        """Resample one fold's training part; returns ``(X2, y2, sample_weight or None)``."""
        y_arr = np.asarray(y)
        if len(X) != len(y_arr):
            raise ModelError(f"resample: X has {len(X)} rows but y has {len(y_arr)}; pass the same rows")
        if len(np.unique(y_arr)) < 2:
            raise ModelError(
                f"resample method {self.method!r}: this training part holds one class only "
                f'({np.unique(y_arr).tolist()}); use fewer folds or method = "none"'
            )
        self.counts_before_ = _counts(y_arr)
        X2, y2, w2 = self._apply(X, y_arr)
        self.counts_after_ = _counts(y2)
        if isinstance(y, pd.Series):
            return X2, pd.Series(y2, index=X2.index, name=y.name, dtype=y.dtype), w2
        return X2, y2.astype(y_arr.dtype, copy=False), w2

    def _apply(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        raise NotImplementedError


def make_resampler(step: StepSpec | str | None, *, task: str, seed: int) -> Resampler | None:
    """The resampler of a ``[resample]`` step; ``None`` for no step or method ``"none"``.

    Examples
    --------
    >>> make_resampler(None, task="binary", seed=0) is None
    True
    >>> from compete.spec import StepSpec
    >>> type(make_resampler(StepSpec("smote", {"ratio": 0.5}), task="binary", seed=0)).__name__
    'SMOTESampler'
    """
    if step is None:
        return None
    name, params = (step, {}) if isinstance(step, str) else (step.name, step.params)
    if name == "none":
        return None
    cls = SAMPLERS.get(name, where="resample.method")
    return cls(dict(params), task, seed)


SAMPLERS.register("none")(Resampler)  # listed among the known names; make_resampler returns None


def _check_ratio(ratio: Any, task: str) -> None:
    if isinstance(ratio, str):
        if ratio not in STRATEGIES:
            raise SpecError(
                f"resample.ratio: got {ratio!r}; allowed: a number in (0, 1] or {', '.join(STRATEGIES)}"
            )
        return
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1:
        raise SpecError(
            f"resample.ratio: got {ratio!r}; allowed: a number in (0, 1] (minority/majority after "
            f"resampling) or one of {', '.join(STRATEGIES)}"
        )
    if task != "binary":
        raise SpecError(
            f"resample.ratio: got {ratio!r}, but a number only applies to binary targets; "
            f"for {task} use one of {', '.join(STRATEGIES)}"
        )


def _counts(y: np.ndarray) -> dict[int, int]:
    values, counts = np.unique(y, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts)}


# --- class weights ----------------------------------------------------------------------------
@SAMPLERS.register("class_weight")
class ClassWeight(Resampler):
    """Balanced sample weights instead of new rows; ``ratio`` (binary) or ``power`` tempers them.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 2, 3, 4]}); y = np.array([0, 0, 0, 1])
    >>> ClassWeight({}, "binary", 0).apply(X, y)[2].round(3).tolist()
    [0.667, 0.667, 0.667, 2.0]
    """

    method = "class_weight"
    allowed = ("ratio", "power")

    def _check_params(self) -> None:
        super()._check_params()
        power = self.params.get("power", 1.0)
        if isinstance(power, bool) or not isinstance(power, int | float) or power < 0:
            raise SpecError(
                f"resample.power: got {power!r}; allowed: a number >= 0 (1 balanced, 0.5 square root)"
            )
        if "ratio" in self.params and "power" in self.params:
            raise SpecError("resample: give either ratio or power for method 'class_weight', not both")
        if isinstance(self.params.get("ratio"), str) and self.params["ratio"] != "auto":
            raise SpecError(
                f"resample.ratio: got {self.params['ratio']!r}; class_weight takes a number or 'auto'"
            )

    def _apply(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        return X, y, class_weights(y, ratio=self.params.get("ratio"), power=self.params.get("power", 1.0))


def class_weights(y: np.ndarray, ratio: float | str | None = None, power: float = 1.0) -> np.ndarray:
    """Per-row weights ``(n / (K * n_c)) ** power`` with mean 1; ``ratio``: minority/majority total weight."""
    values, inverse, counts = np.unique(np.asarray(y), return_inverse=True, return_counts=True)
    per_class = (len(y) / (len(values) * counts)) ** float(power)
    if isinstance(ratio, int | float) and len(values) == 2:
        minority = int(np.argmin(counts))
        per_class = np.ones(2)
        per_class[1 - minority] = counts[minority] / (ratio * counts[1 - minority])
    w = per_class[inverse]
    return w / w.mean()


# --- imbalanced-learn samplers ----------------------------------------------------------------
class ImblearnResampler(Resampler):
    """An imbalanced-learn sampler run on an encoded copy of the training part (module docstring)."""

    target = ""  # "imblearn.over_sampling.SMOTE"
    copies_rows = False  # picks rows only: no encoding needed
    neighbours = "k_neighbors"  # parameter whose value +1 each resampled class needs

    def __init__(self, params: dict[str, Any], task: str, seed: int) -> None:
        self.allowed = ("ratio", "k_neighbors", *_signature(self.target))
        super().__init__(params, task, seed)
        if "ratio" in self.params and "sampling_strategy" in self.params:
            raise SpecError("resample: give either ratio or sampling_strategy, not both (they are the same)")

    def _kwargs(self) -> dict[str, Any]:
        kw = {k: v for k, v in self.params.items() if k not in ("ratio", "k_neighbors")}
        kw["sampling_strategy"] = self.params.get("ratio", self.params.get("sampling_strategy", "auto"))
        kw.setdefault("random_state", self.seed)
        if "k_neighbors" in self.params:
            kw[self.neighbours] = self.params["k_neighbors"]
        return kw

    def _build(self, codec: _Codec | None) -> Any:
        return _load(self.target)(**self._kwargs())

    def _picks_only(self) -> bool:
        return self.copies_rows and self.params.get("shrinkage") is None

    def _apply(self, X: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        self._check_counts(y)
        codec = None if self._picks_only() else _Codec(X, self.method)
        Xin = np.arange(len(X)).reshape(-1, 1) if codec is None else codec.encode(X)
        sampler = self._build(codec)
        try:
            X_res, y_res = sampler.fit_resample(Xin, y)
        except ValueError as exc:
            raise ModelError(f"resample method {self.method!r} failed on a training part: {exc}") from None
        source = self._source(sampler, len(X), len(y_res))
        return _assemble(X, np.asarray(X_res), np.asarray(y_res), source, codec)

    def _check_counts(self, y: np.ndarray) -> None:
        from imblearn.utils import check_sampling_strategy

        kind = "under-sampling" if self.method == "random_under" else "over-sampling"
        strategy = self._kwargs()["sampling_strategy"]
        try:
            todo = check_sampling_strategy(strategy, y, kind)
        except ValueError as exc:
            raise ModelError(
                f"resample.ratio = {strategy!r} cannot be reached on a training part with class counts "
                f"{_counts(y)}: {exc}; use a ratio at least the current minority/majority ratio, or 'auto'"
            ) from None
        if self.copies_rows or self.method == "random_under":
            return
        need = int(self._kwargs().get(self.neighbours, 5)) + 1
        counts = _counts(y)
        for cls, n_new in todo.items():
            if n_new > 0 and counts[int(cls)] < need:
                raise ModelError(
                    f"resample method {self.method!r}: class {cls} has {counts[int(cls)]} rows in a training "
                    f"part, fewer than {self.neighbours} + 1 = {need}; lower resample.k_neighbors "
                    f'(at most {counts[int(cls)] - 1}), or use method = "random_over" or "class_weight"'
                )

    def _source(self, sampler: Any, n: int, n_out: int) -> np.ndarray:
        """Position in the input of each output row, -1 for a synthetic row."""
        return np.r_[np.arange(n), np.full(n_out - n, -1)]


def _signature(target: str) -> tuple[str, ...]:
    internal = ("categorical_features", "categorical_encoder", "smote", "tomek", "enn")  # set by compete
    return tuple(p for p in inspect.signature(_load(target)).parameters if p not in internal)


def _load(target: str) -> Any:
    module, name = target.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _smote_for(codec: _Codec | None, kwargs: dict[str, Any]) -> Any:
    """SMOTE, SMOTENC when some columns are categorical, SMOTEN when all are."""
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

    if codec is None or not codec.categorical:
        return SMOTE(**kwargs)
    if len(codec.categorical) == len(codec.columns):
        return SMOTEN(**kwargs)
    return SMOTENC(categorical_features=codec.categorical, **kwargs)


@SAMPLERS.register("smote")
class SMOTESampler(ImblearnResampler):
    method, target = "smote", "imblearn.over_sampling.SMOTE"

    def _build(self, codec: _Codec | None) -> Any:
        return _smote_for(codec, self._kwargs())


@SAMPLERS.register("smotenc")
class SMOTENCSampler(ImblearnResampler):
    method, target = "smotenc", "imblearn.over_sampling.SMOTENC"

    def _build(self, codec: _Codec | None) -> Any:
        assert codec is not None
        if not codec.categorical or len(codec.categorical) == len(codec.columns):
            raise ModelError(
                f"resample method 'smotenc' needs both categorical and numeric columns; this frame has "
                f'{len(codec.categorical)} categorical of {len(codec.columns)}; use method = "smote", '
                "which picks SMOTE, SMOTENC or SMOTEN from the columns"
            )
        return _load(self.target)(categorical_features=codec.categorical, **self._kwargs())


@SAMPLERS.register("borderline_smote")
class BorderlineSMOTESampler(ImblearnResampler):
    method, target = "borderline_smote", "imblearn.over_sampling.BorderlineSMOTE"


@SAMPLERS.register("adasyn")
class ADASYNSampler(ImblearnResampler):
    method, target, neighbours = "adasyn", "imblearn.over_sampling.ADASYN", "n_neighbors"


@SAMPLERS.register("random_over")
class RandomOverSampler(ImblearnResampler):
    method, target, copies_rows = "random_over", "imblearn.over_sampling.RandomOverSampler", True

    def _source(self, sampler: Any, n: int, n_out: int) -> np.ndarray:
        idx = np.asarray(sampler.sample_indices_)
        return idx if self._picks_only() else np.where(np.arange(n_out) < n, idx, -1)


@SAMPLERS.register("random_under")
class RandomUnderSampler(ImblearnResampler):
    method, target, copies_rows = "random_under", "imblearn.under_sampling.RandomUnderSampler", True

    def _source(self, sampler: Any, n: int, n_out: int) -> np.ndarray:
        return np.asarray(sampler.sample_indices_)


class _Combined(ImblearnResampler):
    """SMOTE (NC when there are categorical columns) then a cleaning under-sampler."""

    cleaner = ""

    def _build(self, codec: _Codec | None) -> Any:
        kw = self._kwargs()
        inner = {k: kw.pop(k) for k in ("k_neighbors",) if k in kw}
        smote = _smote_for(
            codec, {"sampling_strategy": kw["sampling_strategy"], "random_state": kw["random_state"], **inner}
        )
        return _load(self.target)(smote=smote, **kw)

    def _source(self, sampler: Any, n: int, n_out: int) -> np.ndarray:
        kept = np.asarray(getattr(sampler, self.cleaner).sample_indices_)
        return np.where(kept < n, kept, -1)


@SAMPLERS.register("smote_tomek")
class SMOTETomekSampler(_Combined):
    method, target, cleaner = "smote_tomek", "imblearn.combine.SMOTETomek", "tomek_"


@SAMPLERS.register("smote_enn")
class SMOTEENNSampler(_Combined):
    method, target, cleaner = "smote_enn", "imblearn.combine.SMOTEENN", "enn_"


# --- encoding for the samplers ----------------------------------------------------------------
class _Codec:
    """Frame ↔ float matrix for the samplers: medians for missing numbers, codes for categories."""

    def __init__(self, X: pd.DataFrame, method: str) -> None:
        self.columns = list(X.columns)
        self.dtypes = X.dtypes
        self.categorical = [i for i, c in enumerate(X.columns) if isinstance(X[c].dtype, pd.CategoricalDtype)]
        for c in X.columns:
            s = X[c]
            if not isinstance(s.dtype, pd.CategoricalDtype) and not _numeric_like(s):
                raise ModelError(
                    f"resample method {method!r} cannot interpolate column {c!r} (dtype {s.dtype}): "
                    "drop it or turn it into numeric features with a recipe first, or use method = "
                    '"random_over", "random_under" or "class_weight", which do not synthesise rows'
                )
        self.fill = {c: self._median(self._numbers(X[c])) for c in X.columns}

    @staticmethod
    def _median(values: np.ndarray) -> float:
        return float(np.nanmedian(values)) if np.isfinite(values).any() else 0.0

    @staticmethod
    def _numbers(s: pd.Series) -> np.ndarray:
        if isinstance(s.dtype, pd.CategoricalDtype):
            return s.cat.codes.to_numpy(dtype=float)
        if pd.api.types.is_datetime64_any_dtype(s):
            return ((s - pd.Timestamp(0, tz=s.dt.tz)) / pd.Timedelta(seconds=1)).to_numpy(
                dtype=float, na_value=np.nan
            )
        return s.to_numpy(dtype=float, na_value=np.nan)

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        cols = [np.nan_to_num(self._numbers(X[c]), nan=self.fill[c]) for c in self.columns]
        return np.column_stack(cols) if cols else np.empty((len(X), 0))

    def decode(self, values: np.ndarray, index: pd.Index) -> pd.DataFrame:
        return pd.DataFrame(
            {c: self._column(c, values[:, i], index) for i, c in enumerate(self.columns)}, index=index
        )

    def _column(self, c: str, v: np.ndarray, index: pd.Index) -> pd.Series:
        dtype = self.dtypes[c]
        if isinstance(dtype, pd.CategoricalDtype):
            codes = np.clip(np.rint(v), -1, len(dtype.categories) - 1).astype(int)
            return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=index)
        if pd.api.types.is_datetime64_any_dtype(dtype):
            stamps = pd.Timestamp(0, tz=getattr(dtype, "tz", None)) + pd.to_timedelta(np.rint(v), unit="s")
            return pd.Series(stamps, index=index).astype(dtype)
        if pd.api.types.is_bool_dtype(dtype):
            return pd.Series(v >= 0.5, index=index).astype(dtype)
        if pd.api.types.is_integer_dtype(dtype):
            return pd.Series(np.rint(v), index=index).astype(dtype)
        return pd.Series(v, index=index).astype(dtype)


def _numeric_like(s: pd.Series) -> bool:
    return bool(
        pd.api.types.is_numeric_dtype(s)
        or pd.api.types.is_bool_dtype(s)
        or pd.api.types.is_datetime64_any_dtype(s)
    )


def _assemble(X: pd.DataFrame, X_res: np.ndarray, y_res: np.ndarray, source: np.ndarray,
              codec: _Codec | None) -> tuple[pd.DataFrame, np.ndarray, None]:  # fmt: skip
    """Original rows (first occurrences in input order), then copies, then decoded synthetic rows."""
    picked = np.flatnonzero(source >= 0)
    _, first = np.unique(source[picked], return_index=True)
    is_first = np.zeros(len(picked), bool)
    is_first[first] = True
    originals = picked[is_first][np.argsort(source[picked[is_first]], kind="stable")]
    copies, synthetic = picked[~is_first], np.flatnonzero(source < 0)
    fresh = iter(_fresh_index(X.index, len(copies) + len(synthetic)))
    parts = [X.iloc[source[originals]]]
    if len(copies):
        parts.append(X.iloc[source[copies]].set_axis(pd.Index([next(fresh) for _ in copies]), axis=0))
    if len(synthetic):
        assert codec is not None
        parts.append(codec.decode(X_res[synthetic], pd.Index([next(fresh) for _ in synthetic])))
    X2 = pd.concat(parts) if len(parts) > 1 else parts[0].copy()
    X2.index.name = X.index.name
    return X2, y_res[np.r_[originals, copies, synthetic]], None


def _fresh_index(index: pd.Index, n: int) -> list[Any]:
    if pd.api.types.is_integer_dtype(index):
        start = int(index.max()) + 1 if len(index) else 0
        return list(range(start, start + n))
    taken = set(index)
    return [label for label in (f"resampled-{i}" for i in range(n + len(taken))) if label not in taken][:n]
