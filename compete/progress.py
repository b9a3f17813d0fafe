"""Progress events of a run or a study, and the guard that keeps a failing display from ending the run.

The library reports what it does through one callback, ``report(event)``, with one of the small
frozen dataclasses below; the CLI draws them (:mod:`compete.commands.output`), a notebook may print
them, tests may collect them. :class:`Events` records every event for ``run.log`` (as
``{"event": kind, **fields}``, the shape run logs have always had) and forwards it to that callback.
A callback that raises is a display problem, never the run's: the error is logged (``run.log`` and
``scores.json`` → ``display_errors``) and the run goes on, so its work is kept and its submission
written.

A run sends, in order: :class:`StepStarted` and :class:`StepDone` around each step of loading
(reading each file, typing, the typed-data cache), :class:`Note` (any time), :class:`DriftChecked`,
:class:`RunStarted`; per fit :class:`ModelStarted`, a :class:`FoldDone` per fold and :class:`ModelDone`; per
tuning turn of
``--time-budget`` :class:`TuneStarted`, a :class:`TrialDone` per trial and :class:`TuneDone`;
:class:`RunFinished` last. ``compete tune`` sends :class:`StudyOpened`, then :class:`TrialDone`s.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, TypedDict

__all__ = ["Event", "Note", "StepStarted", "StepDone", "DriftChecked", "RunStarted", "ModelStarted", "FoldDone", "ModelDone", "TuneStarted",
           "TrialDone", "TuneDone", "TurnInfo", "RunFinished", "StudyOpened", "Events", "Reporter", "DisplayErrors"]  # fmt: skip

MAX_ERRORS = 20  # a display that fails on every event is logged this many times, then counted


@dataclass(frozen=True)
class Event:
    """One thing a run or a study did; ``kind`` names it in ``run.log``."""

    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, **asdict(self)}


@dataclass(frozen=True)
class Note(Event):
    """Something the user should read (a warning, a note from loading, a dropped fit)."""

    kind: ClassVar[str] = "note"
    text: str


@dataclass(frozen=True)
class StepStarted(Event):
    """A step before the models begins: ``step`` is ``read``, ``type`` or ``cache``; ``detail`` says
    on what (``train.csv (180 MB)``)."""

    kind: ClassVar[str] = "step_start"
    step: str
    detail: str


@dataclass(frozen=True)
class StepDone(Event):
    """A step before the models ended, with what it did (``1,000,000 rows``) and how long it took."""

    kind: ClassVar[str] = "step_done"
    step: str
    detail: str
    seconds: float


@dataclass(frozen=True)
class DriftChecked(Event):
    """The quick adversarial check of train against test (``fitted`` False: read back from its cache)."""

    kind: ClassVar[str] = "drift"
    auc: float
    fitted: bool
    seconds: float


@dataclass(frozen=True)
class RunStarted(Event):
    """The data are loaded and typed and the folds made: fitting begins."""

    kind: ClassVar[str] = "start"
    competition: str
    rows: int
    test_rows: int
    features: int
    folds: int
    device: str
    models: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModelStarted(Event):
    """A fit over every fold begins (a first-pass model, a halving, a seed bag)."""

    kind: ClassVar[str] = "model_start"
    label: str
    folds: int


@dataclass(frozen=True)
class FoldDone(Event):
    """One fold of a fit: its validation score and the device it trained on."""

    kind: ClassVar[str] = "fold_done"
    label: str
    fold: int
    folds: int
    score: float
    seconds: float
    device: str


@dataclass(frozen=True)
class ModelDone(Event):
    """A fit is done: its OOF score over every fold (also sent for the fit a tuning turn yields)."""

    kind: ClassVar[str] = "model_done"
    label: str
    score: float
    std: float
    devices: list[str]
    seconds: float


@dataclass(frozen=True)
class TuneStarted(Event):
    """A tuning turn of ``--time-budget`` begins: the family of ``base``, its fit to be ``label``."""

    kind: ClassVar[str] = "tune_start"
    label: str
    base: str
    seconds: float


@dataclass(frozen=True)
class TrialDone(Event):
    """A trial of a study ended (``state``: complete, pruned, fail); ``label`` is the budget turn's."""

    kind: ClassVar[str] = "trial_done"
    number: int
    state: str
    value: float | None
    best: float | None
    best_number: int | None
    done: int
    elapsed: float
    note: str = ""
    label: str = ""


