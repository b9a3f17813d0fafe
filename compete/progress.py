"""Progress events of a run, and the guard that keeps a failing display from ending the run.

The library reports what it does through one callback, ``report(event, **info)``; the CLI draws it
(:mod:`compete.commands.output`), a notebook may print it, tests may collect it. :class:`Events`
records every event for ``run.log`` and forwards it to that callback. A callback that raises is a
display problem, never the run's: the error is logged (``run.log`` and ``scores.json`` →
``display_errors``) and the run goes on, so its work is kept and its submission written.

Events a run sends, in order: ``note`` (text), ``drift``, ``start``; per fit ``model_start``, then
``fold_done`` per fold and ``model_done``; per tuning turn of ``--time-budget`` ``tune_start``, then
``trial_done`` per trial and ``tune_done``; ``final`` last.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from typing import Any

__all__ = ["Events", "Reporter"]

Reporter = Callable[..., None]
MAX_ERRORS = 20  # a display that fails on every event is logged this many times, then counted


class Events:
    """A run's event log, forwarding each event to ``report`` (when given) and surviving its failures.

    Examples
    --------
    >>> def broken(event, **info):
    ...     raise KeyError(info["label"])
    >>> events = Events(broken)
    >>> events("model_done", label="xgboost#tuned1", score=0.9)
    >>> events.errors[0]["error"], events.failed
    ("KeyError: 'xgboost#tuned1'", 1)
    >>> len(events.log)
    2
    """

    def __init__(self, report: Reporter | None = None) -> None:
        self.report = report
        self.log: list[str] = []
        self.errors: list[dict[str, Any]] = []
        self.failed = 0

    def __call__(self, event: str, **info: Any) -> None:
        self.log.append(json.dumps({"event": event, **info}, default=str))
        if self.report is None:
            return
        try:
            self.report(event, **info)
        except Exception as exc:  # noqa: BLE001 - any display failure is logged, never fatal
            self._failed(event, exc)

    def _failed(self, event: str, exc: Exception) -> None:
        self.failed += 1
        if len(self.errors) >= MAX_ERRORS:
            return
        where = traceback.extract_tb(exc.__traceback__)[-1]
        error = {"during": event, "error": f"{type(exc).__name__}: {exc}",
                 "at": f"{where.filename}:{where.lineno}"}  # fmt: skip
        self.errors.append(error)
        self.log.append(json.dumps({"event": "display_error", **error}))

    def summary(self) -> dict[str, Any]:
        """What the run record keeps of the display's failures (empty when there were none)."""
        return {"display_errors": {"count": self.failed, "first": self.errors}} if self.failed else {}
