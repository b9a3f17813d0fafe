"""Binary evaluation plots: ROC and precision-recall SVGs of the OOF predictions, the cut marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve, roc_curve

from compete.errors import DataError
from compete.scoring.plots import LineChart, save_binary_plots
from compete.scoring.thresholds import Threshold, choose_threshold

SVG = "{http://www.w3.org/2000/svg}"


def oof(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.2).astype(int)
    return y, np.clip(0.2 + 0.3 * y + rng.normal(0, 0.15, n), 0, 1)


def parsed(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()  # well-formed XML or this raises
    assert root.tag == f"{SVG}svg"
    return root


def marker(path: Path) -> tuple[float, float]:
    """The threshold marker, in chart coordinates (0..1)."""
    (circle,) = [c for c in parsed(path).iter(f"{SVG}circle") if c.get("class") == "point"]
    chart = LineChart("", "", "")
    width = chart.SIZE - chart.LEFT - chart.RIGHT
    height = chart.SIZE - chart.TOP - chart.BOTTOM
    cx, cy = float(circle.get("cx", "nan")), float(circle.get("cy", "nan"))
    return (cx - chart.LEFT) / width, 1 - (cy - chart.TOP) / height


@pytest.mark.parametrize("threshold", [None, 0.35, "chosen"])
def test_writes_roc_and_pr_svgs_into_a_new_folder(tmp_path: Path, threshold: object) -> None:
    y, p = oof()
    if threshold == "chosen":
        threshold = choose_threshold(y, p, "f1")
        assert isinstance(threshold, Threshold)
    paths = save_binary_plots(y, p, tmp_path / "run" / "plots", threshold=threshold)  # type: ignore[arg-type]
    assert [x.name for x in paths] == ["roc.svg", "precision_recall.svg"]
    assert all(x.parent == tmp_path / "run" / "plots" for x in paths)
    roc, pr = (parsed(x) for x in paths)
    texts = ["".join(t.itertext()) for t in roc.iter(f"{SVG}text")]
    assert "ROC, out-of-fold" in texts and "false positive rate" in texts and "true positive rate" in texts
    assert any(t.startswith("OOF (AUC 0.") for t in texts)
    cut = 0.5 if threshold is None else threshold.value if isinstance(threshold, Threshold) else threshold
    assert f"threshold {cut:.3g}" in " ".join(texts)
    assert any(t.startswith("OOF (AP 0.") for t in ("".join(x.itertext()) for x in pr.iter(f"{SVG}text")))


def test_the_marker_sits_where_the_threshold_cuts_both_curves(tmp_path: Path) -> None:
    y, p = oof()
    roc, pr = save_binary_plots(y, p, tmp_path, threshold=0.35)
    pred = p >= 0.35
    fpr, tpr = pred[y == 0].mean(), pred[y == 1].mean()
    assert marker(roc) == pytest.approx((fpr, tpr), abs=0.005)
    assert marker(pr) == pytest.approx((tpr, y[pred].mean()), abs=0.005)
    assert marker(save_binary_plots(y, p, tmp_path / "b", threshold=0.6)[0]) != marker(roc)


def test_the_curve_is_drawn_through_the_curve_points(tmp_path: Path) -> None:
    y, p = oof()
    roc, pr = save_binary_plots(y, p, tmp_path)
    chart = LineChart("", "", "")
    for path, (x, yy) in ((roc, roc_curve(y, p)[:2]), (pr, precision_recall_curve(y, p)[1::-1])):
        curve = next(parsed(path).iter(f"{SVG}polyline"))
        drawn = {tuple(map(float, xy.split(","))) for xy in curve.get("points", "").split()}
        px, py = chart.to_pixels(x, yy)
        expected = {(round(a, 1), round(b, 1)) for a, b in zip(px, py, strict=True)}
        assert drawn <= expected and len(drawn) >= 10  # every drawn vertex is a curve point
        corners = {(round(a, 1), round(b, 1)) for a, b in zip(px[[0, -1]], py[[0, -1]], strict=True)}
        assert corners <= drawn  # and the curve runs end to end


def test_a_long_curve_keeps_only_its_corners(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(30_000) < 0.3).astype(int)
    p = np.clip(0.3 + 0.2 * y + rng.normal(0, 0.2, len(y)), 0, 1)
    roc = save_binary_plots(y, p, tmp_path)[0]
    curve = next(parsed(roc).iter(f"{SVG}polyline"))
    assert len(curve.get("points", "").split()) < len(roc_curve(y, p)[0]) / 2
    assert roc.stat().st_size < 200_000


def test_labels_are_escaped() -> None:
    chart = LineChart("a < b & c", "x", "y")
    chart.line([0, 1], [0, 1], "<curve>")
    assert "a &lt; b &amp; c" in ET.tostring(ET.fromstring(chart.svg()), encoding="unicode")


def test_errors_name_the_problem(tmp_path: Path) -> None:
    y, p = oof()
    with pytest.raises(
        DataError, match=r"needs 0/1 targets with both classes .* got classes \[0\], 3 targets"
    ):
        save_binary_plots(np.zeros(3), np.ones(3), tmp_path)
    with pytest.raises(DataError, match=r"predictions of shape \(400, 2\)"):
        save_binary_plots(y, np.column_stack([1 - p, p]), tmp_path)
    with pytest.raises(DataError, match="a multiclass threshold \\(class weights\\) cannot be marked"):
        save_binary_plots(y, p, tmp_path, threshold=Threshold((1.0, 0.5), 0.0, 0.0))
