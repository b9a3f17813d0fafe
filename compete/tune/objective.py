"""One trial of a study: draw parameters, cross-fit on the prepared folds, report as it goes.

After every fold the trial reports the OOF score so far, so a median pruner stops hopeless trials;
inside a fold the models whose library has a round hook (the adapter's ``round_callback``: LightGBM,
XGBoost and CatBoost on the CPU) also report their validation loss every few rounds. Anything that
sees the target is fitted inside the folds, on the training part only: the objective is
:func:`compete.cv.foldloop.cross_fit`, the fold loop of ``compete run``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from compete.data.prepared import Prepared
from compete.models.space import draw_params
from compete.spec import ModelSpec

__all__ = ["Objective", "RoundReporter", "clock", "now", "STEP", "IN_FOLD_PROGRESS"]

# The clock of --timeout and of the budget's turns; a test may replace it to step time by hand
# (everything in tune reads it through :func:`now`).
clock = time.monotonic


def now() -> float:
    """:data:`clock`'s time, read when called (so a replaced clock is seen everywhere)."""
    return clock()


STEP = 1_000_000  # in-fold reports of fold k use steps (k + 1) * STEP + mark; fold reports use step k
# In-fold reports come at equal *learning progress* (rounds x learning rate), not at equal rounds: at
# round 50 a trial learning at 0.01 is far behind one at 0.1 and would always be pruned, so a study
# compared at equal rounds drifts to fast, coarse learners (on house-prices 1,210 of 1,277 trials
# were pruned at round 50 and the best rate was 0.12). Mark m is reached at rounds x rate >= m x 5:
# round 50 at rate 0.1, round 500 at 0.01.
IN_FOLD_PROGRESS = 5.0


class RoundReporter:
    """Reports a library's validation loss every few rounds; stops the fit when the pruner says so.

    Its :meth:`check` is what the model adapter's ``round_callback`` calls after each round. It stops
    training (rather than raising inside the library, as optuna-integration's callbacks do) so the
    adapters' GPU fallback never sees the pruning; the fold hook then raises ``TrialPruned``.
    """

    def __init__(self, trial: Any, fold: int, sign: float, prune: bool, deadline: float | None,
                 learning_rate: float) -> None:  # fmt: skip
        self.trial, self.fold, self.sign = trial, fold, sign
        self.prune, self.deadline, self.learning_rate = prune, deadline, learning_rate
        self.pruned_at: int | None = None
        self.out_of_time: int | None = None
        self.mark = 0  # the last learning-progress mark reported

    def check(self, rnd: int, loss: float) -> bool:
        if self.deadline is not None and clock() > self.deadline:
            self.out_of_time = rnd  # --timeout: stop this fit now, the trial ends at the fold hook
            return True
        mark = int(rnd * self.learning_rate / IN_FOLD_PROGRESS)
        if not self.prune or mark <= self.mark or not math.isfinite(loss):
            return False
        self.mark = mark
        self.trial.report(self.sign * loss, (self.fold + 1) * STEP + mark)
        if self.trial.should_prune():
            self.pruned_at = rnd
        return self.pruned_at is not None


def _model_class(name: str) -> Any:
    from compete.models import MODELS

    return MODELS.get(name)


class Objective:
    """One trial: draw parameters, cross-fit on the prepared folds, report after every fold."""

    def __init__(self, prep: Prepared, model: ModelSpec, overrides: dict[str, Any], deadline: float | None,
                 in_fold: bool, sliced: bool = False, keep: Callable[[Any], None] | None = None) -> None:  # fmt: skip
        """``sliced``: each fold's fit also stops boosting at ``deadline`` (time-sliced, as under
        ``--time-budget``); ``keep(result)`` gets every completed trial's :class:`ModelResult`."""
        self.prep, self.model, self.overrides, self.deadline = prep, model, overrides, deadline
        self.sliced, self.keep = sliced, keep
        self.cls = _model_class(model.name)
        hookable = self.cls.round_callback(prep.spec.task, lambda rnd, loss: False) is not None
        self.hooked = prep.device != "gpu" and hookable and (in_fold or deadline is not None)
        self.in_fold = in_fold
        self.sign = 1.0 if prep.ctx.metric.greater_is_better else -1.0  # losses: lower is better
        self.numbers: set[int] = set()  # the trials this process ran (other workers share the study)

    def __call__(self, trial: Any) -> float:
        from compete.cv.foldloop import cross_fit, score_oof

        self.numbers.add(trial.number)
        params = draw_params(trial, self.model, self.prep.spec.task, self.overrides)
        trial.set_user_attr("params", params)
        hooks: dict[int, RoundReporter] = {}

        def fold_params(k: int) -> dict[str, Any]:
            if not self.hooked:
                return {}
            default = self.cls.default_params(self.prep.spec.task).get("learning_rate", 0.1)
            rate = float(params.get("learning_rate", default))
            hooks[k] = RoundReporter(trial, k, -self.sign, self.in_fold, self.deadline, rate)
            return self.cls.round_callback(self.prep.spec.task, hooks[k].check) or {}

        def on_fold(k: int, oof: np.ndarray) -> None:
            self._after_fold(trial, k, score_oof(self.prep.ctx, oof), hooks.get(k))

        spec = ModelSpec(self.model.name, params, self.model.alias)
        try:
            result = cross_fit(self.prep.ctx, spec, device=self.prep.device, fold_params=fold_params,
                               on_fold=on_fold, deadline=self.deadline if self.sliced else None)  # fmt: skip
        except Exception as exc:
            import optuna

            if not isinstance(exc, optuna.TrialPruned):
                trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:500])
            raise
        if self.keep:
            self.keep(result)
        return result.score

    def _after_fold(self, trial: Any, k: int, score: float, hook: RoundReporter | None) -> None:
        import optuna

        if hook is not None and hook.out_of_time is not None:
            trial.set_user_attr("pruned", f"out of time in fold {k}, round {hook.out_of_time}")
            raise optuna.TrialPruned(f"--timeout reached in fold {k}")
        if hook is not None and hook.pruned_at is not None:
            trial.set_user_attr("pruned", f"fold {k}, round {hook.pruned_at}")
            raise optuna.TrialPruned(f"pruned inside fold {k} at round {hook.pruned_at}")
        trial.report(score, k)
        if k + 1 < len(self.prep.ctx.folds) and trial.should_prune():
            trial.set_user_attr("pruned", f"after fold {k}")
            raise optuna.TrialPruned(f"pruned after fold {k}")
        if self.deadline is not None and clock() > self.deadline and k + 1 < len(self.prep.ctx.folds):
            trial.set_user_attr("pruned", f"out of time after fold {k}")
            raise optuna.TrialPruned(f"--timeout reached after fold {k}")
