"""The small base class every model adapter fills in.

An adapter sets ``name`` and implements three hooks: ``default_params`` (competition-grade
defaults), ``_fit`` (train with early stopping on the validation part) and ``_predict`` (raw output).
The base class does the rest: parameter merging, the device, fallbacks, the output conventions of
:mod:`compete.scoring.metrics`. The library behind an adapter is imported inside its hooks, so importing
``compete.models`` stays cheap.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from compete.errors import DeviceError, ModelError

__all__ = ["Model", "GPU_UNUSABLE"]

# Words in the libraries' errors for a GPU that cannot be used (lower case): no device or driver
# (LightGBM's OpenCL "No OpenCL device found", CatBoost's "CUDA driver ..."/"no CUDA-capable device"),
# a build without GPU support (LightGBM "GPU Tree Learner was not enabled", XGBoost "not compiled
# with CUDA"), or a device out of memory.
GPU_UNUSABLE = ("opencl", "cuda", "gpu", "no device", "device not found", "out of memory", "nvml",
                "driver")  # fmt: skip


class Model(BaseEstimator):  # type: ignore[misc]
    """A tabular model with early stopping, for binary, multiclass or regression targets.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        Classification targets are encoded 0..K-1.
    params : dict, optional
        Library parameters that override :meth:`default_params`.
    device : {"cpu", "gpu", "auto"}
        ``gpu`` fails loudly when the library cannot use the GPU; ``auto`` falls back to the CPU.
    random_state : int
        Seed passed to the library.
    early_stopping_rounds : int
        Patience on the validation part, when one is given to :meth:`fit`.
    time_limit : float, optional
        Seconds one :meth:`fit` may take; adapters that support it stop boosting when it is spent
        and keep the rounds (or the best round) so far.

    Attributes
    ----------
    model_ : object
        The fitted library model.
    device_ : str
        The device the model actually trained on.
    best_iteration_ : int or None
        Boosting rounds kept after early stopping.
    n_classes_ : int
        Number of classes (1 for regression).
    """

    name: ClassVar[str] = "base"
    supports_gpu: ClassVar[bool] = True
    #: Parameters for a ``--time-budget`` first pass, under the spec's own: a boosted tree's fast
    #: learning rate. Empty for a model that is not a boosted family (the budget neither halves its
    #: rate nor seed-bags it).
    fast_params: ClassVar[dict[str, Any]] = {}
    #: The search space's narrowing in a budget's tuning turns (``[tune.<model>]``'s form), where the top
    #: of a range is slow and rarely pays: a turn of a few trials should not spend itself on one.
    budget_space: ClassVar[dict[str, Any]] = {}
    #: Other strong starting configurations of the library (name -> parameters over the spec's), that a
    #: budget's second pass offers the ensemble as fits of another kind (:mod:`compete.run.plan`).
    portfolio: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Parameters as a stacking meta-model (it has no validation part to stop on): small, fixed capacity.
    meta_params: ClassVar[dict[str, Any]] = {}
    #: The parameter that sets the library's threads ("" if it has none): a cluster task sets it to its
    #: worker's threads, so several workers on one machine do not fight over its cores.
    threads_param: ClassVar[str] = ""
    #: The parameter that sets the boosting rounds ("" for a model without rounds), and what turns its
    #: ``best_iteration_`` into a count of rounds (1 where the library counts from 0).
    rounds_param: ClassVar[str] = ""
    rounds_offset: ClassVar[int] = 0

    def __init__(
        self,
        task: str = "binary",
        params: dict[str, Any] | None = None,
        device: str = "cpu",
        random_state: int = 0,
        early_stopping_rounds: int = 100,
        time_limit: float | None = None,
    ) -> None:
        self.task = task
        self.params = params
        self.device = device
        self.random_state = random_state
        self.early_stopping_rounds = early_stopping_rounds
        self.time_limit = time_limit

    # hooks -----------------------------------------------------------------------------------
    @classmethod
    def default_params(cls, task: str) -> dict[str, Any]:
        return {}

    @classmethod
    def tunable(cls) -> bool:
        """Whether the model has a search space (``search_space(trial, task)``) that tune can draw from."""
        return callable(getattr(cls, "search_space", None))

    @classmethod
    def full_data_params(cls, params: dict[str, Any], best_iterations: list[int | None],
                         scale: float) -> dict[str, Any]:  # fmt: skip
        """``params`` for a fit on every training row, which has no validation part to stop on: the
        rounds fixed at the folds' mean best round times ``scale`` (the larger data takes a few more);
        a model without rounds, or folds that kept none, keep ``params``.

        >>> from compete.models.xgboost import XGBoostModel
        >>> XGBoostModel.full_data_params({"learning_rate": 0.1}, [99, 139, None], 1.25)
        {'learning_rate': 0.1, 'n_estimators': 150}
        """
        kept = [b + cls.rounds_offset for b in best_iterations if b is not None]
        if not cls.rounds_param or not kept:
            return dict(params)
        return {**params, cls.rounds_param: max(1, round(float(np.mean(kept)) * scale))}

    @classmethod
    def round_callback(cls, task: str, check: Callable[[int, float], bool]) -> dict[str, Any] | None:
        """Parameters that make the library call ``check(round, validation loss)`` after each boosting
        round and stop boosting when it returns True (tune's in-fold pruning and its ``--timeout``);
        ``None`` when the library has no such hook (then tune prunes after each fold only)."""
        return None

    @classmethod
    def fit_errors(cls) -> tuple[type[Exception], ...]:
        """The errors a fit may end in for reasons of its parameters or data, not of a bug (the
        library's own error type, a matrix that cannot be inverted, ...). Tuning counts a trial that
        raises one of them as failed and goes on; any other error is a bug and is reported as such."""
        return (ModelError, FloatingPointError, np.linalg.LinAlgError)

    @classmethod
    def gpu_unusable(cls, exc: Exception) -> bool:
        """Whether ``exc``, raised by a fit on the GPU, says the GPU cannot be used (no device, no
        driver, a library built without GPU support, out of GPU memory): only then may ``--device
        auto`` fall back to the CPU. Any other error is the fit's own and is raised."""
        text = f"{type(exc).__name__}: {exc}".lower()
        return any(marker in text for marker in GPU_UNUSABLE)

    def _fit(self, X: pd.DataFrame, y: np.ndarray, valid: tuple[pd.DataFrame, np.ndarray] | None,
             weight: np.ndarray | None, params: dict[str, Any], device: str) -> Any:  # fmt: skip
        raise NotImplementedError

    def _predict(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    # public ----------------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any, X_valid: pd.DataFrame | None = None,
            y_valid: Any = None, sample_weight: np.ndarray | None = None) -> Model:  # fmt: skip
        """Fit on ``X, y``; early stopping watches ``X_valid, y_valid`` when given."""
        y = np.asarray(y)
        valid = None if X_valid is None else (X_valid, np.asarray(y_valid))
        if self.task == "regression":
            self.n_classes_ = 1
        else:
            seen = y if valid is None else np.concatenate([y, valid[1]])
            self.n_classes_ = max(int(seen.max()) + 1, 2)
        params = {**self.default_params(self.task), **(self.params or {})}
        self._deadline = None if self.time_limit is None else time.monotonic() + self.time_limit
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.model_, self.device_ = self._fit_on_device(X, y, valid, sample_weight, params)
        if self.params and "callbacks" in self.params:  # a fit's hooks (tuning's reports), not the model's
            self.params = {k: v for k, v in self.params.items() if k != "callbacks"}
        return self

    def _fit_on_device(self, X: pd.DataFrame, y: np.ndarray, valid: Any, weight: Any,
                       params: dict[str, Any]) -> tuple[Any, str]:  # fmt: skip
        want = "gpu" if self.device in ("gpu", "auto") and self.supports_gpu else "cpu"
        if self.device == "gpu" and not self.supports_gpu:
            raise DeviceError(f"model {self.name!r} has no GPU mode; use --device cpu or auto")
        if want == "cpu":
            return self._fit(X, y, valid, weight, params, "cpu"), "cpu"
        try:
            return self._fit(X, y, valid, weight, params, "gpu"), "gpu"
        except Exception as exc:  # the libraries raise their own error types for a missing GPU
            if not self.gpu_unusable(exc):
                raise
            if self.device == "gpu":
                raise DeviceError(f"model {self.name!r} could not train on the GPU: {exc}") from None
            self.gpu_error_ = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return self._fit(X, y, valid, weight, params, "cpu"), "cpu"

    # files -------------------------------------------------------------------------------------
    #: The suffix of the library's own model file (``""``: the whole adapter is kept with joblib).
    native_suffix: ClassVar[str] = ""
    #: The distributions a fitted model needs to predict, beyond scikit-learn (``compete export``).
    requires: ClassVar[tuple[str, ...]] = ()

    def libraries(self) -> tuple[str, ...]:
        """What this fitted model needs to predict (a wrapper: its members' libraries)."""
        return self.requires

    def save(self, stem: Path) -> list[Path]:
        """Write the fitted model beside ``stem``: the adapter (joblib, without the library model
        when the library has a file format of its own) and the library's file. Returns the files."""
        import joblib

        if not self.native_suffix:
            joblib.dump(self, stem.with_suffix(".joblib"))
            return [stem.with_suffix(".joblib")]
        native = stem.with_suffix(self.native_suffix)
        self._save_native(native)
        shell = copy.copy(self)
        shell.model_ = None
        joblib.dump(shell, stem.with_suffix(".joblib"))
        return [stem.with_suffix(".joblib"), native]

    @staticmethod
    def load(files: list[Path]) -> Model:
        """The fitted model :meth:`save` wrote to ``files`` (the adapter first, then the library's file)."""
        import joblib

        model: Model = joblib.load(files[0])
        if len(files) > 1:
            model.model_ = model._load_native(files[1])
        return model

    def _save_native(self, path: Path) -> None:
        raise NotImplementedError

    def _load_native(self, path: Path) -> Any:
        raise NotImplementedError

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:
        """Binary: P(class 1), 1-D. Multiclass: ``(n, K)`` probabilities. Regression: values."""
        if not hasattr(self, "model_"):
            raise ModelError(f"model {self.name!r} is not fitted yet; call fit first")
        out = np.asarray(self._predict(X), dtype=float)
        if self.task == "binary" and out.ndim == 2:
            out = out[:, 1]
        return out

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        out = self.predict_raw(X)
        return np.column_stack([1 - out, out]) if out.ndim == 1 else out

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        out = self.predict_raw(X)
        if self.task == "regression":
            return out
        return out.argmax(axis=1) if out.ndim == 2 else (out >= 0.5).astype(int)
