"""Best tuned parameters into ``run`` (``--params default|best|FILE``) and ``compete tune --show``.

Reads the Optuna studies that :mod:`compete.tune` writes; looking a study up creates no files.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from compete.errors import RunError, SpecError
from compete.runner import resolve_spec
from compete.spec import ModelSpec, Spec
from compete.tune import (
    TuneOptions,
    _best,
    _model_spec,
    _safe,
    _storage,
    _trial_params,
    search_overrides,
    storage_url,
    study_name,
)

__all__ = ["best_params", "resolve_params", "study_report"]


def _load(
    spec: Spec, model: ModelSpec, storage: str | None, runs_dir: str | Path, name: str | None = None
) -> Any:
    """The matching study, or ``None`` (the default SQLite file is never created by a look-up)."""
    if storage is None and not (Path(runs_dir) / "optuna.sqlite3").is_file():
        return None  # before importing optuna: a run with no studies does not pay for it
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = storage_url(storage, runs_dir)
    name = name or study_name(spec, model, search_overrides(spec, model))
    try:
        return optuna.load_study(study_name=name, storage=_storage(url))
    except KeyError:  # no such study in this storage
        return None


def best_params(competition: str, model: str, spec: Spec, storage: str | None = None,
                runs_dir: str | Path = "runs") -> dict[str, Any] | None:  # fmt: skip
    """The best completed trial's full parameters for ``model`` under this exact spec, or ``None``.

    ``competition`` must be the spec's name; a study tuned under other folds, recipes, metric or
    fixed parameters has another name and is not used.
    """
    if competition != spec.name:
        raise SpecError(
            f"best_params: competition {competition!r} does not match the spec's name {spec.name!r}"
        )
    study = _load(spec, _model_spec(spec, model), storage, runs_dir)
    best = _best(study) if study is not None else None
    return _trial_params(best) if best is not None else None


def resolve_params(spec: Spec, choice: str = "best", storage: str | None = None,
                   runs_dir: str | Path = "runs") -> tuple[Spec, list[str]]:  # fmt: skip
    """The spec with each model's parameters chosen by ``--params``, and one note per model.

    ``default``: the spec as written. ``best``: every model with a matching study (same competition,
    model and spec) gets its best trial's parameters; the others keep theirs. Anything else is a JSON
    or TOML file: ``{label: {param: value}}``, or flat ``{param: value}`` when the spec has one model.
    """
    if choice == "default":
        return spec, []
    if choice == "best":
        return _with_best(spec, storage, runs_dir)
    return _with_file(spec, Path(choice))


def _with_best(spec: Spec, storage: str | None, runs_dir: str | Path) -> tuple[Spec, list[str]]:
    models, notes = [], []
    for m in spec.models:
        study: Any = (
            _load(spec, m, storage, runs_dir) if hasattr(_model_class(m.name), "search_space") else None
        )
        best = _best(study) if study is not None else None
        if best is None:
            models.append(m)
            continue
        models.append(ModelSpec(m.name, {**m.params, **_trial_params(best)}, m.alias))
        notes.append(f"{m.label}: best parameters of study {study.study_name} (trial {best.number}, "
                     f"cv {best.value:.6g})")  # fmt: skip
    return dataclasses.replace(spec, models=tuple(models)), notes


def _model_class(name: str) -> Any:
    from compete.models import MODELS

    return MODELS.get(name)


def _with_file(spec: Spec, path: Path) -> tuple[Spec, list[str]]:
    if not path.is_file():
        raise SpecError(f"--params {str(path)!r}: not default, best, or an existing JSON/TOML file")
    try:
        if path.suffix == ".toml":
            import tomllib

            table = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            table = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SpecError(f"--params {path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    labels = {m.label for m in spec.models}
    if not isinstance(table, dict) or not table:
        raise SpecError(f"--params {path}: expected a table of parameters, got {table!r}")
    if not all(isinstance(v, dict) for v in table.values()):
        if len(spec.models) != 1:
            raise SpecError(f"--params {path}: flat parameters need a spec with one model; this spec has "
                            f"{', '.join(sorted(labels))}: write {{label = {{param = value}}}} instead")  # fmt: skip
        table = {spec.models[0].label: table}
    unknown = sorted(set(table) - labels)
    if unknown:
        raise SpecError(
            f"--params {path}: no model {unknown[0]!r} in the spec; models: {', '.join(sorted(labels))}"
        )
    models = tuple(ModelSpec(m.name, {**m.params, **table.get(m.label, {})}, m.alias) for m in spec.models)
    return dataclasses.replace(spec, models=models), [f"{k}: parameters from {path}" for k in table]


def study_report(opts: TuneOptions, top: int = 10) -> dict[str, Any]:
    """What ``tune --show`` prints: the best trial, the trial history and parameter importances."""

    spec = resolve_spec(opts.run_options())
    model = _model_spec(spec, opts.model)
    overrides = search_overrides(spec, model, opts.search)
    name = opts.study or study_name(spec, model, overrides)
    study = _load(spec, model, opts.storage, opts.runs_dir, name)
    if study is None:
        raise RunError(f"no study {name!r} in {_safe(storage_url(opts.storage, opts.runs_dir))}; start one with "
                       f"`compete tune {opts.competition} --model {opts.model} --trials 50`")  # fmt: skip
    best = _best(study)
    history = [{"number": t.number, "state": t.state.name.lower(), "value": t.value,
                "seconds": t.duration.total_seconds() if t.duration else None,
                "note": t.user_attrs.get("pruned", t.user_attrs.get("error", ""))} for t in study.trials]  # fmt: skip
    return {"study": study.study_name, "direction": study.direction.name.lower(), "metric": spec.metric,
            "best": None if best is None else {"number": best.number, "value": best.value,
                                               "params": _trial_params(best)},
            "history": history, "importances": _importances(study, top)}  # fmt: skip


def _importances(study: Any, top: int) -> dict[str, float]:
    import optuna

    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    if len(done) < 2:
        return {}
    try:
        imp = optuna.importance.get_param_importances(study)
    except (ValueError, RuntimeError):  # too few distinct values to rank
        return {}
    return {k: float(v) for k, v in list(imp.items())[:top]}
