"""Automatic feature search: the recipes a spec does not name, tried in blocks and kept on evidence.

On by default when the spec names no ``[[features]]`` (``[search] features = false`` or
``--no-search`` turns it off; ``features = true`` turns it on beside the spec's own recipes). Before the
models, a fast probe (LightGBM at learning rate 0.1, early stopping) is fitted on the run's own folds
with the features so far, then with each block of candidates added, built from the existing recipes:

0. for whole-number columns whose treatment is ambiguous (:func:`compete.data.schema.ambiguous_code`:
   codes or quantities?), their values as categories beside the numbers, then their count and
   out-of-fold target encodings: CV decides whether they are codes;
1. the most frequent words of each free-text column (``text_words``: a title in a name), and count
   encodings of every categorical (both over train and test: no target);
2. out-of-fold target means of the strongest categoricals;
3. out-of-fold target means of their pairs, and of the strongest three together;
4. out-of-fold target means of each group key (an id-like column shared by groups of rows, such as
   a ticket bought for a family: :func:`compete.data.schema.shared_key`; no model sees it raw);
5. group statistics (mean, standard deviation, difference from the mean) of the strongest numeric
   columns by the strongest categoricals;
6. ratios and differences of the strongest numeric pairs;
7. when a datetime column orders the rows as one regular series (hourly readings:
   :func:`compete.features.lags.regular_period`), the strongest numbers that change from one period
   to the next (an hour's weather, not its season), one and two periods before and after each row
   (``lags``: features only, never the target).

On a table of more than :data:`PROBE_ROWS` training rows the probe fits on a fixed sample of them
(:func:`sampled`: the run's folds restricted to it); the kept recipes are then fitted on every row.
"Strongest" is by the probe's gain importance on the plain features. A block is kept only when its
CV gain over the features kept so far beats the fold-to-fold noise (:func:`compete.cv.noise.gain`);
each block is tried on top of the blocks kept before it. A label metric (accuracy, F1) moves in steps
of one row and hides what a block does to the probabilities: there a block must beat the noise on
log loss, the probe's own objective, and not lose on the metric (:func:`judge`). Every recipe that
sees the target (``target_mean``) is fitted inside each fold, on the training part only, and
cross-fits its own encodings there, as in any run. Under ``--time-budget`` the search may use
:data:`SEARCH_SHARE` of the time left, and a block is only tried when the time left to it covers
another probe; when the base probe's first fold says that even the rest of it and one block's probe
cannot fit that share (many classes, many rows), the search stops there and says so, and the models
get the time.

The run record (``scores.json`` → ``search``) lists every block tried, its CV, gain, noise and
whether it was kept; the run folder's ``features.toml`` holds the kept recipes as a spec fragment
to read, edit and paste into the competition's spec.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compete.cv.foldloop import FoldContext, ModelResult, cross_fit
from compete.cv.noise import Gain, gain
from compete.data.prepared import Prepared
from compete.errors import CompeteError
from compete.progress import Note, Reporter
from compete.spec import ModelSpec, StepSpec

if TYPE_CHECKING:
    from compete.run.plan import Budget

__all__ = [
    "Block",
    "SearchResult",
    "candidates",
    "judge",
    "search_features",
    "fragment",
    "sampled",
    "PROBE_ROWS",
    "SEARCH_SHARE",
    "PROBE",
]

SEARCH_SHARE = 0.25  # under a budget, the search may use this share of the time left when it starts
# the probe fits on at most this many training rows (a fixed sample, :func:`sampled`) and as many test rows
PROBE_ROWS = 50_000
PROBE = ModelSpec(
    "lightgbm", {"n_estimators": 500, "learning_rate": 0.1, "colsample_bytree": 0.8}, "search-probe"
)
TOP_CATEGORICALS, TOP_NUMBERS, TOP_CODES, TOP_KEYS = 4, 4, 6, 3
LAG_STEPS = (1, 2, -1, -2)  # the time neighbours block: two periods before and after
TOP_LAGGED, LAG_CHANGE = 6, 0.1  # the strongest numbers that change from one period to the next this often


@dataclass(frozen=True)
class Block:
    """A named group of candidate recipes, kept or dropped together."""

    name: str
    recipes: tuple[StepSpec, ...]
    why: dict[str, str] = field(default_factory=dict)  # column -> why it is a candidate (for the record)


@dataclass
class SearchResult:
    """What the search tried (one dict per block) and the recipes it kept, in order."""

    tried: list[dict[str, Any]] = field(default_factory=list)
    kept: list[StepSpec] = field(default_factory=list)
    base_cv: float | None = None
    cv: float | None = None
    seconds: float = 0.0
    skipped: str | None = None  # why no block was tried: the budget cannot pay for the probes
    rows: int | None = None  # the training rows the probe fitted on (a sample of a large table)

    def as_info(self) -> dict[str, Any]:
        return {"base_cv": self.base_cv, "cv": self.cv, "seconds": round(self.seconds, 2), "rows": self.rows,
                "tried": self.tried, "kept": [{"recipe": s.name, **s.params} for s in self.kept],
                **({"skipped": self.skipped} if self.skipped else {})}  # fmt: skip


class _TooSlow(Exception):
    """The base probe's first fold says the probes cannot fit the search's share of the budget."""


def _ranked(X: pd.DataFrame, importance: dict[str, float]) -> tuple[list[str], list[str]]:
    """The categorical and numeric columns, strongest first."""
    order = sorted(X.columns, key=lambda c: -importance.get(str(c), 0.0))
    cats = [c for c in order if isinstance(X[c].dtype, pd.CategoricalDtype)]
    nums = [c for c in order if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])]
    return cats, nums


def candidates(
    X: pd.DataFrame,
    importance: dict[str, float],
    X_test: pd.DataFrame | None = None,
    keys: Sequence[str] = (),
) -> list[Block]:
    """The blocks to try on ``X``'s typed columns, given each column's importance (see the module);
    ``X_test`` tells which whole-number columns are ambiguous codes (none without it); ``keys`` are
    the group keys among ``X``'s columns.

    >>> X = pd.DataFrame({"a": pd.Categorical(list("xyxy")), "b": pd.Categorical(list("ppqq")),
    ...                   "n": [1.0, 2.0, 3.0, 4.0], "m": [2.0, 1.0, 0.0, 1.0]})
    >>> [b.name for b in candidates(X, {"b": 3.0, "n": 2.0, "a": 1.0})]
    ['count encodings', 'target means', 'target means of pairs', 'group statistics', 'ratios and differences']
    """
    from compete.data.schema import ambiguous_code
    from compete.features.text import free_text

    cats, nums = _ranked(X.drop(columns=list(keys)), importance)
    top_cats, top_nums = cats[:TOP_CATEGORICALS], nums[:TOP_NUMBERS]
    blocks = []
    why = {} if X_test is None else {c: w for c in nums if (w := ambiguous_code(X[c], X_test[c]))}
    codes = [c for c in nums if c in why][:TOP_CODES]
    if codes:
        said = {c: why[c] for c in codes}
        blocks.append(Block("numbers as categories", (StepSpec("as_category", {"columns": codes, "use_test": True}),),
                            said))  # fmt: skip
        encodings = (StepSpec("count_encode", {"columns": codes, "use_test": True}),
                     StepSpec("target_mean", {"columns": codes}))  # fmt: skip
        blocks.append(Block("numbers' count and target encodings", encodings, said))
    texts = [c for c in free_text(X) if c not in keys]
    if texts:
        blocks.append(
            Block("words of the text", (StepSpec("text_words", {"columns": texts, "use_test": True}),))
        )
    if cats:
        blocks.append(
            Block("count encodings", (StepSpec("count_encode", {"columns": cats, "use_test": True}),))
        )
        blocks.append(Block("target means", (StepSpec("target_mean", {"columns": top_cats}),)))
    if len(top_cats) >= 2:
        groups: list[list[str]] = [list(p) for p in combinations(top_cats, 2)]
        if len(top_cats) >= 3:
            groups.append(top_cats[:3])
        blocks.append(Block("target means of pairs", (StepSpec("target_mean", {"columns": groups}),)))
    # each key its own block: one key's groups may carry the target, another's not
    for key in list(keys)[:TOP_KEYS]:
        blocks.append(
            Block(f"target means of group key {key}", (StepSpec("target_mean", {"columns": [key]}),))
        )
    if top_cats and top_nums:
        stats = tuple(StepSpec("group_agg", {"keys": [k], "columns": top_nums[:3], "aggs": ["mean", "std"],
                                             "diff": True, "use_test": True}) for k in top_cats[:2])  # fmt: skip
        blocks.append(Block("group statistics", stats))
    if len(top_nums) >= 2:
        blocks.append(Block("ratios and differences", (StepSpec("interactions", {"columns": top_nums,
                                                                                 "ops": ["div", "sub"]}),)))  # fmt: skip
    times = [c for c in X.columns if c not in keys and pd.api.types.is_datetime64_any_dtype(X[c])]
    neighbours = _time_neighbours(X, times[0], nums) if times else None
    return blocks + ([neighbours] if neighbours else [])


def _time_neighbours(X: pd.DataFrame, time: str, nums: list[str]) -> Block | None:
    """The time neighbours block (the module's 7.) over ``time``, or None when its values are no
    regular series or none of ``nums`` (strongest first) changes from one period to the next."""
    from compete.features.lags import changing, regular_period

    if (period := regular_period(X[time])) is None:
        return None
    share = changing(X, time, nums, period)
    moving = [c for c in nums if share[c] >= LAG_CHANGE][:TOP_LAGGED]
    if not moving:
        return None
    lags = StepSpec("lags", {"time": time, "columns": moving, "steps": list(LAG_STEPS)})
    return Block("time neighbours", (lags,), {time: f"one regular series, a row every {period}"})


def judge(ctx: FoldContext, a: np.ndarray, b: np.ndarray) -> tuple[Gain, Gain]:
    """OOF predictions ``a`` against ``b``: the gain on the run's metric, and the gain a block is judged
    by. That is the same, except for a label metric (accuracy, F1): there it is log loss on the
    probabilities, which a few rows' flipped labels do not hide (see the module).

    >>> from compete.scoring.metrics import get_metric
    >>> y = np.array([0, 1] * 50)
    >>> rows = np.arange(100)
    >>> folds = [(rows[rows % 5 != k], rows[rows % 5 == k]) for k in range(5)]
    >>> ctx = FoldContext(None, y, None, folds, "binary", get_metric("accuracy"), 0)
    >>> g, by = judge(ctx, y * 0.8 + 0.1, y * 0.4 + 0.3)  # the same labels, sharper probabilities
    >>> g.gain, by.real
    (0.0, True)
    """
    g = gain(ctx, a, b)
    by = ctx.metric.selection()
    return (g, g) if by is ctx.metric else (g, gain(replace(ctx, metric=by), a, b))


def _importance(result: ModelResult) -> dict[str, float]:
    """Gain importance per feature, summed over the probe's fold models."""
    total: dict[str, float] = {}
    for model in result.models:
        booster = model.model_.booster_
        for name, value in zip(booster.feature_name(), booster.feature_importance("gain"), strict=True):
            total[name] = total.get(name, 0.0) + float(value)
    return total


def sampled(ctx: FoldContext, rows: int | None = None) -> FoldContext:
    """``ctx`` on a fixed random sample of at most ``rows`` (:data:`PROBE_ROWS`) training rows, and as
    many test rows, for the probe: each class keeps its share of the rows (and at least 50 of them, or
    all it has), and each fold is the run's own restricted to the sample, so groups and time order hold
    as in the run. ``ctx`` itself when it is no larger. The recipes a block's verdict keeps are fitted
    on every row in the run; the sample makes each probe cost what a 50,000-row table's does.

    >>> X = pd.DataFrame({"a": np.arange(400.0)}); y = np.array([0, 0, 0, 1] * 100)
    >>> ctx = FoldContext(X, y, X.head(3), [(np.arange(200), np.arange(200, 400))], "binary", None, 0)
    >>> small = sampled(ctx, rows=200)
    >>> len(small.y), float(small.y.mean()), len(small.X_test)
    (200, 0.25, 3)
    >>> tr, va = small.folds[0]  # the fold's own rows: training rows below 200, validation rows from 200
    >>> len(tr) + len(va), bool(small.X.a.iloc[tr].max() < 200 <= small.X.a.iloc[va].min())
    (200, True)
    """
    from compete.seeding import derive_seed

    n, rows = len(ctx.y), PROBE_ROWS if rows is None else rows
    if n <= rows:
        return ctx
    rng = np.random.default_rng(derive_seed(ctx.seed, "search sample"))
    if ctx.task == "regression":
        keep = rng.choice(n, rows, replace=False)
    else:
        parts = []
        for c in np.unique(ctx.y):
            of_class = np.flatnonzero(ctx.y == c)
            take = min(len(of_class), max(round(rows * len(of_class) / n), 50))
            parts.append(rng.choice(of_class, take, replace=False))
        keep = np.concatenate(parts)
    keep = np.sort(keep)
    local = np.full(n, -1)
    local[keep] = np.arange(len(keep))
    folds = [(local[tr][local[tr] >= 0], local[va][local[va] >= 0]) for tr, va in ctx.folds]
    m = len(ctx.X_test)
    test = np.sort(rng.choice(m, rows, replace=False)) if m > rows else np.arange(m)
    return ctx.fresh(X=ctx.X.iloc[keep].reset_index(drop=True), y=ctx.y[keep], folds=folds,
                     X_test=ctx.X_test.iloc[test].reset_index(drop=True))  # fmt: skip


def _probe(ctx: FoldContext, recipes: list[StepSpec], device: str, keep: bool = False,
           on_fold: Any = None) -> ModelResult:  # fmt: skip
    return cross_fit(
        ctx.fresh(features=tuple(recipes), keep_models=keep), PROBE, device=device, on_fold=on_fold
    )


def search_features(
    prep: Prepared, report: Reporter | None = None, budget: Budget | None = None
) -> SearchResult:
    """Search (see the module's docstring), then set the kept recipes on ``prep``'s spec and folds."""
    from compete.models import MODELS

    start = time.perf_counter()
    out = SearchResult()
    full, base_recipes = prep.ctx, list(prep.spec.features)
    ctx = sampled(full)
    out.rows = len(ctx.y)
    if report and ctx is not full:
        report(Note(f"feature search: the probe fits on a sample of {len(ctx.y):,} of the {len(full.y):,} "
                    "training rows"))  # fmt: skip
    until = None if budget is None else budget.clock() + SEARCH_SHARE * budget.left()

    def affordable(k: int, oof: Any) -> None:
        """After the base probe's first fold: stop unless its other folds and one block's probe (1.5 times
        a whole probe, as below) fit the search's share."""
        if k or until is None or budget is None:
            return
        first = time.perf_counter() - start
        need = first * (len(ctx.folds) - 1) + 1.5 * first * len(ctx.folds)
        if until - budget.clock() < need:
            left = max(until - budget.clock(), 0.0)
            raise _TooSlow(
                f"the probe's first fold took {first:.1f} s, so the probe's other folds and one block's need "
                f"about {need:.0f} s, more than the {left:.0f} s left of the search's share"
            )

    try:
        base = _probe(ctx, base_recipes, prep.device, keep=True, on_fold=affordable)
    except _TooSlow as slow:
        out.skipped, out.seconds = str(slow), time.perf_counter() - start
        if report:
            report(Note(f"feature search: skipped: {slow}"))
        assert budget is not None
        budget.record("feature search", out.seconds, "skipped: too slow for the budget",
                      fit_seconds=round(out.seconds, 2), longest=round(out.seconds, 2))  # fmt: skip
        return out
    out.base_cv = out.cv = base.score
    current = base
    errors: tuple[type[BaseException], ...] = (*MODELS.get("lightgbm").fit_errors(), CompeteError, ValueError)
    for block in candidates(full.X, _importance(base), full.X_test, full.keys):
        entry: dict[str, Any] = {
            "block": block.name,
            "recipes": [{"recipe": s.name, **s.params} for s in block.recipes],
            **({"why": block.why} if block.why else {}),
        }
        if until is not None and budget is not None and until - budget.clock() < 1.5 * current.seconds:
            out.tried.append({**entry, "status": "skipped: out of time"})
            continue
        try:
            trial = _probe(ctx, base_recipes + out.kept + list(block.recipes), prep.device)
        except errors as exc:
            out.tried.append({**entry, "status": f"error: {type(exc).__name__}: {exc}"[:300]})
            continue
        g, by = judge(ctx, trial.oof, current.oof)
        verdict = "kept" if by.real and g.gain >= 0 else "dropped"
        judged = {} if by is g else {"logloss": by.as_dict()}
        out.tried.append({**entry, "cv": trial.score, **g.as_dict(), **judged, "seconds": round(trial.seconds, 2),
                          "status": verdict})  # fmt: skip
        if report:
            said = "" if by is g else f", log loss gain {by.gain:+.5f} against noise {by.noise:.5f}"
            report(Note(f"feature search: {block.name}: cv {trial.score:.5f}, gain {g.gain:+.5f} against noise "
                        f"{g.noise:.5f}{said}: {verdict}"))  # fmt: skip
        if verdict == "kept":
            out.kept += list(block.recipes)
            current, out.cv = trial, trial.score
    out.seconds = time.perf_counter() - start
    if out.kept:
        features = tuple(base_recipes + out.kept)
        prep.spec = replace(prep.spec, features=features)
        prep.ctx = full.fresh(features=features)
    if budget is not None:
        budget.record("feature search", out.seconds, f"kept {len(out.kept)} recipes", fit_seconds=round(out.seconds, 2),
                      longest=round(max(current.fold_seconds, default=0.0), 2))  # fmt: skip
    return out


def fragment(kept: list[StepSpec]) -> str:
    """The kept recipes as ``[[features]]`` tables to paste into a competition's spec.

    >>> print(fragment([StepSpec("count_encode", {"columns": ["a"], "use_test": True})]))
    # Kept by compete's feature search: paste into competition.toml to keep them without searching.
    [[features]]
    recipe = "count_encode"
    columns = ["a"]
    use_test = true
    <BLANKLINE>
    """
    lines = [
        "# Kept by compete's feature search: paste into competition.toml to keep them without searching."
    ]
    for step in kept:
        lines += ["[[features]]", f"recipe = {json.dumps(step.name)}"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in step.params.items()]
        lines.append("")
    return "\n".join(lines)
