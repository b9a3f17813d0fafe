"""What a report is drawn from: a run folder read back, with its ledger rows and its log's events.

Everything comes from files a run leaves behind (:mod:`compete.records.runs`): ``scores.json``,
``oof.parquet``, ``spec.json``, ``schema.json``, ``run.log`` and, when ``compete explain`` wrote it,
``importances.json``; the ledger adds the run's row and the competition's submissions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from compete.records.runs import RunRecord, list_runs, load_run
from compete.records.submissions import list_submissions

__all__ = ["RunView", "load_view", "read_events"]


@dataclass
class RunView:
    """A past run as the report sees it.

    Attributes
    ----------
    record : RunRecord
        The run folder's predictions and ``scores.json``.
    competition : str
        The name its runs are recorded under.
    spec : dict
        ``spec.json`` (the resolved spec), empty when missing.
    schema : list of dict
        ``schema.json``: each column's ``type`` and ``reason``.
    events : list of dict
        ``run.log``'s events, in order.
    row : dict
        The run's row of the ledger (empty when the ledger lacks it).
    submissions : list of dict
        The competition's submissions in the ledger, newest first.
    importances : dict or None
        ``importances.json`` when present.
    drift_cache : dict or None
        The quick drift check kept in ``<runs>/.cache/drift/`` (its features), when present.
    """

    record: RunRecord
    competition: str
    spec: dict[str, Any] = field(default_factory=dict)
    schema: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    row: dict[str, Any] = field(default_factory=dict)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    importances: dict[str, Any] | None = None
    drift_cache: dict[str, Any] | None = None

    @property
    def scores(self) -> dict[str, Any]:
        return self.record.scores

    @property
    def task(self) -> str:
        """binary, multiclass or regression: the spec's, else guessed from the final predictions."""
        task = self.spec.get("task")
        if task:
            return str(task)
        pred = self.record.oof.get(self.final_label)
        return "multiclass" if pred is not None and pred.ndim == 2 else "unknown"

    @property
    def final_label(self) -> str:
        return str(self.scores.get("final", ""))

    @property
    def greater_is_better(self) -> bool:
        return bool(self.scores.get("greater_is_better", True))

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        """The log's events of one kind (``drift``, ``note``, ``tune_done``, ...)."""
        return [e for e in self.events if e.get("event") == kind]

    def final_oof(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The encoded target and the final predictions over the rows that have an OOF prediction,
        or ``None`` when ``oof.parquet`` lacks the final's column."""
        pred = self.record.oof.get(self.final_label)
        if pred is None:
            return None
        pred = np.asarray(pred, dtype=float)
        finite = np.isfinite(pred).all(axis=1) if pred.ndim == 2 else np.isfinite(pred)
        keep = finite & (np.asarray(self.record.fold) >= 0)
        return np.asarray(self.record.y)[keep], pred[keep]

    def this_run_submissions(self) -> list[dict[str, Any]]:
        return [s for s in self.submissions if s.get("run_id") == self.record.run_id]


def load_view(runs_dir: str | Path, competition: str, run_id: str) -> RunView:
    """Read run ``run_id`` (or ``latest``/``best``) of ``competition`` and what the ledger says of it."""
    record = load_run(runs_dir, competition, run_id)
    path = record.path
    row = next((r for r in list_runs(runs_dir, competition) if r["run_id"] == record.run_id), {})
    return RunView(
        record, competition, spec=_json(path / "spec.json") or {}, schema=_json(path / "schema.json") or [],
        events=read_events(path / "run.log"), row=row, submissions=list_submissions(runs_dir, competition),
        importances=_json(path / "importances.json"),
        drift_cache=_json(Path(runs_dir) / ".cache" / "drift" / f"{competition}.json"),
    )  # fmt: skip


def read_events(path: Path) -> list[dict[str, Any]]:
    """``run.log``'s JSON lines (a line that is not a JSON object is skipped).

    >>> import tempfile
    >>> log = Path(tempfile.mkdtemp()) / "run.log"
    >>> _ = log.write_text('{"event": "drift", "auc": 0.51}\\nnot json\\n')
    >>> read_events(log)
    [{'event': 'drift', 'auc': 0.51}]
    """
    if not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def _json(path: Path) -> Any:
    """A JSON file's content, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
