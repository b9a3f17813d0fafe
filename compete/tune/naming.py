"""What a study is of: the model entry of the spec, its ``[tune.*]`` overrides, and the study's name —
the competition, the model and a hash of everything that changes the objective (the spec's parts and a
fingerprint of the prepared data), so the same spec on the same data continues the same study and
workers given different data never share one."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import numpy as np

from compete.errors import SpecError
from compete.models.space import check_search_override
from compete.spec import ModelSpec, Spec

__all__ = ["model_spec", "search_overrides", "data_fingerprint", "objective_hash", "study_name",
           "legacy_study_name", "HASHED_IN_0_1"]  # fmt: skip


def model_spec(spec: Spec, model: str) -> ModelSpec:
    """The spec's entry for ``model`` (by label, then name), or the model with its defaults."""
    from compete.models import MODELS

    for m in spec.models:
        if m.label == model:
            return m
    for m in spec.models:
        if m.name == model:
            return m
    MODELS.get(model, where="--model")  # an unknown name fails here, with the known ones
    if not MODELS.get(model).tunable():
        names = [n for n in MODELS.names() if MODELS.get(n).tunable()]
        raise SpecError(f"--model {model!r} has no search space; tunable models: {', '.join(names)}")
    return ModelSpec(model)


def search_overrides(spec: Spec, model: ModelSpec, extra: dict[str, Any] | None = None,
                     defaults: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """``[tune.<label>]`` (or ``[tune.<name>]``) from the spec over ``defaults``, updated with ``extra``,
    checked."""
    own = spec.tune.get(model.label, spec.tune.get(model.name, {}))
    where = f"{spec.source or spec.name}: tune.{model.label}"
    if not isinstance(own, dict):
        raise SpecError(f"{where}: expected a table of parameters, got {own!r}")
    merged = {**(defaults or {}), **own, **(extra or {})}
    for key, value in merged.items():
        check_search_override(f"{where}.{key}", value)
    return merged


# The fields each spec part had in 0.1.0 are always hashed, as they were, so studies made then keep
# their names. A field added since is hashed only when it differs from its default: adding one (as
# cv.group_period was) renames no study, and setting it starts a new one.
HASHED_IN_0_1 = {
    "CVSpec": ("scheme", "folds", "seed", "group", "time"),
    "SchemaSpec": ("numeric", "categorical", "datetime", "text", "ignore", "na_values"),
    "JoinSpec": ("file", "on"),
    "StepSpec": ("name", "params"),
}


def _hashed(part: Any) -> dict[str, Any]:
    """``part``'s fields as the objective hash sees them (see :data:`HASHED_IN_0_1`)."""
    always = HASHED_IN_0_1[type(part).__name__]
    out = {}
    for f in dataclasses.fields(part):
        value = getattr(part, f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if f.name in always or value != default:
            out[f.name] = value
    return out


def data_fingerprint(ctx: Any) -> str:
    """Sizes and a hash of the data the objective is computed on: ``prep.ctx``'s typed ``X``, encoded
    ``y`` and typed ``X_test`` (values, row order, column names and dtypes).

    Part of a study's name (:func:`study_name`): processes that prepared different data (another
    data folder, an edited train.csv, another schema) tune different studies.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> ctx = SimpleNamespace(X=pd.DataFrame({"a": [1.0, 2.0]}), y=np.array([0, 1]), X_test=pd.DataFrame({"a": [3.0]}))
    >>> data_fingerprint(ctx).split(":")[0]
    '2x1+1x1'
    """
    import pandas as pd

    digest = hashlib.sha256()
    for name, part in (("X", ctx.X), ("y", ctx.y), ("X_test", ctx.X_test)):
        if not isinstance(part, pd.DataFrame):
            values = np.asarray(part)
            part = pd.DataFrame(values.reshape(len(values), -1))
        layout = [name, list(part.shape), [[str(c), str(t)] for c, t in part.dtypes.items()]]
        digest.update(json.dumps(layout).encode())
        if part.size:
            digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
    sizes = "+".join(f"{len(f)}x{f.shape[1]}" for f in (ctx.X, ctx.X_test))
    return f"{sizes}:{digest.hexdigest()[:16]}"


def objective_hash(spec: Spec, model: ModelSpec, overrides: dict[str, Any], data: str | None = None) -> str:
    """A hash of every spec part that changes the objective (files, folds, recipes, metric, fixed params)
    and of the data (``data``: :func:`data_fingerprint`; ``None`` gives compete 0.1.0's hash, spec only)."""
    fixed = {k: v for k, v in overrides.items() if not isinstance(v, dict | list)}
    key = {"task": spec.task, "target": spec.target, "metric": spec.metric, "positive": spec.positive,
           "seed": spec.seed, "cv": _hashed(spec.cv), "schema": _hashed(spec.schema),
           "joins": [_hashed(j) for j in spec.joins], "files": spec.files,
           "features": [_hashed(s) for s in spec.features],
           "resample": _hashed(spec.resample) if spec.resample else None,
           "model": model.name, "params": model.params, "fixed": fixed}  # fmt: skip
    if data is not None:
        key["data"] = data
    text = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def study_name(spec: Spec, model: ModelSpec, overrides: dict[str, Any], data: str) -> str:
    """``<competition>.<model label>.<objective hash>``: the same spec on the same data (``data``:
    :func:`data_fingerprint` of the prepared run) continues the same study."""
    return f"{spec.name}.{model.label}.{objective_hash(spec, model, overrides, data)}"


def legacy_study_name(spec: Spec, model: ModelSpec, overrides: dict[str, Any]) -> str:
    """The name compete 0.1.0 gave this study (a hash of the spec only, not of the data)."""
    return f"{spec.name}.{model.label}.{objective_hash(spec, model, overrides)}"
