"""The competition spec: ``competitions/<name>/competition.toml``, loaded, validated and frozen.

Every key is checked on load: an unknown key, a wrong type or an unknown metric/model/scheme
raises :class:`~compete.errors.SpecError` naming the file, the key, the bad value and what is allowed.
So are the named components, before any data is read: the ``[ensemble]`` method and its parameters,
the ``[resample]`` method, its parameters and the task, the built-in ``[[features]]`` recipes and
their parameters (a competition's own ``recipes.py`` and ``package.module:Class`` recipes are
imported only by the run), and the ``[tune.<model>]`` tables against the model's search space.
Only the models' ``params`` are left to the libraries, which accept too many keys to list.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from compete.errors import SpecError

__all__ = [
    "GROUP_PERIODS",
    "Spec",
    "CVSpec",
    "ModelSpec",
    "SchemaSpec",
    "JoinSpec",
    "StepSpec",
    "load_spec",
    "spec_from_dict",
    "find_spec",
    "SCHEMES",
    "TASKS",
]

TASKS = ("binary", "multiclass", "regression")
SCHEMES = ("kfold", "stratified", "group", "time")
GROUP_PERIODS = {"hour": "h", "day": "D", "week": "W", "month": "M", "year": "Y"}  # -> pandas period code


@dataclass(frozen=True)
class CVSpec:
    """How rows are split into folds; the same folds serve every model of a run."""

    scheme: str = "kfold"
    folds: int = 5
    seed: int = 42
    group: str = ""
    time: str = ""
    group_period: str = ""  # with a datetime cv.group: group rows by this calendar period (day, week, ...)


@dataclass(frozen=True)
class ModelSpec:
    """One model of the run: a registered name and parameters that override its defaults."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    alias: str = ""
    distributed: bool = False  # data-parallel on a cluster (xgboost only: compete.compute.xgb_dask)

    @property
    def label(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True)
class SchemaSpec:
    """Column-type overrides (as PyCaret's numeric_features / categorical_features / ignore_features)."""

    numeric: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    datetime: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    na_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class JoinSpec:
    """An extra table joined to train and test on ``on`` before anything else (Rossmann's store.csv)."""

    file: str
    on: tuple[str, ...]


@dataclass(frozen=True)
class StepSpec:
    """A named component with parameters: a feature recipe, a sampler or an ensemble."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Spec:
    """A validated competition spec.

    Examples
    --------
    >>> spec = spec_from_dict({"task": "binary", "target": "y", "id": "id", "metric": "auc"}, name="x")
    >>> spec.cv.scheme, [m.name for m in spec.models]
    ('stratified', ['lightgbm', 'xgboost', 'catboost'])
    """

    name: str
    task: str
    target: str
    id: str
    metric: str
    data: str = ""
    positive: str = ""
    kaggle: str = ""
    generate: str = ""
    seed: int = 42
    files: dict[str, str] = field(default_factory=dict)
    schema: SchemaSpec = field(default_factory=SchemaSpec)
    joins: tuple[JoinSpec, ...] = ()
    cv: CVSpec = field(default_factory=CVSpec)
    models: tuple[ModelSpec, ...] = ()
    features: tuple[StepSpec, ...] = ()
    resample: StepSpec | None = None
    ensemble: StepSpec | None = None
    tune: dict[str, dict[str, Any]] = field(default_factory=dict)
    keep_models: bool = True  # a run keeps its fitted pipeline (artifacts/) for compete predict
    compute: dict[str, str] = field(default_factory=dict)  # [compute] cluster = "tcp://host:8786" | "local:N"
    search: dict[str, bool] = field(
        default_factory=dict
    )  # [search] features = true | false (compete.run.search)
    refit: dict[str, Any] = field(
        default_factory=dict
    )  # [refit] full = true | false, seeds = N (compete.run.refit)
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def file(self, role: str) -> str:
        return self.files.get(role, DEFAULT_FILES[role])


DEFAULT_FILES = {"train": "train", "test": "test", "sample_submission": "sample_submission"}
DEFAULT_MODELS = ("lightgbm", "xgboost", "catboost")
TOP_KEYS = {
    "name": str, "task": str, "target": str, "id": str, "metric": str, "data": str,
    "positive": (str, int, bool), "kaggle": str, "generate": str, "seed": int,
    "description": str, "files": dict, "schema": dict, "join": list, "cv": dict,
    "models": list, "features": list, "resample": dict, "ensemble": dict, "tune": dict, "keep_models": bool, "compute": dict,
    "search": dict, "refit": dict,
}  # fmt: skip
REQUIRED = ("task", "target", "id")


class _Checker:
    """Reads keys from one table of the TOML, naming the file and the dotted key in errors."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, msg: str) -> SpecError:
        return SpecError(f"{self.source}: {key}: {msg}")

    def check_keys(self, table: dict[str, Any], allowed: dict[str, Any], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                ok = ", ".join(sorted(allowed))
                raise self.fail(f"{prefix}{key}", f"unknown key; allowed keys here: {ok}")
        for key, kinds in allowed.items():
            if key in table:
                self.check_type(table[key], kinds, f"{prefix}{key}")

    def check_type(self, value: Any, kinds: Any, key: str) -> None:
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        bad_bool = isinstance(value, bool) and bool not in kinds
        if bad_bool or not isinstance(value, kinds):
            want = " or ".join(_TYPE_NAMES[k] for k in kinds)
            raise self.fail(
                key, f"expected {want}, got {value!r} ({_TYPE_NAMES.get(type(value), type(value).__name__)})"
            )

    def choice(self, value: str, allowed: tuple[str, ...] | list[str], key: str) -> str:
        if value not in allowed:
            raise self.fail(key, f"got {value!r}; allowed values: {', '.join(allowed)}")
        return value

    def str_list(self, table: dict[str, Any], key: str, prefix: str) -> tuple[str, ...]:
        value = table.get(key, [])
        self.check_type(value, list, f"{prefix}{key}")
        for item in value:
            self.check_type(item, str, f"{prefix}{key}")
        return tuple(value)


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true/false",
               dict: "a table", list: "an array"}  # fmt: skip


