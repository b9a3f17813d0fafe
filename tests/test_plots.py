"""Binary evaluation plots: ROC and precision-recall PNGs of the OOF predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from compete.errors import DataError
from compete.plots import save_binary_plots
from compete.thresholds import Threshold, choose_threshold


def oof(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random(n) < 0.2).astype(int)
    return y, np.clip(0.2 + 0.3 * y + rng.normal(0, 0.15, n), 0, 1)


def is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


@pytest.mark.parametrize("threshold", [None, 0.35, "chosen"])
def test_writes_roc_and_pr_pngs_into_a_new_folder(tmp_path: Path, threshold: object) -> None:
    y, p = oof()
    if threshold == "chosen":
        threshold = choose_threshold(y, p, "f1")
        assert isinstance(threshold, Threshold)
    paths = save_binary_plots(y, p, tmp_path / "run" / "plots", threshold=threshold)  # type: ignore[arg-type]
    assert [x.name for x in paths] == ["roc.png", "precision_recall.png"]
    assert all(x.parent == tmp_path / "run" / "plots" and is_png(x) for x in paths)


def test_marked_threshold_changes_the_picture(tmp_path: Path) -> None:
    y, p = oof()
    a = save_binary_plots(y, p, tmp_path / "a", threshold=0.2)
    b = save_binary_plots(y, p, tmp_path / "b", threshold=0.6)
    assert a[0].read_bytes() != b[0].read_bytes()


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
