"""Decision thresholds: chosen on OOF predictions only, exact on the candidates, per class for multiclass."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    cohen_kappa_score,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
)

from compete.errors import SpecError
from compete.scoring.metrics import get_metric
from compete.scoring.thresholds import Threshold, apply_threshold, choose_threshold, floor_metric, macro_f1


def scores(
    n: int = 2000, rate: float = 0.1, shift: float = 0.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Binary labels and miscalibrated probabilities (true P(1) is lower than predicted by ``shift``)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rate).astype(int)
    p = np.clip(0.15 + 0.35 * y + rng.normal(0, 0.15, n) + shift, 0, 1)
    return y, p


def brute(y: np.ndarray, p: np.ndarray, fn, cuts: np.ndarray) -> float:
    return max(fn(y, (p >= c).astype(int)) for c in cuts)


def _qwk(y: np.ndarray, labels: np.ndarray) -> float:
    return cohen_kappa_score(y, labels, weights="quadratic")


@pytest.mark.parametrize(
    ("name", "fn"),
    [("accuracy", accuracy_score), ("f1", f1_score), ("mcc", matthews_corrcoef),
     ("balanced_accuracy", balanced_accuracy_score), ("qwk", _qwk)],
)  # fmt: skip
def test_binary_threshold_is_the_best_cut_and_its_score_is_exact(name: str, fn) -> None:
    y, p = scores()
    t = choose_threshold(y, p, name)
    assert t is not None and isinstance(t.value, float)
    assert t.score == pytest.approx(fn(y, (p >= t.value).astype(int)))
    assert t.default_score == pytest.approx(fn(y, (p >= 0.5).astype(int)))
    assert t.score >= t.default_score
    assert t.score >= brute(y, p, fn, np.linspace(0, 1, 401)) - 1e-12  # no cut on a fine grid does better


def test_probability_metrics_get_no_threshold() -> None:
    y, p = scores()
    assert choose_threshold(y, p, "auc") is None
    assert choose_threshold(y, p, get_metric("logloss")) is None
    assert choose_threshold(y, p, "average_precision") is None


def test_threshold_comes_from_oof_not_from_the_test_labels() -> None:
    y_oof, oof = scores(seed=1)  # OOF: well calibrated → best F1 cut near 0.4
    y_test, test = scores(seed=2, shift=0.2)  # test: shifted up → its own labels would pick a much higher cut
    t = choose_threshold(y_oof, oof, "f1")
    on_test = choose_threshold(y_test, test, "f1")
    assert t is not None and on_test is not None
    assert abs(on_test.value - t.value) > 0.1  # the test labels would pick another threshold
    assert t == choose_threshold(y_oof, oof, "f1")  # depends on (y_oof, oof) only
    labels = apply_threshold(test, t)
    np.testing.assert_array_equal(labels, (test >= t.value).astype(int))


def test_ties_prefer_the_cut_closest_to_the_default() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0.05, 0.1, 0.9, 0.95])  # every cut in (0.1, 0.9) is perfect
    t = choose_threshold(y, p, "accuracy")
    assert t is not None and t.value == 0.5 and t.score == 1.0


def test_many_unique_values_use_quantile_candidates() -> None:
    y, p = scores(n=20000)
    t = choose_threshold(y, p, "f1", grid=64)
    assert t is not None
    assert t.score == pytest.approx(f1_score(y, (p >= t.value).astype(int)))
    full = choose_threshold(y, p, "f1")
    assert full is not None and full.score >= t.score and t.score > full.score - 0.01


@pytest.mark.parametrize("floor", [0.6, 0.8])
def test_recall_at_precision_floor(floor: float) -> None:
    y, p = scores()
    m = floor_metric("recall_at_precision", floor)
    t = choose_threshold(y, p, m)
    assert t is not None
    labels = apply_threshold(p, t)
    assert precision_score(y, labels) >= floor
    assert t.score == pytest.approx(recall_score(y, labels))
    assert t.score == pytest.approx(brute(y, p, m.fn, np.sort(np.unique(p))))


def test_precision_at_recall_floor() -> None:
    y, p = scores()
    m = floor_metric("precision_at_recall", 0.9)
    assert m.name == "precision_at_recall_0.9" and m.needs == "label" and m.tasks == ("binary",)
    t = choose_threshold(y, p, m)
    assert t is not None
    labels = apply_threshold(p, t)
    assert recall_score(y, labels) >= 0.9 and t.score == pytest.approx(precision_score(y, labels))


def test_floor_metric_errors() -> None:
    with pytest.raises(SpecError, match=r"floor metric: got 'recall_at_f1'; allowed: recall_at_precision, "):
        floor_metric("recall_at_f1", 0.9)
    with pytest.raises(SpecError, match=r"floor 1.5 must be in \(0, 1\], e.g. 0.9"):
        floor_metric("precision_at_recall", 1.5)


def multiclass(n: int = 1500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three classes; class 2 is rare and its probability is under-stated."""
    rng = np.random.default_rng(seed)
    y = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    logits = rng.normal(0, 1, (n, 3)) + 1.6 * np.eye(3)[y]
    logits[:, 2] -= 1.2
    p = np.exp(logits)
    return y, p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("name", ["f1", "accuracy", "mcc", "balanced_accuracy"])  # qwk: see its cut points