@dataclass(frozen=True)
class TurnInfo:
    """What one tuning turn did: its trials by outcome, the best CV so far, its seconds, any error
    that is not a fit's own (a bug: the turn stopped and the run went on), and when a trial of the turn
    beat the fits so far, the CV of that choice cross-fitted (:func:`compete.cv.pick.picked_oof`: what
    choosing by CV delivers, without the luck of the choice)."""

    trials: int
    completed: int
    pruned: int
    failed: int
    best_cv: float
    seconds: float
    error: str = ""
    picked_cv: float | None = None

    def as_step(self) -> dict[str, Any]:
        """The turn as the budget's step records it in ``scores.json`` (beside step, seconds, status)."""
        step = {k: v for k, v in asdict(self).items() if k != "seconds"}
        return {
            k: v
            for k, v in step.items()
            if (k != "error" or self.error) and (k != "picked_cv" or v is not None)
        }


@dataclass(frozen=True)
class TuneDone(Event):
    """A tuning turn ended (``status``: done, no better fit, error) with what it did."""

    kind: ClassVar[str] = "tune_done"
    label: str
    status: str
    turn: TurnInfo


@dataclass(frozen=True)
class RunFinished(Event):
    """The submission's predictions are chosen (``label``: a model or ``ensemble:<method>``)."""

    kind: ClassVar[str] = "final"
    label: str
    score: float


@dataclass(frozen=True)
class StudyOpened(Event):
    """``compete tune`` opened (or created) its study."""

    kind: ClassVar[str] = "study"
    study: str
    storage: str
    direction: str
    metric: str
    existing: int
    trials: int | None
    timeout: float | None
    rows: int
    folds: int
    device: str
    data: str


Reporter = Callable[[Event], None]


class DisplayError(TypedDict):
    during: str
    error: str
    at: str


class DisplayErrors(TypedDict):
    count: int
    first: list[DisplayError]


class Events:
    """A run's event log, forwarding each event to ``report`` (when given) and surviving its failures.

    Examples
    --------
    >>> def broken(event):
    ...     raise KeyError(event.label)
    >>> events = Events(broken)
    >>> events(ModelDone("xgboost#tuned1", 0.9, 0.01, ["cpu"], 1.5))
    >>> events.errors[0]["error"], events.failed
    ("KeyError: 'xgboost#tuned1'", 1)
    >>> [json.loads(line)["event"] for line in events.log]
    ['model_done', 'display_error']
    """

    def __init__(self, report: Reporter | None = None) -> None:
        self.report = report
        self.log: list[str] = []
        self.errors: list[DisplayError] = []
        self.failed = 0

    def __call__(self, event: Event) -> None:
        self.log.append(json.dumps(event.to_dict(), default=str))
        if self.report is None:
            return
        try:
            self.report(event)
        except Exception as exc:  # any display failure is logged, never fatal
            self._failed(event.kind, exc)

    def _failed(self, kind: str, exc: Exception) -> None:
        self.failed += 1
        if len(self.errors) >= MAX_ERRORS:
            return
        where = traceback.extract_tb(exc.__traceback__)[-1]
        error = DisplayError(
            during=kind, error=f"{type(exc).__name__}: {exc}", at=f"{where.filename}:{where.lineno}"
        )
        self.errors.append(error)
        self.log.append(json.dumps({"event": "display_error", **error}))

    def summary(self) -> DisplayErrors | None:
        """What the run record keeps of the display's failures (``None`` when there were none)."""
        return DisplayErrors(count=self.failed, first=self.errors) if self.failed else None
