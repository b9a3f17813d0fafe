"""``compete report``: one self-contained HTML page per run, checked as text and rendered by a real
browser (headless Chromium, Debian's ``chromium`` package: without it these tests fail, never skip)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from compete.commands.report import report_command
from compete.errors import RunError
from compete.records.submissions import record_submission
from compete.report import write_report
from compete.report.data import load_view
from compete.report.sections import tune_turns
from compete.run.options import RunOptions
from compete.run.runner import run_competition

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TWO_MODELS = '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 60}\n\n[[models]]\nname = "linear"\n'


# ----------------------------------------------------------------------------------------------- helpers


def chromium() -> str:
    """The browser's path; a missing browser fails the test with what to install."""
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    pytest.fail("the report tests render the page in a real browser and none is installed: "
                "apt-get update && apt-get install -y chromium", pytrace=False)  # fmt: skip


def screenshot(page: Path, folder: Path, size: str = "1280,3000") -> np.ndarray:
    """The page as a headless Chromium draws it (RGB pixels); offline, in a fresh profile."""
    from PIL import Image

    png = folder / "shot.png"
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={folder / 'profile'}", f"--screenshot={png}",
           f"--window-size={size}", page.resolve().as_uri()]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert png.is_file(), f"chromium wrote no screenshot (exit {out.returncode}): {out.stderr[-2000:]}"
    with Image.open(png) as img:
        return np.asarray(img.convert("RGB"))


def assert_drawn(pixels: np.ndarray) -> None:
    """Not a blank page: text and tables (dark pixels) and charts (coloured pixels) are on it."""
    dark = float((pixels.max(axis=2) < 120).mean())
    colour = float((pixels.max(axis=2).astype(int) - pixels.min(axis=2) > 80).mean())
    assert dark > 0.005, f"the screenshot is (nearly) blank: {dark:.2%} dark pixels"
    assert colour > 0.002, f"no chart was drawn: {colour:.2%} coloured pixels"


def assert_self_contained(html: str) -> None:
    """Nothing to fetch: no URL, no script, no stylesheet or image from elsewhere."""
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    refs = re.findall(r'\b(?:src|href|xlink:href)\s*=\s*["\']([^"\']*)["\']', html)
    assert [r for r in refs if not r.startswith(("#", "data:"))] == []
    assert [u for u in re.findall(r"url\(([^)]*)\)", html) if not u.strip("'\"").startswith("#")] == []