def load_spec(path: str | Path) -> Spec:
    """Read and validate a ``competition.toml``; the competition's name is its folder's name."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: no such spec file; create one with `compete init NAME --data-dir DIR`")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: malformed TOML: {exc}; fix the file's syntax") from None
    name = path.parent.name if path.name == "competition.toml" else path.stem
    return spec_from_dict(raw, name=name, source=str(path))


def find_spec(name: str, competitions_dir: str | Path) -> Path:
    """Locate competition ``name``: a path to a .toml, or ``<dir>/<name>/competition.toml``."""
    as_path = Path(name)
    if as_path.suffix == ".toml":
        return as_path
    if as_path.is_dir() and (as_path / "competition.toml").is_file():
        return as_path / "competition.toml"
    path = Path(competitions_dir) / name / "competition.toml"
    if not path.is_file():
        known = sorted(p.parent.name for p in Path(competitions_dir).glob("*/competition.toml"))
        raise SpecError(
            f"no competition {name!r}: {path} does not exist; known competitions in "
            f"{competitions_dir}: {', '.join(known) or '(none)'}; "
            f"create one with `compete init {name} --data-dir DIR`"
        )
    return path


def spec_from_dict(raw: dict[str, Any], *, name: str, source: str = "<spec>") -> Spec:
    """Validate a spec given as a dictionary (the parsed TOML)."""
    c = _Checker(source)
    c.check_keys(raw, TOP_KEYS, "")
    for key in REQUIRED:
        if key not in raw:
            raise c.fail(key, "missing; every spec needs task, target and id")
    task = c.choice(raw["task"], TASKS, "task")
    metric = _metric(c, raw.get("metric"), task)
    cv = _cv(c, raw.get("cv", {}), task)
    seed = raw.get("seed", cv.seed)
    models = _models(c, raw.get("models"))
    features = tuple(_step(c, s, f"features[{i}]", "recipe") for i, s in enumerate(raw.get("features", [])))
    _check_features(c, features, task, seed, source)
    return Spec(
        name=raw.get("name", name),
        task=task,
        target=raw["target"],
        id=raw["id"],
        metric=metric,
        data=raw.get("data", ""),
        positive=str(raw.get("positive", "")),
        kaggle=raw.get("kaggle", ""),
        generate=raw.get("generate", ""),
        seed=seed,
        files=_files(c, raw.get("files", {})),
        schema=_schema(c, raw.get("schema", {})),
        joins=tuple(_join(c, j, i) for i, j in enumerate(raw.get("join", []))),
        cv=cv,
        models=models,
        features=features,
        resample=_resample(c, raw["resample"], task) if "resample" in raw else None,
        ensemble=_ensemble(c, raw["ensemble"], models) if "ensemble" in raw else None,
        tune=_tune(c, raw.get("tune", {}), models, task),
        keep_models=raw.get("keep_models", True),
        compute=_compute(c, raw.get("compute", {})),
        search=_search(c, raw.get("search", {})),
        refit=_refit(c, raw.get("refit", {})),
        source=source,
    )


def _metric(c: _Checker, value: Any, task: str) -> str:
    from compete.scoring.metrics import DEFAULT_METRIC, METRICS

    if value is None:
        return DEFAULT_METRIC[task]
    c.check_type(value, str, "metric")
    c.choice(value, METRICS.names(), "metric")
    METRICS.get(value).check_task(task, where=f"{c.source}: metric")
    return str(value)


def _cv(c: _Checker, table: dict[str, Any], task: str) -> CVSpec:
    allowed = {"scheme": str, "folds": int, "seed": int, "group": str, "time": str, "group_period": str}
    c.check_keys(table, allowed, "cv.")
    default = "stratified" if task != "regression" else "kfold"
    scheme = c.choice(table.get("scheme", default), SCHEMES, "cv.scheme")
    folds = table.get("folds", 5)
    if folds < 2:
        raise c.fail("cv.folds", f"got {folds}; need at least 2 folds")
    for needed, key in (("group", "group"), ("time", "time")):
        if scheme == needed and not table.get(key):
            raise c.fail(f"cv.{key}", f'scheme {needed!r} needs cv.{key} = "<column>"')
    period = table.get("group_period", "")
    if period:
        c.choice(period, list(GROUP_PERIODS), "cv.group_period")
        if scheme != "group":
            raise c.fail("cv.group_period", f'goes with scheme = "group" (got scheme {scheme!r})')
    return CVSpec(scheme, folds, table.get("seed", 42), table.get("group", ""), table.get("time", ""), period)


def _compute(c: _Checker, table: dict[str, Any]) -> dict[str, str]:
    """``[compute]``: where the fits run (``cluster``: a Dask scheduler's address, or ``local:N``)."""
    c.check_keys(table, {"cluster": str}, "compute.")
    return dict(table)


def _search(c: _Checker, table: dict[str, Any]) -> dict[str, bool]:
    """``[search]``: ``features = true | false``, the automatic feature search (on by default when the
    spec names no ``[[features]]``)."""
    c.check_keys(table, {"features": bool}, "search.")
    return dict(table)


def _refit(c: _Checker, table: dict[str, Any]) -> dict[str, Any]:
    """``[refit]``: ``full = true | false``, the chosen fits refitted on every training row for the test
    predictions (default: on under a time budget, off without one); ``seeds``, how many seeds each (3)."""
    c.check_keys(table, {"full": bool, "seeds": int}, "refit.")
    if table.get("seeds", 1) < 1:
        raise c.fail("refit.seeds", f"got {table['seeds']}; give at least 1 seed")
    return dict(table)


def _files(c: _Checker, table: dict[str, Any]) -> dict[str, str]:
    c.check_keys(table, {k: str for k in DEFAULT_FILES}, "files.")
    return dict(table)


def _schema(c: _Checker, table: dict[str, Any]) -> SchemaSpec:
    keys = ("numeric", "categorical", "datetime", "text", "ignore", "na_values")
    c.check_keys(table, {k: list for k in keys}, "schema.")
    return SchemaSpec(**{k: c.str_list(table, k, "schema.") for k in keys})


def _join(c: _Checker, table: Any, i: int) -> JoinSpec:
    c.check_type(table, dict, f"join[{i}]")
    c.check_keys(table, {"file": str, "on": (str, list)}, f"join[{i}].")
    for key in ("file", "on"):
        if key not in table:
            raise c.fail(f"join[{i}].{key}", "missing; a join needs file and on")
    on = table["on"]
    return JoinSpec(table["file"], (on,) if isinstance(on, str) else tuple(on))


def _models(c: _Checker, items: Any) -> tuple[ModelSpec, ...]:
    from compete.models import MODELS

    if items is None:
        return tuple(ModelSpec(n) for n in DEFAULT_MODELS)
    if not items:
        raise c.fail("models", 'empty; name at least one model, e.g. [[models]] name = "lightgbm"')
    out = []
    for i, table in enumerate(items):
        key = f"models[{i}]"
        c.check_type(table, dict, key)
        c.check_keys(table, {"name": str, "params": dict, "alias": str, "distributed": bool}, f"{key}.")
        if "name" not in table:
            raise c.fail(f"{key}.name", f"missing; known models: {', '.join(MODELS.names())}")
        c.choice(table["name"], MODELS.names(), f"{key}.name")
        distributed = bool(table.get("distributed", False))
        if distributed and table["name"] != "xgboost":
            raise c.fail(f"{key}.distributed", f"is for xgboost only (xgboost.dask); {table['name']!r} trains one fold "
                         "per cluster task: drop it (LightGBM's Dask interface has no early stopping)")  # fmt: skip
        out.append(
            ModelSpec(table["name"], dict(table.get("params", {})), table.get("alias", ""), distributed)
        )
    labels = [m.label for m in out]
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        raise c.fail("models", f"{dupes[0]!r} appears twice; give repeats distinct `alias` values")
    return tuple(out)


def _step(c: _Checker, table: Any, key: str, name_key: str) -> StepSpec:
    c.check_type(table, dict, key)
    if name_key not in table:
        raise c.fail(f"{key}.{name_key}", f"missing; name the {name_key}")
    c.check_type(table[name_key], str, f"{key}.{name_key}")
    params = {k: v for k, v in table.items() if k != name_key}
    return StepSpec(table[name_key], params)


def _check_features(c: _Checker, steps: tuple[StepSpec, ...], task: str, seed: int, source: str) -> None:
    """Built-in recipes and their parameters now; others when the run imports them (see the module)."""
    if not steps:
        return
    import compete.features  # noqa: F401  (registers the built-in recipes)
    from compete.features.pipeline import check_steps

    try:
        check_steps(steps, task=task, seed=seed, spec_dir=Path(source).parent if source else None)
    except SpecError as exc:
        raise SpecError(f"{c.source}: {exc}") from None


def _resample(c: _Checker, table: Any, task: str) -> StepSpec:
    """``[resample]``: a registered method whose parameters fit it and the task."""
    from compete.errors import ModelError
    from compete.resample import SAMPLERS

    step = _step(c, table, "resample", "method")
    c.choice(step.name, SAMPLERS.names(), "resample.method")
    if step.name == "none":
        if step.params:
            raise c.fail(f"resample.{next(iter(step.params))}", "method 'none' takes no parameters")
        return step
    try:
        SAMPLERS.get(step.name)(dict(step.params), task, 0)
    except SpecError as exc:
        raise SpecError(f"{c.source}: {exc}") from None
    except ModelError as exc:  # a method that needs a classification target
        raise c.fail("resample.method", str(exc)) from None
    return step


def _ensemble(c: _Checker, table: Any, models: tuple[ModelSpec, ...]) -> StepSpec:
    """``[ensemble]``: a registered method (or ``none``) with parameters it takes."""
    from compete.ensemble import ENSEMBLES

    step = _step(c, table, "ensemble", "method")
    c.choice(step.name, ["none", *ENSEMBLES.names()], "ensemble.method")
    if step.name == "none":
        if step.params:
            raise c.fail(f"ensemble.{next(iter(step.params))}", "method 'none' takes no parameters")
        return step
    cls: Any = ENSEMBLES.get(step.name)
    problems = cls.param_problems(dict(step.params), [m.label for m in models])
    if problems:
        key, msg = problems[0]
        raise c.fail(f"ensemble.{key}", msg)
    return step


def _tune(c: _Checker, table: dict[str, Any], models: tuple[ModelSpec, ...] = (),
          task: str = "") -> dict[str, dict[str, Any]]:  # fmt: skip
    """``[tune.<model or alias>]`` tables: fixed values, ``{low, high[, log, step]}`` ranges or choices,
    for a model of the spec (or a registered one ``compete tune --model`` can tune), narrowing only
    parameters of its search space."""
    from compete.models.space import check_search_override

    for label, own in table.items():
        c.check_type(own, dict, f"tune.{label}")
        for key, value in own.items():
            check_search_override(f"{c.source}: tune.{label}.{key}", value)
        if task:
            _check_tune_table(c, label, own, models, task)
    return dict(table)


def _check_tune_table(c: _Checker, label: str, own: dict[str, Any], models: tuple[ModelSpec, ...],
                      task: str) -> None:  # fmt: skip
    from compete.models import MODELS

    names = [m.name for m in models if m.label == label] or [m.name for m in models if m.name == label]
    name = names[0] if names else label
    if name not in MODELS:
        labels = ", ".join(sorted({m.label for m in models} | set(MODELS.names())))
        raise c.fail(f"tune.{label}", f"no model {label!r} in the spec or the registry; tune tables are "
                                      f"named by a model's label or name: {labels}")  # fmt: skip
    if not MODELS.get(name).tunable():
        tunable = ", ".join(n for n in MODELS.names() if MODELS.get(n).tunable())
        raise c.fail(f"tune.{label}", f"model {name!r} has no search space; tunable models: {tunable}")
    from compete.models.space import LowestView, draw_params

    try:  # a dry run through the search space: a range for a parameter it does not draw fails here
        draw_params(LowestView(), ModelSpec(name, {}, label if label != name else ""), task, own)
    except SpecError as exc:
        raise SpecError(f"{c.source}: {exc}") from None
