"""The final choice resists noise: the ensemble (honest, cross-fitted CV) is submitted unless the best
single fit beats it by more than the fold-to-fold noise."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from compete.cv.foldloop import FoldContext, ModelResult, score_oof
from compete.cv.noise import gain
from compete.run.final import choose_final
from compete.scoring.metrics import get_metric
from compete.spec import StepSpec

N = 400
rng = np.random.default_rng(0)
Y = (rng.random(N) < 0.5).astype(int)
ROWS = np.arange(N)
FOLDS = [(ROWS[ROWS % 5 != k], ROWS[ROWS % 5 == k]) for k in range(5)]


def _prep() -> SimpleNamespace:
    ctx = FoldContext(None, Y, None, FOLDS, "binary", get_metric("auc"), 0)
    return SimpleNamespace(
        ctx=ctx, spec=SimpleNamespace(ensemble=StepSpec("mean")), codec=SimpleNamespace(metric=ctx.metric)
    )


def _fit(label: str, oof: np.ndarray, ctx: FoldContext) -> ModelResult:
    return ModelResult(label, "lightgbm", oof, np.zeros(3), [], score_oof(ctx, oof), [], [], 1.0)


def test_a_single_fits_edge_within_the_noise_submits_the_ensemble_and_a_real_edge_the_single() -> None:
    prep = _prep()
    g = np.random.default_rng(5)
    signal = Y + g.normal(0, 0.9, N)
    lucky = signal + g.normal(0, 0.3, N)  # scores highest, but its edge over the ensemble is fold noise
    others = [signal + g.normal(0, 0.6, N) for _ in range(2)]
    results = [_fit("lucky", lucky, prep.ctx)] + [_fit(f"m{i}", o, prep.ctx) for i, o in enumerate(others)]
    final = choose_final(prep, results)
    ens = final.info["ensemble"]
    assert results[0].score > ens["score"] and 0 < ens["single_edge"]["gain"] <= ens["single_edge"]["noise"]
    assert final.label == "ensemble:mean" and ens["chosen"]

    sharp = Y + rng.normal(0, 0.1, N)  # far better on every fold than anything it is averaged with
    results = [_fit("sharp", sharp, prep.ctx)] + [_fit(f"weak{i}", rng.random(N), prep.ctx) for i in range(2)]
    final = choose_final(prep, results)
    assert final.label == "sharp" and not final.info["ensemble"]["chosen"]
    edge = final.info["ensemble"]["single_edge"]
    assert edge["gain"] > edge["noise"] > 0
    assert gain(prep.ctx, sharp, rng.random(N)).real
