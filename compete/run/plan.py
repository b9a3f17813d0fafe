"""``--time-budget``: a run that plans its time and finishes within the budget.

The plan, in order:

1. **First pass** — each model of the spec with its defaults (boosted trees at learning rate 0.1
   unless the spec sets one). Model *i* of *n* may use an equal
   share of 60% of the time left (time a fast model leaves unused flows to the next ones); each fold's
   fit stops boosting when its share is spent. The first model always finishes, so there is always a
   submission; a later model that cannot finish its folds is dropped.
2. **Second pass** — first, models of another kind for the ensemble that the spec does not name (a
   linear model on Yeo-Johnson-transformed numbers, clipped at 3 standard deviations, with cubic
   spline bases over 8 knots beside each, before the first tuning turn; after it, the other starting
   configurations of the spec's libraries (``Model.portfolio``: LightGBM's randomised-split and
   large-leaf ones), extra trees and a random forest: on some tables what the blend lacks), each
   once while the time left covers twice the fastest first-pass fit, with a fifth of the time left (a
   forest grows its trees until that is spent, and keeps every fold); then the two strongest
   boosted-tree families (judged by CV score), strongest first:

   - *tuning turn*: an Optuna study (TPE, median pruning after each fold and inside the folds) over
     the family's search space (narrowed where its top is slow: ``Model.budget_space``) at its
     first-pass learning rate and budget settings (``Model.fast_params``), for half the time left,
     when that covers at least :data:`TUNE_MIN_FITS` first-pass fits. The best trial joins the pool
     with the cross-fitted CV of choosing it (each fold's rows predicted by the trial best on the other
     folds: the best of hundreds is also the luckiest on these folds), and the family's ladder goes on
     from it if that CV beats the family's best fit at that rate
     (:class:`compete.tune.budget.BudgetTuner`; the trials are fitted on the same folds, so anything that
     sees the target is still fitted inside them, on the training part only);
   - *rate ladder*: the family's best fit at the fast rate is refitted at half its learning rate,
     while the time left covers about twice its last fit and the last halving paid (a slower rate is
     the surest gain a GBDT has left);
   - *seed bags*: its best fit is refitted with a new seed, while the time left covers that.

   The strongest family whose fits are fast enough gets the first tuning turn (on adult CatBoost is
   strongest, but 6 of its first-pass fits take longer than a 120 s budget has left; XGBoost is tuned);
   then the families take turns on the ladder and
   the seeds; when neither fits, the families take further tuning turns in turn (each again for half
   the time left), and a turn that finds a better fit reopens its family's ladder. A family whose
   turn found nothing better is not tuned again. The ensemble weighs every fit by its OOF score.
3. **Ensemble, refit and writing** — hill climbing over all fits, then the chosen fits refitted on every
   row (:mod:`compete.run.refit`, from a fifth of the time left after the first pass, kept back from
   the second pass: :attr:`Budget.held`) and the run record, from a reserve kept aside from the start
   (8% of the budget, at least 3 s).

Every step's wall time and outcome go into the run record (``scores.json`` → ``budget``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

__all__ = [
    "DIVERSITY_SHARE",
    "FIRST_PASS_SHARE",
    "Budget",
    "BudgetSummary",
    "SecondPass",
    "TuneTurn",
    "critical_path",
    "fast_models",
    "fast_params",
    "slower",
    "seed_bag_plan",
]

FIRST_PASS_SHARE = 0.6
RESERVE_SHARE, RESERVE_MIN = 0.08, 3.0
MAX_SEED_BAGS = 4
MAX_HALVINGS = 2  # learning rate 0.1 -> 0.05 -> 0.025 at most
HALVING_COST = 2.3  # a fit at half the rate takes about twice the rounds; keep a margin
SEED_COST = 1.3  # a refit with a new seed takes about as long as the fit it repeats
TUNE_SHARE = 0.5  # a tuning turn may use half the time left
DIVERSITY_COST = 2.0  # a diversity fit is offered while the time left covers twice the fastest first-pass fit
DIVERSITY_SHARE = 0.2  # ... and may use this share of the time left (a forest grows trees until it is spent)
TUNE_MIN_FITS = 6  # ... when that half covers this many first-pass fits of the family (else too few trials)


class BudgetSummary(TypedDict):
    """``scores.json`` → ``budget``: the budget, the seconds spent, and every step with its seconds and
    outcome (``{"step", "seconds", "status", ...}``: a fit's ``cv``; a tuning turn's ``label``, trials
    by outcome and ``best_cv``; a step's fits: ``fit_seconds``, the ``longest`` fold fit, the fit it
    starts from (``after``) and, on a cluster, each worker's seconds (``workers``)).

    ``fit_seconds`` is the total of every fit; ``critical_path`` the longest chain of fits that must
    run one after another (:func:`critical_path`): their ratio bounds the speed-up a cluster with
    enough cores can give the run's fits."""

    seconds: float
    spent: float
    steps: list[dict[str, Any]]
    fit_seconds: float
    critical_path: float


@dataclass
class Budget:
    """The clock of one budgeted run.

    Examples
    --------
    ``clock`` is :func:`time.monotonic` unless a test injects another; ``start`` defaults to its now.

    >>> now = [1000.0]
    >>> b = Budget(100.0, clock=lambda: now[0])
    >>> b.left()  # 100 s less the reserve (8%)
    92.0
    >>> now[0] += 50.0
    >>> b.left(), round(b.first_pass_deadline(3, first=False), 2)  # a later model's share of 60% of 42 s
    (42.0, 1058.4)
    """

    seconds: float
    start: float | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    clock: Callable[[], float] = time.monotonic
    held: float = 0.0  # seconds kept back from the fits for a later step (the full-data refit)

    def __post_init__(self) -> None:
        if self.start is None:
            self.start = self.clock()

    @property
    def end(self) -> float:
        """When model fitting must stop (the reserve for ensemble and writing is kept aside)."""
        reserve = max(self.seconds * RESERVE_SHARE, RESERVE_MIN) + self.held
        return self._start + max(self.seconds - reserve, 0.0)

    @property
    def _start(self) -> float:
        assert self.start is not None  # set in __post_init__
        return self.start

    def left(self) -> float:
        return self.end - self.clock()

    def first_pass_deadline(self, models_left: int, first: bool) -> float:
        """The deadline of the next first-pass model."""
        if first:
            return self.end - (models_left - 1) * self.left() * FIRST_PASS_SHARE / models_left
        return self.clock() + self.left() * FIRST_PASS_SHARE / models_left

    def record(self, step: str, seconds: float, status: str, **info: Any) -> None:
        self.steps.append({"step": step, "seconds": round(seconds, 2), "status": status, **info})

    def summary(self) -> BudgetSummary:
        return BudgetSummary(seconds=self.seconds, spent=round(self.clock() - self._start, 2), steps=self.steps,
                             fit_seconds=round(sum(s.get("fit_seconds", 0.0) for s in self.steps), 2),
                             critical_path=round(critical_path(self.steps), 2))  # fmt: skip


def critical_path(steps: list[dict[str, Any]]) -> float:
    """The longest chain of fits that must run one after another: a step's longest fit (its folds,
    seeds and trials are independent of each other), plus the chain of the fit it starts from
    (``after``: a halving starts from the fit it halves, a tuning turn from the family's first fit).

    >>> critical_path([{"step": "xgboost", "longest": 2.0}, {"step": "xgboost@lr0.05", "longest": 4.0,
    ...                "after": "xgboost"}, {"step": "catboost", "longest": 5.0}])
    6.0
    """
    by_label = {s.get("label", s["step"]): s for s in steps if s.get("status") != "dropped: out of time"}

    def chain(step: dict[str, Any], depth: int = 0) -> float:
        parent = by_label.get(step.get("after", ""))
        below = chain(parent, depth + 1) if parent is not None and depth < len(steps) else 0.0
        return float(step.get("longest", 0.0)) + below

    return max((chain(s) for s in steps), default=0.0)


def fast_params(name: str) -> dict[str, Any]:
    """Model ``name``'s first-pass settings under a budget (its adapter's ``fast_params``): the boosted
    trees learn at 0.1 unless the spec sets a rate, as a time-sliced fit at the unbudgeted 0.03 stops
    far short of its best round when seconds are scarce. Empty for a model that is no boosted family."""
    from compete.models import MODELS

    return dict(getattr(MODELS.get(name), "fast_params", {}))


def fast_models(models: list[Any]) -> list[Any]:
    """The spec's models with their :func:`fast_params` under their own parameters."""
    return [replace(m, params={**fast_params(m.name), **m.params}) for m in models]


def seed_bag_plan(results: list[Any], greater_is_better: bool) -> list[Any]:
    """The best fit of each of the two strongest boosted-tree families, strongest first."""
    sign = 1.0 if greater_is_better else -1.0
    best: dict[str, Any] = {}
    for r in sorted(results, key=lambda r: -sign * r.score):
        if fast_params(r.name):
            best.setdefault(r.name, r)
    return list(best.values())[:2]


def slower(result: Any) -> Any:
    """``result``'s model at half its learning rate, as a :class:`~compete.spec.ModelSpec`; ``None``
    for a model without a learning rate among its parameters (only the boosted trees get one here)."""
    from compete.spec import ModelSpec

    rate = result.params.get("learning_rate")
    if not fast_params(result.name) or not isinstance(rate, int | float):
        return None
    base = result.label.split("@")[0]
    return ModelSpec(result.name, {**result.params, "learning_rate": rate / 2}, f"{base}@lr{rate / 2:g}")


@dataclass(frozen=True)
class TuneTurn:
    """A second-pass move: tune the family of ``base`` (its first-pass fit) for ``seconds``; the fit
    it yields is labelled ``alias``."""

    base: Any
    seconds: float
    alias: str


@dataclass
class _Family:
    first: Any  # the family's first-pass fit (what tuning starts from, at its rate)
    best: Any  # the family's best fit so far, at any rate (what seed bags refit)
    last: Any  # its last fit on the rate ladder (what the next halving halves)
    fast: Any  # its best fit at the first-pass rate (the first one, or a tuned one)
    halvings: int = 0
    halving: bool = True  # a further halving may still fit and pay
    seeds: int = 0
    tunes: int = 0
    tuning: bool = True  # a further tuning turn may still pay


class SecondPass:
    """The second pass's plan, one move at a time (see the module's docstring).

    ``next(left)`` gives the next move that the ``left`` seconds cover — a fit (a
    :class:`~compete.spec.ModelSpec`) or a :class:`TuneTurn` — or ``None`` when none does;
    ``done(fit)`` reports its result (``None`` if it was dropped or the turn found nothing better).

    Examples
    --------
    >>> from compete.cv.foldloop import ModelResult
    >>> fit = ModelResult("lightgbm", "lightgbm", None, None, [], 0.9, [], [], 10.0, {"learning_rate": 0.1})
    >>> plan = SecondPass([fit], greater_is_better=True)
    >>> turn = plan.next(left=200.0)
    >>> turn.alias, turn.seconds
    ('lightgbm#tuned1', 100.0)
    >>> plan.done(None)  # the turn found nothing better: the ladder goes on from the first-pass fit
    False
    >>> plan.next(left=30.0).label, plan.next(left=5.0)
    ('lightgbm@lr0.05', None)
    """

    def __init__(self, results: list[Any], greater_is_better: bool, parallel: int = 1, trials: int = 1,
                 diversity: tuple[Any, ...] = (), late: tuple[Any, ...] = ()) -> None:  # fmt: skip
        self.sign = 1.0 if greater_is_better else -1.0
        # models of another kind for the ensemble, each fitted once when the time left covers twice the
        # fastest first-pass fit, with a share of it (DIVERSITY_SHARE): ``diversity`` before the first
        # tuning turn (a linear model: rarely slower than a boosted one at the fast rate), ``late`` after
        # it (the libraries' other configurations and the forests: they should not take the time of the
        # strongest family's turn)
        self.diversity, self.late = list(diversity), list(late)
        self.share = 1.0  # of the time left, the last move may use
        self.finish = False  # the last move keeps every fold, however short (a forest: its first trees)
        self.fastest = min((r.seconds for r in results), default=0.0)
        self.families = [_Family(r, r, r, r) for r in seed_bag_plan(results, greater_is_better)]
        self.parallel, self.trials = parallel, trials
        self.turn = 0
        self.pending: tuple[_Family, str] | None = None
        self.after = ""  # the label of the fit the last move starts from (for the critical path)
        self.opened = False  # the first tuning turn was offered

    def next(self, left: float) -> Any:
        self.share, self.finish = 1.0, False
        if (spec := self._other_kind(self.diversity, left)) is not None:
            return spec
        if not self.opened:  # the first tuning turn: the strongest family whose fits are fast enough
            self.opened = True
            for family in self.families:
                if (turn := self._tune(family, left)) is not None:
                    return turn
        if (spec := self._other_kind(self.late, left)) is not None:
            self.finish = True  # a forest stops growing at its deadline: it is never dropped, only smaller
            return spec
        for step in (self._step, self._tune):
            n = len(self.families)
            for i in range(n):
                family = self.families[(self.turn + i) % n]
                move = step(family, left)
                if move is not None:
                    self.turn = (self.turn + i + 1) % n
                    return move
        return None

    def _other_kind(self, specs: list[Any], left: float) -> Any:
        """The next model of another kind in ``specs`` that the time left covers, with its share of it."""
        while specs:
            spec = specs.pop(0)
            if left * self.parallel >= DIVERSITY_COST * self.fastest:
                self.pending, self.after, self.share = None, "", DIVERSITY_SHARE
                return spec
        return None

    def _tune(self, family: _Family, left: float) -> TuneTurn | None:
        from compete.models import MODELS

        seconds = TUNE_SHARE * left
        if (
            not family.tuning
            or not MODELS.get(family.first.name).tunable()
            or seconds * self.trials < TUNE_MIN_FITS * family.first.seconds
        ):
            return None
        family.tunes += 1
        self.pending, self.after = (family, "tune"), family.first.label
        return TuneTurn(family.first, seconds, f"{family.first.label}#tuned{family.tunes}")

    def _step(self, family: _Family, left: float) -> Any:
        if family.halving:
            spec = slower(family.last) if family.halvings < MAX_HALVINGS else None
            if spec is not None and left * self.parallel >= HALVING_COST * family.last.seconds:
                self.pending, self.after = (family, "halve"), family.last.label
                return spec
            family.halving = False  # the time left only shrinks: it will not fit later either
        return self._seed(family, left)

    def _seed(self, family: _Family, left: float) -> Any:
        from compete.spec import ModelSpec

        best = family.best
        if family.seeds < MAX_SEED_BAGS and left * self.parallel >= SEED_COST * best.seconds:
            family.seeds += 1
            self.pending, self.after = (family, "seed"), best.label
            return ModelSpec(best.name, best.params, f"{best.label}~seed{family.seeds}")
        return None

    def more_seeds(self, left: float, n: int) -> list[Any]:
        """Up to ``n`` further seed bags of the family whose seed bag was the last move, to fit beside
        it (a cluster with more workers than folds): each must fit in what ``left`` covers after the
        ones before it."""
        if self.pending is None or self.pending[1] != "seed":
            return []
        family, more = self.pending[0], []
        for _ in range(max(0, n)):
            left -= SEED_COST * family.best.seconds / self.parallel
            if (spec := self._seed(family, left)) is None:
                break
            more.append(spec)
        return more

    def _better(self, fit: Any, than: Any) -> bool:
        return fit is not None and self.sign * fit.score > self.sign * than.score

    def done(self, fit: Any) -> bool:
        """Report the last move's fit; whether it moved its family on (a better fit to build on)."""
        if self.pending is None:
            return fit is not None
        family, kind = self.pending
        self.pending = None
        if kind == "seed":
            return fit is not None
        if kind == "tune":
            if not self._better(fit, family.fast):
                family.tuning = False
                return False
            family.fast = family.last = fit  # a better fit at the fast rate: its ladder starts over
            family.halvings, family.halving = 0, True
        else:  # a halving pays when it beats the fit it halved
            family.halvings += 1
            if not self._better(fit, family.last):
                family.halving = False
                return False
            family.last = fit
        if self._better(fit, family.best):
            family.best = fit
        return True