def test_multiclass_class_weights_improve_the_oof_score(name: str) -> None:
    y, p = multiclass()
    t = choose_threshold(y, p, name)
    assert t is not None and isinstance(t.value, tuple) and len(t.value) == 3 and max(t.value) == 1.0
    labels = apply_threshold(p, t)
    np.testing.assert_array_equal(labels, (p * np.array(t.value)).argmax(axis=1))
    m = get_metric(name)
    assert t.score == pytest.approx(m.fn(y, labels))
    assert t.default_score == pytest.approx(m.fn(y, p.argmax(axis=1)))
    assert t.score >= t.default_score
    if name == "f1":
        assert t.score > t.default_score + 0.01


def test_fastmacro_f1_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    for k in (3, 5):
        y, labels = rng.integers(0, k, 200), rng.integers(0, k - 1, 200)  # one class never predicted
        assert macro_f1(y, labels, k) == pytest.approx(f1_score(y, labels, average="macro", zero_division=0))


def test_apply_threshold_defaults_and_errors() -> None:
    np.testing.assert_array_equal(apply_threshold(np.array([0.2, 0.5]), None), [0, 1])
    np.testing.assert_array_equal(apply_threshold(np.array([[0.7, 0.3], [0.1, 0.9]]), None), [0, 1])
    msg = "apply_threshold: 2 classes in the predictions but the threshold has 3 class weights"
    with pytest.raises(SpecError, match=re.escape(msg)):
        apply_threshold(np.ones((2, 2)), Threshold((1.0, 1.0, 1.0), 0.0, 0.0))
    with pytest.raises(SpecError, match="binary predictions with a multiclass threshold"):
        apply_threshold(np.ones(2), Threshold((1.0, 1.0), 0.0, 0.0))


def test_length_mismatch_is_refused() -> None:
    with pytest.raises(
        SpecError, match="choose_threshold: 3 targets but 2 OOF predictions; pass the same rows"
    ):
        choose_threshold(np.array([0, 1, 0]), np.array([0.1, 0.2]), "f1")


def test_to_dict_is_json_ready() -> None:
    assert Threshold((1.0, 0.5), 0.7, 0.6).to_dict() == {
        "threshold": [1.0, 0.5],
        "score": 0.7,
        "default_score": 0.6,
    }


def ratings(n: int = 3000, k: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Ratings 0..k-1 and a model's too-flat probabilities around a noisy latent score: the expected
    rating carries the distance between classes that argmax drops."""
    rng = np.random.default_rng(seed)
    r = rng.integers(0, k, n)
    latent = r + rng.normal(0, 0.9, n)
    p = np.exp(-0.2 * (np.arange(k)[None, :] - latent[:, None]) ** 2)
    return r, p / p.sum(axis=1, keepdims=True)


def test_qwk_on_ratings_gets_cut_points_on_the_expected_rating() -> None:
    y, p = ratings()
    t = choose_threshold(y, p, "qwk")
    assert t is not None and t.ordinal and len(t.value) == 4
    cuts = np.asarray(t.value)
    assert (np.diff(cuts) > 0).all()
    labels = apply_threshold(p, t)
    np.testing.assert_array_equal(labels, (p @ np.arange(5) >= cuts[:, None]).sum(axis=0))
    assert t.score == pytest.approx(_qwk(y, labels)) and t.score > t.default_score
    assert t.default_score == pytest.approx(_qwk(y, p.argmax(axis=1)))
    weights = choose_threshold(y, p, "mcc")  # a metric without an order keeps class weights
    assert weights is not None and not weights.ordinal and len(weights.value) == 5
    assert t.to_dict()["ordinal"] is True and "ordinal" not in weights.to_dict()
    with pytest.raises(SpecError, match="5 classes in the predictions but 3 ordinal cut points"):
        apply_threshold(p, Threshold((0.5, 1.5, 2.5), 0.0, 0.0, ordinal=True))


def test_a_threshold_pickled_before_ordinal_cuts_reads_as_class_weights() -> None:
    import pickle

    old = Threshold((1.0, 0.5, 1.0), 0.8, 0.7)
    del old.__dict__["ordinal"]  # what a pickle made before the field existed holds
    back = pickle.loads(pickle.dumps(old))
    assert back.ordinal is False
    np.testing.assert_array_equal(apply_threshold(np.eye(3), back), [0, 1, 2])