class Charts(HTMLParser):
    """Per inline ``<svg>``: its ``<path>`` elements, and the elements inside its data groups
    (``<g id="data-...">``, which the report gives every artist that draws data)."""

    MARKS = {"path", "use", "rect", "circle", "polyline", "polygon", "image"}

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, int]] = []
        self.groups: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.charts.append({"paths": 0, "marks": 0})
            self.groups = []
        elif tag == "g" and self.charts:
            self.groups.append((dict(attrs).get("id") or "").startswith("data-"))
        if tag != "g":
            self.handle_startendtag(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.charts and tag == "path":
            self.charts[-1]["paths"] += 1
        if self.charts and tag in self.MARKS and any(self.groups):
            self.charts[-1]["marks"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "g" and self.groups:
            self.groups.pop()


def assert_charts(html: str, at_least: int) -> None:
    parser = Charts()
    parser.feed(html)
    empty = [i for i, c in enumerate(parser.charts) if c["paths"] == 0 or c["marks"] == 0]
    assert len(parser.charts) >= at_least and empty == [], (len(parser.charts), empty)


def run_in(root: Path, comps: Path) -> str:
    """A run of ``toy`` (its id)."""
    opts = RunOptions("toy", comps, root / "data", None, root / "runs", device="cpu")
    return run_competition(opts).run_id


def rendered(page: Path, folder: Path, at_least: int) -> str:
    """The page's text, checked: self-contained, no empty chart, drawn by the browser."""
    html = page.read_text(encoding="utf-8")
    assert_self_contained(html)
    assert_charts(html, at_least)
    assert_drawn(screenshot(page, folder))
    return html


# ----------------------------------------------------------------------------------------------- tests


def test_binary_report_with_ensemble_leaderboard_and_importances(competition, tmp_path):
    comps = competition("binary", models=TWO_MODELS)
    code = ("import sys; from pathlib import Path; from compete.run.options import RunOptions; "
            "from compete.run.runner import run_competition; "
            f"r = run_competition(RunOptions('toy', Path({str(comps)!r}), Path({str(tmp_path / 'data')!r}), None, "
            f"Path({str(tmp_path / 'runs')!r}), device='cpu')); "
            "print(r.run_id, r.cv_score, 'matplotlib' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    run_id, cv, drew = out.stdout.split()[-3:]
    assert drew == "False", "`compete run` must not import matplotlib (its plots need none)"
    runs = tmp_path / "runs"
    for sid, rid, local in (("s1", run_id, float(cv) - 0.01), ("s0", "older", 0.7)):
        record_submission(runs, {"submission_id": sid, "competition": "toy", "run_id": rid,
                                 "cv_score": float(cv) if rid == run_id else 0.72, "local_score": local})  # fmt: skip
    gain = {"lightgbm": {"gain": {"x": 0.6, "c": 0.3, "when_month": 0.1}, "shap": {"x": 0.9, "c": 0.4},
                         "fold_agreement": 0.93, "shap_gain_agreement": 0.5, "rows": 240}}  # fmt: skip
    (runs / "toy" / run_id / "importances.json").write_text(json.dumps(gain))

    page = write_report(runs, "toy", "latest")

    assert page == runs / "toy" / run_id / "report.html"
    html = rendered(page, tmp_path, at_least=7)
    for text in ("Scores per model and fold", "Ensemble weights", "ROC, out of fold", "Precision-recall",
                 "threshold", "CV against the local leaderboard", "train-vs-test AUC", "lightgbm: gain share",
                 "mean |SHAP|", "No time budget", "No tuning turns", "predicted 1", "fold agreement"):  # fmt: skip
        assert text in html, text
    assert "compete explain" not in html


def test_regression_report_with_budget_and_tuning_turns(competition, tmp_path):
    run_id = run_in(tmp_path, competition("regression", metric="rmsle"))
    folder = tmp_path / "runs" / "toy" / run_id
    steps = [{"step": "lightgbm", "seconds": 4.1, "status": "done", "cv": 0.41},
             {"step": "xgboost", "seconds": 9.0, "status": "dropped: out of time"},
             {"step": "tune lightgbm", "seconds": 30.0, "status": "done", "label": "lightgbm#tuned1",
              "trials": 12, "completed": 8, "pruned": 3, "failed": 1, "best_cv": 0.39},
             {"step": "tune lightgbm", "seconds": 15.1, "status": "no better fit", "label": "lightgbm#tuned2",
              "trials": 5, "completed": 2, "pruned": 3, "failed": 0, "best_cv": 0.39}]  # fmt: skip
    scores = json.loads((folder / "scores.json").read_text())
    (folder / "scores.json").write_text(
        json.dumps({**scores, "budget": {"seconds": 60, "spent": 58.2, "steps": steps}})
    )
    turn = {"trials": 12, "completed": 8, "pruned": 3, "failed": 1, "best_cv": 0.39, "seconds": 30.0}
    with (folder / "run.log").open("a") as log:
        log.write(
            json.dumps({"event": "tune_done", "label": "lightgbm#tuned1", "status": "done", "turn": turn})
            + "\n"
        )

    html = rendered(write_report(tmp_path / "runs", "toy", run_id), tmp_path, at_least=4)

    for text in ("Predicted against actual", "Residuals", "log1p", "Time budget: steps", "dropped: out of time",
                 "Tuning turns", "lightgbm#tuned1", "compete explain toy/", "has no submission"):  # fmt: skip
        assert text in html, text
    view = load_view(tmp_path / "runs", "toy", run_id)
    assert [t["label"] for t in tune_turns(view)] == ["lightgbm#tuned1"]  # run.log's turns first
    view.events = []
    assert [t["pruned"] for t in tune_turns(view)] == [3, 3]  # else the budget's steps


def test_multiclass_report_from_the_command_line(competition, tmp_path):
    run_in(tmp_path, competition("multiclass", metric="accuracy"))
    app = typer.Typer()

    @app.callback()
    def group() -> None:
        """A command group holding `report`, as compete's app does."""

    app.command("report")(report_command)
    res = CliRunner().invoke(app, ["report", "toy", "latest", "--runs-dir", str(tmp_path / "runs")])

    assert res.exit_code == 0, res.output
    assert "wrote " in res.output and "report.html" in res.output
    (page,) = (tmp_path / "runs" / "toy").glob("*/report.html")
    html = rendered(page, tmp_path, at_least=2)
    for text in ("Confusion matrix", "class 2", "auc (one vs rest)", "Schema", "when"):
        assert text in html, text
    missing = CliRunner().invoke(app, ["report", "toy", "nope", "--runs-dir", str(tmp_path / "runs")])
    assert missing.exit_code == 2 and "no record" in missing.output


def test_without_matplotlib_it_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(RunError, match=re.escape("pip install 'compete[report]'")):
        write_report(tmp_path, "toy", "latest")


def test_the_command_line_imports_no_plotting_library():
    code = "import sys, compete.cli, compete.commands.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_page_with_a_script_or_a_url_is_not_self_contained():
    for bad in ('<img src="https://example.org/x.png">', "<script>1</script>", '<a href="http://x">x</a>'):
        with pytest.raises(AssertionError):
            assert_self_contained(f"<html><body>{bad}</body></html>")
    assert_self_contained('<a href="#models">models</a><svg><g clip-path="url(#p1)"></g></svg>')
