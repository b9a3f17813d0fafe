"""compete: tabular machine-learning competitions, honestly cross-validated.

The names a notebook needs, imported lazily (``import compete`` and ``compete --help`` stay fast):

>>> import compete
>>> opts = compete.RunOptions("demo", models=["lightgbm"], folds=3)
>>> opts.competition, compete.CompeteError.__name__
('demo', 'CompeteError')

``compete.run_competition(opts)`` runs it end to end; ``compete.tune(compete.TuneOptions(...))`` tunes a
model; the feature recipes (``compete.GroupAggregates``, ``compete.TargetMeans``, ...) are scikit-learn
transformers. The layout, one subpackage per stage of a run, lower layers never importing higher ones:

====================  =====================================================================
``errors``, ``registry``, ``seeding``, ``device``, ``progress``   foundation
``scoring``           metrics, OOF thresholds, plots
``features``, ``models``, ``ensemble``, ``resample``   the components, each a scikit-learn estimator
``spec``              the competition spec, validated against the components
``cv``                splitters and the fold loop
``data``              files to typed frames, the target codec, the prepared competition
``records``           run folders, the ledger, a run's fitted artifacts (``compete predict``)
``submission``        building, checking and scoring submission files
``tune``              Optuna: storage, names, objective, study, the budget's tuner
``drift``, ``leaderboard``, ``baseline``, ``kaggle``   diagnostics and the Kaggle transport
``run``               the ``compete run`` orchestration
``commands``, ``cli``   the command line: a thin shell
====================  =====================================================================
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_EXPORTS = {
    "CompeteError": "compete.errors",
    "CompetitionRef": "compete.data.prepared",
    "RunOptions": "compete.run.options",
    "RunResult": "compete.run.result",
    "run_competition": "compete.run.runner",
    "ensemble_runs": "compete.run.blend",
    "TuneOptions": "compete.tune.study",
    "tune": "compete.tune.study",
    "load_spec": "compete.spec",
    "Spec": "compete.spec",
    **{name: "compete.features" for name in (
        "CountEncode", "DateParts", "DropConstant", "DropCorrelated", "GroupAggregates", "Impute",
        "Interactions", "NumericTransform", "OneHot", "OrdinalEncode", "RemoveOutliers", "SelectImportance",
        "TargetMeans")},
}  # fmt: skip

__all__ = [
    "__version__",
    "CompeteError",
    "CompetitionRef",
    "CountEncode",
    "DateParts",
    "DropConstant",
    "DropCorrelated",
    "GroupAggregates",
    "Impute",
    "Interactions",
    "NumericTransform",
    "OneHot",
    "OrdinalEncode",
    "RemoveOutliers",
    "RunOptions",
    "RunResult",
    "SelectImportance",
    "Spec",
    "TargetMeans",
    "TuneOptions",
    "ensemble_runs",
    "load_spec",
    "run_competition",
    "tune",
]

if TYPE_CHECKING:
    from compete.data.prepared import CompetitionRef
    from compete.errors import CompeteError
    from compete.features import (
        CountEncode,
        DateParts,
        DropConstant,
        DropCorrelated,
        GroupAggregates,
        Impute,
        Interactions,
        NumericTransform,
        OneHot,
        OrdinalEncode,
        RemoveOutliers,
        SelectImportance,
        TargetMeans,
    )
    from compete.run.blend import ensemble_runs
    from compete.run.options import RunOptions
    from compete.run.result import RunResult
    from compete.run.runner import run_competition
    from compete.spec import Spec, load_spec
    from compete.tune.study import TuneOptions, tune


def __getattr__(name: str) -> Any:
    """Import a public name's module when the name is first used."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'compete' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
