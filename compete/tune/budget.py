"""Tuning inside ``compete run --time-budget``: turns of an in-memory study over a boosted family."""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np

from compete.cv.foldloop import ModelResult
from compete.data.prepared import Prepared
from compete.progress import Reporter, TurnInfo
from compete.seeding import derive_seed
from compete.spec import ModelSpec
from compete.tune.naming import search_overrides
from compete.tune.objective import Objective, now
from compete.tune.study import counts, progress

__all__ = ["BudgetTuner"]


class BudgetTuner:
    """Tuning turns of one boosted-tree family inside ``run --time-budget`` (:mod:`compete.run.plan`).

    An in-memory study (nothing is stored: the objective is the run's own folds, already prepared)
    over the model's search space, with the spec's ``[tune.<model>]`` narrowing and the learning rate
    fixed at the first-pass fit's, so trials are fast and compared at one rate (the budget's rate
    ladder halves the winner afterwards). The first-pass fit enters as a finished trial with its
    per-fold scores, so median pruning works from the first trials. Each trial is the same
    :func:`~compete.cv.foldloop.cross_fit` as ``compete tune``'s: anything that sees the target is fitted
    inside the folds, on the training part only. Turns continue the same study.
    """

    def __init__(self, prep: Prepared, base: ModelResult) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.prep, self.base = prep, base
        rate = base.params.get("learning_rate")
        self.model = ModelSpec(base.name, dict(base.params), base.label)
        fixed = {"learning_rate": rate} if isinstance(rate, int | float) else {}
        self.overrides = search_overrides(prep.spec, self.model, fixed)
        self.metric = prep.ctx.metric
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(seed=derive_seed(prep.spec.seed, "budget-tune", base.label),
                                                 multivariate=True)  # fmt: skip
        direction: Literal["maximize", "minimize"] = (
            "maximize" if self.metric.greater_is_better else "minimize"
        )
        self.study = optuna.create_study(direction=direction, sampler=sampler,
                                         pruner=optuna.pruners.MedianPruner(n_startup_trials=2))  # fmt: skip
        self.study.add_trial(optuna.trial.create_trial(
            state=optuna.trial.TrialState.COMPLETE, value=base.score, params={}, distributions={},
            intermediate_values=self._fold_steps(base.oof)))  # fmt: skip
        self.best = base

    def _expected(self) -> tuple[type[Exception], ...]:
        """The failures a trial may meet and the turn goes on after (counted as failed trials): the
        model's own fit errors (:meth:`~compete.models.base.Model.fit_errors`) and a fold that could not
        start before the turn's deadline."""
        from compete.cv.foldloop import OutOfTime
        from compete.models import MODELS

        cls: Any = MODELS.get(self.model.name)
        return (*cls.fit_errors(), OutOfTime)

    def _fold_steps(self, oof: np.ndarray) -> dict[int, float]:
        """The OOF score after each fold, as a trial reports it (rows of folds 0..k)."""
        from compete.cv.foldloop import score_oof

        ctx, steps = self.prep.ctx, {}
        seen = np.full_like(oof, np.nan, dtype=float)
        for k, (_, va) in enumerate(ctx.folds):
            seen[va] = oof[va]
            steps[k] = score_oof(ctx, seen)
        return steps

    def turn(
        self, seconds: float, alias: str, report: Reporter | None = None
    ) -> tuple[ModelResult | None, TurnInfo]:
        """Tune for ``seconds``; the best trial of this turn as a ``ModelResult`` labelled ``alias`` if it
        beats every fit so far (else ``None``), and what the turn did."""

        start = now()
        deadline = start + seconds
        before = self.best

        def keep(result: Any) -> None:
            if self.metric.better(result.score, self.best.score):
                self.best = result

        def stop_when_short(study: Any, trial: Any) -> None:
            done = [
                t.duration.total_seconds() for t in study.trials if t.duration and t.state.name == "COMPLETE"
            ]
            typical = float(np.median(done)) if done else self.base.seconds  # the reference has no duration
            if deadline - now() < 0.5 * typical:
                study.stop()  # the next trial would not finish: give the time back to the plan

        model = ModelSpec(self.model.name, self.model.params, alias)
        objective = Objective(
            self.prep, model, self.overrides, deadline, in_fold=True, sliced=True, keep=keep
        )
        callbacks = [stop_when_short, progress(report, start, objective.numbers, label=alias)]
        error = ""
        try:
            self.study.optimize(objective, timeout=seconds, catch=self._expected(), callbacks=callbacks)
        except Exception as exc:  # not a failure a fit may meet: a bug, kept in the run record as such
            error = f"{type(exc).__name__}: {exc}"[:500]
        mine = [t for t in self.study.trials if t.number in objective.numbers]
        info = TurnInfo(**counts(mine), best_cv=self.best.score, seconds=round(now() - start, 2), error=error)
        return (self.best if self.best is not before else None), info
