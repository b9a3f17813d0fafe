"""Best tuned parameters into ``run`` (``--params default|best|FILE``) and ``compete tune --show``.

Reads the Optuna studies that :mod:`compete.tune.study` writes; looking a study up creates no files. A study
is found by the name ``tune`` gives it, which includes the data's fingerprint
(:func:`compete.tune.study.data_fingerprint` of the prepared run), so the caller passes that fingerprint
(or a function computing it, called only when a study file exists). A study named by compete 0.1.0
(spec only) is used when none of this data exists, with a note saying its data were not checked.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compete.data.prepared import Prepared, prepare_run, resolve_spec
from compete.errors import RunError, SpecError
from compete.spec import ModelSpec, Spec
from compete.tune.naming import data_fingerprint, legacy_study_name, model_spec, search_overrides, study_name
from compete.tune.storage import open_storage, safe_url, storage_url
from compete.tune.study import TuneOptions, best_trial, trial_params

__all__ = ["best_params", "resolve_params", "study_report", "run_fingerprint", "importances"]

Fingerprint = str | Callable[[], str] | None
LEGACY_NOTE = "made by compete 0.1.0, before studies recorded their data: its data were not checked"


def run_fingerprint(prep: Prepared) -> Callable[[], str]:
    """A function giving the data fingerprint of a prepared run (``prepare_run``'s result), computed
    at most once and only when called: pass it as ``resolve_params(..., fingerprint=...)``."""
    memo: list[str] = []

    def compute() -> str:
        if not memo:
            memo.append(data_fingerprint(prep.ctx))
        return memo[0]

    return compute


def _has_storage(storage: str | None, runs_dir: str | Path) -> bool:
    """Whether a study could exist (checked before importing optuna: a run with no studies does not
    pay for it, and the default SQLite file is never created by a look-up)."""
    return storage is not None or (Path(runs_dir) / "optuna.sqlite3").is_file()


def _load_named(name: str, storage: str | None, runs_dir: str | Path) -> Any:
    """The study ``name``, or ``None``."""
    if not _has_storage(storage, runs_dir):
        return None
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        return optuna.load_study(study_name=name, storage=open_storage(storage_url(storage, runs_dir)))
    except KeyError:  # no such study in this storage
        return None


def _find(spec: Spec, model: ModelSpec, storage: str | None, runs_dir: str | Path,
          fingerprint: Fingerprint, overrides: dict[str, Any] | None = None) -> tuple[Any, str]:  # fmt: skip
    """The study of ``model`` on this spec and data, or the 0.1.0 study of this spec when there is
    none of this data (and that one recorded no other data), with a note; ``(None, "")`` if neither."""
    if not _has_storage(storage, runs_dir):
        return None, ""
    overrides = search_overrides(spec, model) if overrides is None else overrides
    data = fingerprint() if callable(fingerprint) else fingerprint
    if data is not None:
        study = _load_named(study_name(spec, model, overrides, data), storage, runs_dir)
        if study is not None:
            return study, ""
    legacy = _load_named(legacy_study_name(spec, model, overrides), storage, runs_dir)
    if legacy is None or legacy.user_attrs.get("data", data) != data:
        return None, ""
    return legacy, LEGACY_NOTE


def best_params(competition: str, model: str, spec: Spec, storage: str | None = None,
                runs_dir: str | Path = "runs", fingerprint: Fingerprint = None) -> dict[str, Any] | None:  # fmt: skip
    """The best completed trial's full parameters for ``model`` under this exact spec and data, or ``None``.

    ``competition`` must be the spec's name; a study tuned under other folds, recipes, metric,
    fixed parameters or data has another name and is not used. ``fingerprint``: the data's
    (:func:`compete.tune.study.data_fingerprint`, or a function giving it; ``None`` finds 0.1.0 studies only).
    """
    if competition != spec.name:
        raise SpecError(
            f"best_params: competition {competition!r} does not match the spec's name {spec.name!r}"
        )
    study, _ = _find(spec, model_spec(spec, model), storage, runs_dir, fingerprint)
    best = best_trial(study) if study is not None else None
    return trial_params(best) if best is not None else None


def resolve_params(spec: Spec, choice: str = "best", storage: str | None = None,
                   runs_dir: str | Path = "runs", fingerprint: Fingerprint = None) -> tuple[Spec, list[str]]:  # fmt: skip
    """The spec with each model's parameters chosen by ``--params``, and one note per model.

    ``default``: the spec as written. ``best``: every model with a matching study (same competition,
    model, spec and data) gets its best trial's parameters; the others keep theirs. Anything else is
    a JSON or TOML file: ``{label: {param: value}}``, or flat ``{param: value}`` when the spec has one
    model. ``fingerprint`` is the prepared data's (:func:`run_fingerprint` of ``prepare_run``'s result
    computes it only when a study file exists); without it only 0.1.0 studies (spec only) are found.
    """
    if choice == "default":
        return spec, []
    if choice == "best":
        return _withbest_trial(spec, storage, runs_dir, fingerprint)
    return _with_file(spec, Path(choice))


def _withbest_trial(spec: Spec, storage: str | None, runs_dir: str | Path,
               fingerprint: Fingerprint) -> tuple[Spec, list[str]]:  # fmt: skip
    models, notes = [], []
    for m in spec.models:
        study: Any = None
        legacy = ""
        if hasattr(_model_class(m.name), "search_space"):
            study, legacy = _find(spec, m, storage, runs_dir, fingerprint)
        best = best_trial(study) if study is not None else None
        if best is None:
            models.append(m)
            continue
        models.append(dataclasses.replace(m, params={**m.params, **trial_params(best)}))
        notes.append(f"{m.label}: best parameters of study {study.study_name} (trial {best.number}, "
                     f"cv {best.value:.6g})" + (f"; {legacy}" if legacy else ""))  # fmt: skip
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
    models = tuple(dataclasses.replace(m, params={**m.params, **table.get(m.label, {})}) for m in spec.models)
    return dataclasses.replace(spec, models=models), [f"{k}: parameters from {path}" for k in table]


def study_report(opts: TuneOptions, top: int = 10) -> dict[str, Any]:
    """What ``tune --show`` prints: the best trial, the trial history and parameter importances."""

    spec = resolve_spec(opts, seed=opts.seed)
    model = model_spec(spec, opts.model)
    overrides = search_overrides(spec, model, opts.search)
    where = safe_url(storage_url(opts.storage, opts.runs_dir))
    start = f"start one with `compete tune {opts.competition} --model {opts.model} --trials 50`"
    legacy = ""
    if opts.study:
        name, study = opts.study, _load_named(opts.study, opts.storage, opts.runs_dir)
    elif not _has_storage(opts.storage, opts.runs_dir):
        raise RunError(f"no study of {opts.competition} {opts.model} in {where}; {start}")
    else:  # the study's name holds the data's fingerprint: prepare the data as tune does
        data = data_fingerprint(prepare_run(opts, spec, opts.device).ctx)
        name = study_name(spec, model, overrides, data)
        study, legacy = _find(spec, model, opts.storage, opts.runs_dir, data, overrides)
    if study is None:
        raise RunError(f"no study {name!r} in {where}; {start}")
    best = best_trial(study)
    history = [{"number": t.number, "state": t.state.name.lower(), "value": t.value,
                "seconds": t.duration.total_seconds() if t.duration else None,
                "note": t.user_attrs.get("pruned", t.user_attrs.get("error", ""))} for t in study.trials]  # fmt: skip
    return {"study": study.study_name, "direction": study.direction.name.lower(), "metric": spec.metric,
            "best": None if best is None else {"number": best.number, "value": best.value,
                                               "params": trial_params(best)},
            "history": history, "importances": importances(study, top),
            "data": study.user_attrs.get("data"), "note": legacy}  # fmt: skip


def importances(study: Any, top: int) -> dict[str, float]:
    """fANOVA importances (``tune --show`` labels them so): the evaluator is named, not Optuna's
    default, which became PED-ANOVA in Optuna 5."""
    import optuna

    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    if len(done) < 2:
        return {}
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        imp = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (ValueError, RuntimeError):  # too few distinct values to rank
        return {}
    return {k: float(v) for k, v in list(imp.items())[:top]}
