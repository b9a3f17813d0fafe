"""``write_report``: a run's ``report.html``, one self-contained file.

Every chart is an inline ``<svg>`` drawn by matplotlib, the style sits in the page, and there is
no script, font or link to fetch: a double click opens it, offline, in any browser.
"""

from __future__ import annotations

import time
from pathlib import Path

from compete import __version__
from compete.report.data import RunView, load_view
from compete.report.diagnostics import (
    drift_section,
    evaluation_section,
    importance_section,
    leaderboard_section,
    schema_section,
)
from compete.report.html import Html, Section, esc, fmt, keyvalues, page, para
from compete.report.sections import (
    budget_section,
    ensemble_section,
    models_section,
    threshold_section,
    tuning_section,
)
from compete.report.svg import require_matplotlib

__all__ = ["write_report", "render_report", "REPORT_FILE"]

REPORT_FILE = "report.html"


def write_report(runs_dir: str | Path, competition: str, run_id: str) -> Path:
    """Write ``report.html`` into a run's folder and return its path.

    Parameters
    ----------
    runs_dir : str or Path
        The root of run records (``compete run --runs-dir``).
    competition : str
        The name the competition's runs are recorded under.
    run_id : str
        A run id, or ``latest`` / ``best`` (by CV), as the ledger picks them.

    Returns
    -------
    Path
        ``<runs_dir>/<competition>/<run_id>/report.html``.

    Raises
    ------
    RunError
        The run has no record, or matplotlib is missing (``pip install 'compete[report]'``).

    Examples
    --------
    .. code-block:: python

        path = write_report("runs", "demo", "latest")   # then open it in a browser
    """
    from compete.records.atomic import write_text_atomic

    require_matplotlib()
    view = load_view(runs_dir, competition, run_id)
    return write_text_atomic(render_report(view), view.record.path / REPORT_FILE)


def render_report(view: RunView) -> str:
    """The report of ``view`` as one HTML document."""
    sections = [
        overview_section(view), models_section(view), ensemble_section(view), threshold_section(view),
        evaluation_section(view), budget_section(view), tuning_section(view), leaderboard_section(view),
        drift_section(view), importance_section(view), schema_section(view),
    ]  # fmt: skip
    title = f"{view.competition} — run {view.record.run_id}"
    footer = f"compete {__version__} · written {time.strftime('%Y-%m-%d %H:%M:%S')} from {view.record.path}"
    return page(title, _subtitle(view), [s for s in sections if s is not None], footer)


def _subtitle(view: RunView) -> Html:
    s = view.scores
    arrow = "higher is better" if view.greater_is_better else "lower is better"
    return Html(f'<p class="sub"><span class="big">CV {esc(fmt(s.get("cv")))}</span> · {esc(s.get("metric"))} '
                f"({arrow}) · {esc(view.task)} · final: {esc(view.final_label)}</p>")  # fmt: skip


def overview_section(view: RunView) -> Section:
    """What the run was: its data, folds, seed and device, as the ledger and ``run.log`` say."""
    s, row = view.scores, view.row
    start = next(iter(view.events_of("start")), {})
    std = row.get("cv_std")
    pairs = [
        ("created", row.get("created")), ("kind", row.get("kind")), ("note", row.get("note")),
        ("rows (train / test)", f"{start['rows']} / {start['test_rows']}" if "rows" in start else None),
        ("features", start.get("features")), ("CV of the final", f"{fmt(s.get('cv'))}" +
                                                (f" ± {fmt(std)} over folds" if std is not None else "")),
        ("folds", s.get("folds")), ("seed", s.get("seed")), ("device", s.get("device")),
        ("wall time", f"{row['wall_s']:.1f} s" if row.get("wall_s") is not None else None),
        ("folder", str(view.record.path)),
    ]  # fmt: skip
    body = [keyvalues(pairs)]
    body += [para(e.get("text", ""), "warn" if str(e.get("text", "")).startswith("warning") else "note")
             for e in view.events_of("note")]  # fmt: skip
    errors = s.get("display_errors")
    if errors:
        body.append(para(f"The progress display failed {errors.get('count')} time(s) (see run.log); the run "
                         "went on.", "warn"))  # fmt: skip
    return Section("overview", "Run", body)
