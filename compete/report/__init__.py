"""``compete report``: a run's ``report.html``, one self-contained page opened by a double click.

:func:`write_report` reads a run folder (:mod:`compete.records.runs`), its ledger rows and its
``run.log``, and writes the page into the folder: the scores per model and fold, the ensemble, the
time budget's steps, the tuning turns, CV against the leaderboard, the drift check, the feature
importances of ``compete explain`` (when present), the evaluation by task and the schema.

Its charts are matplotlib figures inlined as SVG (the ``report`` extra: ``pip install
'compete[report]'``); matplotlib is imported only while a report is drawn, never by ``compete run``,
whose binary ROC and precision-recall SVGs (:mod:`compete.scoring.plots`) need no plotting library.

Modules: :mod:`.page` (the entry point), :mod:`.data` (what is read), :mod:`.sections` and
:mod:`.diagnostics` (the page's parts), :mod:`.charts` and :mod:`.evaluation` (the figures),
:mod:`.svg` (matplotlib to inline SVG), :mod:`.html` (markup and style).
"""

from __future__ import annotations

from compete.report.page import REPORT_FILE, render_report, write_report

__all__ = ["write_report", "render_report", "REPORT_FILE"]
