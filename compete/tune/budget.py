"""Tuning inside ``compete run --time-budget``: turns of an in-memory study over a boosted family."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from compete.compute.cluster import ClusterError
from compete.cv.foldloop import ModelResult, fits_of
from compete.data.prepared import Prepared
from compete.models.space import draw_params
from compete.progress import Reporter, TurnInfo
from compete.seeding import derive_seed
from compete.spec import ModelSpec
from compete.tune.naming import search_overrides
from compete.tune.objective import Objective, now
from compete.tune.study import counts, progress

if TYPE_CHECKING:
    from compete.compute.cluster import ClusterFits

__all__ = ["BudgetTuner", "LIBRARY_TRIALS", "PICK_POOL"]

LIBRARY_TRIALS = 3  # a turn's next-best trials that join the ensemble's library beside its winner
PICK_POOL = 32  # a turn's best completed trials whose OOF predictions are kept for the cross-fitted picks


class BudgetTuner:
    """Tuning turns of one boosted-tree family inside ``run --time-budget`` (:mod:`compete.run.plan`).

    An in-memory study (nothing is stored: the objective is the run's own folds, already prepared)
    over the model's search space, with the spec's ``[tune.<model>]`` narrowing and the learning rate
    fixed at the first-pass fit's, so trials are fast and compared at one rate (the budget's rate
    ladder halves the winner afterwards). The first-pass fit enters as a finished trial with its
    per-fold scores, so median pruning works from the first trials. Each trial is the same
    :func:`~compete.cv.foldloop.cross_fit` as ``compete tune``'s: anything that sees the target is fitted
    inside the folds, on the training part only. Turns continue the same study.

    The fits a turn hands on are scored honestly. The best of hundreds of trials is also the luckiest
    on the run's folds, so its own OOF predictions overstate it; the winner and the next-best trials
    hand on :func:`~compete.cv.pick.picked_oof` predictions instead: each fold's rows are predicted by
    the trial of that rank on the *other* folds (among the turn's best :data:`PICK_POOL` trials and the
    fit the turn started from), while the test predictions are the rank's trial's on every fold. The
    CV the plan compares and the ensemble weighs is then what choosing by CV delivers, not the luck
    of the choice.
    """

    def __init__(self, prep: Prepared, base: ModelResult) -> None:
        import optuna

        # a trial that fails (out of time, a library's error) is counted in the turn's record, not printed
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        self.prep, self.base = prep, base
        self.model = ModelSpec(base.name, dict(base.params), base.label)
        self.overrides = self._overrides(prep, base)
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
        self.fits: dict[str, Any] = {}  # the last turn's completed trials' fits (compete.cv.foldloop.fits_of)
        self.library: list[ModelResult] = []  # the last turn's next-best trials, for the ensemble (see turn)

    def _overrides(self, prep: Prepared, base: ModelResult) -> dict[str, Any]:
        """The turn's search space: the spec's ``[tune.<model>]`` over the family's narrower space under a
        budget (:attr:`~compete.models.base.Model.budget_space`) and the first-pass fit's other budget
        settings (:attr:`~compete.models.base.Model.fast_params`: CatBoost's one-hot encoding of small
        categoricals, which keeps its trials fast); the first-pass learning rate over all."""
        from compete.models import MODELS

        cls = MODELS.get(base.name)
        kept = {k: v for k, v in base.params.items() if k in cls.fast_params and isinstance(v, int | float)}
        rate = {"learning_rate": kept.pop("learning_rate")} if "learning_rate" in kept else {}
        return search_overrides(prep.spec, self.model, rate, defaults={**cls.budget_space, **kept})

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

    def turn(self, seconds: float, alias: str, report: Reporter | None = None,
             pool: ClusterFits | None = None) -> tuple[ModelResult | None, TurnInfo]:  # fmt: skip
        """Tune for ``seconds``; the best trial of this turn as a ``ModelResult`` labelled ``alias`` if it
        beats every fit so far (else ``None``), and what the turn did. On a cluster (``pool``) a trial
        runs on every worker at once (:meth:`_trials_on`)."""
        start = now()
        deadline = start + seconds
        before = self.best
        completed: list[ModelResult] = []

        def keep(result: Any) -> None:
            # every trial's fit-seconds are counted; only the best few keep their test predictions and
            # models, the best PICK_POOL their OOF predictions (for the cross-fitted picks)
            completed.append(result)
            completed.sort(key=lambda r: -self.metric.sign * r.score)
            for rank, r in enumerate(completed):
                if rank > LIBRARY_TRIALS and (r.models or r.test.size):
                    r.test, r.models = np.empty(0), []
                if rank >= PICK_POOL and r.oof.size:
                    r.oof = np.empty(0)
            if self.metric.better(result.score, self.best.score):
                self.best = result

        def stop_when_short(study: Any, trial: Any) -> None:
            if deadline - now() < 0.5 * self._typical():
                study.stop()  # the next trial would not finish: give the time back to the plan

        model = ModelSpec(self.model.name, self.model.params, alias)
        numbers: set[int] = set()  # the trials of this turn
        error = ""
        try:
            if pool is None:
                objective = Objective(
                    self.prep, model, self.overrides, deadline, in_fold=True, sliced=True, keep=keep
                )
                numbers = objective.numbers
                callbacks = [stop_when_short, progress(report, start, numbers, label=alias)]
                self.study.optimize(objective, timeout=seconds, catch=self._expected(), callbacks=callbacks)
            else:
                self._trials_on(
                    pool, model, deadline, keep, numbers, progress(report, start, numbers, label=alias)
                )
        except ClusterError:
            raise  # the cluster is gone: the run stops (its error says so)
        except Exception as exc:  # not a failure a fit may meet: a bug, kept in the run record as such
            error = f"{type(exc).__name__}: {exc}"[:500]
        mine = [t for t in self.study.trials if t.number in numbers]
        self.fits = fits_of(completed)
        # the turn's choice is among the fit it started from and its trials, best first
        ranked = sorted(
            [r for r in (before, *completed) if r.oof.size], key=lambda r: -self.metric.sign * r.score
        )
        # the winner (rank 0, when a trial beat the fit the turn started from) and the library's ranks
        ranks = [0] if self.best is not before else []
        ranks += [i for i, r in enumerate(ranked) if r is not self.best and r is not before][:LIBRARY_TRIALS]
        picked = self._picked(ranked, ranks, completed, alias)
        winner = picked.pop(0) if self.best is not before else None
        self.library = picked
        info = TurnInfo(**counts(mine), best_cv=self.best.score, seconds=round(now() - start, 2), error=error,
                        picked_cv=None if winner is None else winner.score)  # fmt: skip
        return winner, info

    def _picked(self, ranked: list[ModelResult], ranks: list[int], completed: list[ModelResult],
                alias: str) -> list[ModelResult]:  # fmt: skip
        """The fits of ``ranks`` in ``ranked`` (the turn's choice: the fit it started from and its trials,
        best first), each with the cross-fitted OOF predictions of choosing that rank
        (:func:`~compete.cv.pick.picked_oofs`) and their scores; test predictions, models and parameters
        stay the fit's own. Rank 0 is the winner, labelled ``alias``; the others are the ensemble's
        library (a trial a little weaker than the best often blends well with it), labelled
        ``<alias>.t<n>``, ``n`` counting the turn's trials alone."""
        from compete.cv.foldloop import score_oof
        from compete.cv.noise import fold_scores
        from compete.cv.pick import picked_oofs

        ctx, out = self.prep.ctx, []
        for rank, oof in zip(ranks, picked_oofs(ctx, [r.oof for r in ranked], ranks), strict=True):
            fit = ranked[rank]
            label = (
                alias if rank == 0 else f"{alias}.t{next(i for i, c in enumerate(completed, 1) if c is fit)}"
            )
            out.append(replace(fit, label=label, oof=oof, score=score_oof(ctx, oof),
                               fold_scores=fold_scores(ctx, oof).tolist()))  # fmt: skip
        return out

    def _typical(self) -> float:
        """A trial's usual seconds: the median of the completed ones (the first-pass fit's before any)."""
        done = [
            t.duration.total_seconds() for t in self.study.trials if t.duration and t.state.name == "COMPLETE"
        ]
        return float(np.median(done)) if done else self.base.seconds  # the reference has no duration

    def _trials_on(self, pool: ClusterFits, model: ModelSpec, deadline: float, keep: Any, numbers: set[int],
                   progressed: Any) -> None:  # fmt: skip
        """Trials as cluster tasks, one per worker at a time, asked of and told to the study as they
        start and end (each draws from every trial told so far). A trial runs its folds in turn on one
        worker, stopping at ``deadline``; it is not pruned (the study is here, the fits are there)."""
        import optuna

        running: dict[Any, Any] = {}
        while True:
            while len(running) < pool.slots and deadline - now() >= 0.5 * self._typical():
                trial = self.study.ask()
                numbers.add(trial.number)
                params = draw_params(trial, self.model, self.prep.spec.task, self.overrides)
                trial.set_user_attr("params", params)
                running[pool.submit_trial(ModelSpec(model.name, params, model.alias), deadline)] = trial
            if not running:
                return
            future = pool.first_done(list(running))
            trial = running.pop(future)
            try:
                with pool.guard():
                    result = future.result()
            except self._expected() as exc:
                trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:500])
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                self.study.tell(trial, result.score)
                keep(result)
            progressed(self.study, self.study.trials[trial.number])
