"""Feature recipes: scikit-learn transformers, one per module, registered by name in :data:`FEATURES`.

Each recipe takes a pandas frame and returns one with the same index. Recipes that use the target
(``target_mean``, ``select_importance``) are fitted inside CV folds on the training part only; the
spec lists recipes in order (``[[features]] recipe = "group_agg"``) and :func:`build_pipeline`
turns that list into the object the fold loop calls.
"""

from __future__ import annotations

from compete.features.encode import CountEncode, OneHot, OrdinalEncode
from compete.features.group import GroupAggregates
from compete.features.impute import Impute
from compete.features.lags import TimeLags
from compete.features.numeric import Interactions, NumericTransform
from compete.features.outliers import RemoveOutliers
from compete.features.pipeline import FeaturePipeline, build_pipeline, describe_recipes
from compete.features.registry import FEATURES
from compete.features.selection import DropConstant, DropCorrelated, SelectImportance
from compete.features.target import TargetMeans
from compete.features.text import TextWords
from compete.features.time import DateParts

__all__ = [
    "FEATURES",
    "FeaturePipeline",
    "build_pipeline",
    "describe_recipes",
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
    "SelectImportance",
    "TargetMeans",
    "TextWords",
    "TimeLags",
]
