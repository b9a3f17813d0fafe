import numpy as np
import pytest
from sklearn import metrics as skm

from compete.errors import SpecError
from compete.scoring.metrics import METRICS, get_metric

rng = np.random.default_rng(0)
YB, PB = rng.integers(0, 2, 300), rng.random(300)
YM = rng.integers(0, 3, 300)
PM = rng.dirichlet([1, 1, 1], 300)
YR, PR = rng.gamma(2, 10, 300), rng.gamma(2, 10, 300)


@pytest.mark.parametrize(
    ("name", "y", "p", "expected"),
    [
        ("auc", YB, PB, skm.roc_auc_score(YB, PB)),
        ("auc", YM, PM, skm.roc_auc_score(YM, PM, multi_class="ovr")),
        ("logloss", YB, PB, skm.log_loss(YB, PB)),
        ("logloss", YM, PM, skm.log_loss(YM, PM)),
        ("accuracy", YB, PB, skm.accuracy_score(YB, PB >= 0.5)),
        ("accuracy", YM, PM, skm.accuracy_score(YM, PM.argmax(1))),
        ("f1", YB, PB, skm.f1_score(YB, PB >= 0.5)),
        ("f1", YM, PM, skm.f1_score(YM, PM.argmax(1), average="macro")),
        ("average_precision", YB, PB, skm.average_precision_score(YB, PB)),
        ("rmse", YR, PR, skm.root_mean_squared_error(YR, PR)),
        ("rmsle", YR, PR, skm.root_mean_squared_log_error(YR, PR)),
        ("mae", YR, PR, skm.mean_absolute_error(YR, PR)),
        ("mcc", YB, PB, skm.matthews_corrcoef(YB, PB >= 0.5)),
        ("mcc", YM, PM, skm.matthews_corrcoef(YM, PM.argmax(1))),
        ("balanced_accuracy", YB, PB, skm.balanced_accuracy_score(YB, PB >= 0.5)),
        ("balanced_accuracy", YM, PM, skm.balanced_accuracy_score(YM, PM.argmax(1))),
        ("qwk", YB, PB, skm.cohen_kappa_score(YB, PB >= 0.5, weights="quadratic")),
        ("qwk", YM, PM, skm.cohen_kappa_score(YM, PM.argmax(1), weights="quadratic")),
        ("r2", YR, PR, skm.r2_score(YR, PR)),
        ("mape", YR, PR, skm.mean_absolute_percentage_error(YR, PR)),
    ],
)
def test_metric_matches_scikit_learn(name, y, p, expected):
    assert get_metric(name).score(y, p) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("name", "y", "stack"),
    [
        ("auc", YB, np.stack([PB, np.round(PB, 1), 1 - PB])),  # rounded: ties count as a half
        ("auc", YM, np.stack([PM, PM[::-1]])),
        ("logloss", YB, np.stack([PB, PB.astype(np.float32), np.clip(PB * 2, 0, 1)])),  # 0 and 1 clipped
        ("logloss", YM, np.stack([PM, PM * 3])),  # rows rescaled to sum to one
        ("accuracy", YB, np.stack([PB, 1 - PB])),  # no vectorised rule: one by one
        ("rmse", YR, np.stack([PR, PR + 1])),
        ("rmsle", YR, np.stack([PR, PR - 30])),  # negative predictions clipped at 0
        ("mae", YR, np.stack([PR, 2 * PR])),
        ("r2", YR, np.stack([PR, YR + 1])),
        ("mape", YR, np.stack([PR, 0 * PR])),
    ],
)
def test_score_many_scores_each_candidate_as_score_does(name, y, stack):
    metric = get_metric(name)
    expected = [metric.score(y, p) for p in stack]
    np.testing.assert_allclose(metric.score_many(y, stack), expected, rtol=1e-12, atol=1e-15)


def test_directions_and_kinds():
    floors = {f"{k}_{f}" for k in ("recall_at_precision", "precision_at_recall") for f in (0.8, 0.9, 0.95)}
    labels = {"accuracy", "f1", "mcc", "balanced_accuracy", "qwk"}
    core = {"auc", "average_precision", "r2"} | labels
    assert {n for n, m in METRICS.items() if m.greater_is_better} == core | floors
    assert {n for n, m in METRICS.items() if m.needs == "label"} == labels | floors
    assert get_metric("rmsle").log_target and not get_metric("rmse").log_target
    assert get_metric("auc").better(0.9, 0.8) and get_metric("rmse").better(0.1, 0.2)


def test_unknown_metric_lists_known():
    with pytest.raises(SpecError, match=r"^unknown metric 'gini' in metric; known metrics: accuracy, auc, "):
        get_metric("gini")
    with pytest.raises(SpecError, match=r"^unknown metric 'gini' in --metric; known metrics: accuracy, "):
        get_metric("gini", where="--metric")


def test_floor_metrics_match_precision_and_recall():
    labels = (PB >= 0.5).astype(int)
    precision, recall = skm.precision_score(YB, labels), skm.recall_score(YB, labels)
    assert get_metric("recall_at_precision_0.8").score(YB, PB) == (recall if precision >= 0.8 else 0.0)
    assert get_metric("precision_at_recall_0.8").score(YB, PB) == (precision if recall >= 0.8 else 0.0)
    y = np.array([1, 1, 1, 0, 0])
    p = np.array([0.9, 0.8, 0.6, 0.7, 0.1])
    assert get_metric("recall_at_precision_0.8").score(y, p) == 0.0  # precision 3/4 < 0.8
    assert get_metric("precision_at_recall_0.8").score(y, p) == 0.75


def test_confusion_metrics_where_they_are_undefined_score_0_and_qwk_weighs_by_distance():
    from compete.scoring.metrics import CONFUSION_METRICS, from_confusion

    constant = np.array([[6, 0], [4, 0]])  # every row labelled 0: no correlation, no agreement beyond chance
    assert [float(from_confusion(m, constant)) for m in CONFUSION_METRICS] == [0.0, 0.5, 0.0]
    y = np.array([0, 1, 2, 3] * 5)
    near, far = np.clip(y + 1, 0, 3), 3 - y  # one class off, against the order reversed
    qwk = get_metric("qwk")
    assert qwk.fn(y, near) > 0.5 > qwk.fn(y, far) == pytest.approx(-1.0)


@pytest.mark.parametrize("name", METRICS.names())
def test_every_metric_pickles_as_a_runs_fitted_pipeline_needs(name):
    import pickle

    metric = get_metric(name)
    twin = pickle.loads(pickle.dumps(metric))
    y, p = (YR, PR) if "regression" in metric.tasks else (YB, PB)
    assert twin.name == name and twin.score(y, p) == metric.score(y, p)
