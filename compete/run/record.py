"""Writing a run: the submission built and validated, then the run folder (staged, renamed into place
when complete) and a row in the ledger. See :mod:`compete.records.runs` for the folder's files."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from compete.cv.foldloop import ModelResult
from compete.data.prepared import Prepared
from compete.run.options import RunOptions
from compete.run.result import ArtifactsInfo, Final, ModelScore, RunResult

__all__ = ["write_run"]


def write_run(opts: RunOptions, prep: Prepared, results: list[ModelResult], final: Final, log: list[str],
              wall_s: float, kind: str = "run") -> RunResult:  # fmt: skip
    """Build and validate the submission, then write the run folder, ``--output`` and the ledger row."""
    from compete.records.atomic import write_atomic
    from compete.records.runs import new_run_id, staged_run

    sub = _submission(prep, final)
    scores = {r.label: ModelScore.of(r) for r in results}
    run_id = new_run_id()
    with staged_run(opts.runs_dir, prep.spec.name, run_id) as tmp:
        if artifacts := _save_models(tmp, prep, results, final):
            final.info["artifacts"] = artifacts
        summary = _write_folder(tmp, prep, results, final, scores, log)
        write_atomic(sub, tmp / "submission.csv")
    path = Path(opts.runs_dir) / prep.spec.name / run_id
    extra = [write_atomic(sub, opts.output)] if opts.output else []
    _ledger_row(opts, prep, final, scores, summary["folds"], run_id, path, wall_s, kind)
    metric = prep.codec.metric
    return RunResult(run_id, path, prep.spec, prep.spec.metric, metric.greater_is_better, scores, final.label,
                     float(final.score), path / "submission.csv", wall_s, extra, final.info)  # fmt: skip


def _submission(prep: Prepared, final: Final) -> Any:
    from compete.submission.build import build_submission, spelled, validate_submission

    spec, data, codec = prep.spec, prep.data, prep.codec
    metric = codec.metric
    sub = build_submission(data.sample, data.test[spec.id], final.test, id_col=spec.id, codec=codec,
                           metric=metric, threshold=final.threshold, label_text=data.label_text)  # fmt: skip
    labels = spelled(codec.classes_, data.label_text) if metric.needs == "label" else None
    validate_submission(sub, data.sample, spec.id, labels=labels, proba=metric.needs == "proba")
    return sub


def _save_models(tmp: Path, prep: Prepared, results: list[ModelResult], final: Final) -> ArtifactsInfo:
    """The run's fitted pipeline under ``artifacts/`` (:mod:`compete.records.artifacts`), when the fits
    kept their fold models; what it takes on disk (``{}`` when nothing was kept)."""
    members = [r for r in results if r.label == final.label] if final.ensemble is None else results
    if not members or not all(r.models for r in members):
        return ArtifactsInfo()
    from compete.data.files import find_table
    from compete.features.pipeline import recipes_module
    from compete.records.artifacts import ARTIFACTS, save_artifacts

    spec, ctx = prep.spec, prep.ctx
    module = recipes_module(ctx.spec_dir)
    tables = tuple(find_table(prep.data.folder, j.file) for j in spec.joins)
    predictor = _predictor(prep, members, final, module, tables)
    recipes = Path(module.__file__) if module is not None and module.__file__ else None
    try:
        kept = save_artifacts(tmp / ARTIFACTS, predictor, recipes, tables)
        return ArtifactsInfo(bytes=kept["bytes"], files=kept["files"])
    except Exception as exc:  # the run's submission matters more than its artifacts: say why, go on
        import shutil

        shutil.rmtree(tmp / ARTIFACTS, ignore_errors=True)
        return ArtifactsInfo(error=f"{type(exc).__name__}: {exc}"[:500])


def _predictor(prep: Prepared, members: list[ModelResult], final: Final, module: Any,
               tables: tuple[Path, ...]) -> Any:  # fmt: skip
    """What predicting new rows needs of the run (:class:`compete.records.artifacts.Predictor`)."""
    from compete.records.artifacts import Predictor

    spec, ctx = prep.spec, prep.ctx
    return Predictor(
        spec, prep.schema, prep.codec, prep.counts, [ctx.transform(k) for k in range(len(ctx.folds))],
        [r.label for r in members], final.label, final.ensemble, final.meta_finalize, final.threshold,
        prep.data.label_text, list(prep.data.sample.columns), prep.raw_columns,
        module.__name__ if module is not None else "", [(t.name, list(j.on)) for t, j in zip(tables, spec.joins)],
        {r.label: r.models for r in members}, ctx.full_transform,
        {r.label: r.full_models for r in members if r.full_models},
    )  # fmt: skip


def _write_folder(tmp: Path, prep: Prepared, results: list[ModelResult], final: Final,
                  scores: dict[str, ModelScore], log: list[str]) -> dict[str, Any]:  # fmt: skip
    from compete.cv.splits import folds_signature
    from compete.records.runs import pred_frame

    spec, ctx = prep.spec, prep.ctx
    oof = pred_frame({**{r.label: r.oof for r in results}, **_ens(final, results, "oof")})
    oof["y"], oof["fold"] = ctx.y, ctx.fold_of_row()
    oof.to_parquet(tmp / "oof.parquet")
    pred_frame({**{r.label: r.test for r in results}, **_ens(final, results, "test")}).to_parquet(
        tmp / "test.parquet"
    )
    (tmp / "spec.json").write_text(json.dumps(spec.to_dict(), indent=2, default=str))
    (tmp / "schema.json").write_text(json.dumps(prep.schema.describe(), indent=2))
    summary = {"metric": spec.metric, "greater_is_better": prep.codec.metric.greater_is_better,
               "models": {k: v.to_dict() for k, v in scores.items()}, "final": final.label, "cv": final.score,
               "folds": folds_signature(ctx.folds), "seed": spec.seed, "device": prep.device, **final.info}  # fmt: skip
    (tmp / "scores.json").write_text(json.dumps(summary, indent=2, default=_json_default))
    (tmp / "run.log").write_text("\n".join(log) + "\n")
    if final.info.get("search", {}).get("kept"):
        from compete.run.search import fragment

        (tmp / "features.toml").write_text(fragment(list(spec.features)))
    if spec.task == "binary":
        from compete.scoring.plots import save_binary_plots

        mask = ~np.isnan(final.oof)
        save_binary_plots(ctx.y[mask], final.oof[mask], tmp, final.threshold)
    return summary


def _ledger_row(opts: RunOptions, prep: Prepared, final: Final, scores: dict[str, ModelScore], folds: str,
                run_id: str, path: Path, wall_s: float, kind: str) -> None:  # fmt: skip
    from compete.records.runs import record_run

    spec, ctx = prep.spec, prep.ctx
    fold_std = float(np.std([ctx.metric.score(ctx.y[va], final.oof[va]) for _, va in ctx.folds
                             if not np.isnan(final.oof[va]).any()]))  # fmt: skip
    record_run(opts.runs_dir, {
        "run_id": run_id, "competition": spec.name, "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "metric": spec.metric, "greater_is_better": int(prep.codec.metric.greater_is_better),
        "cv_score": final.score, "cv_std": fold_std, "final": final.label, "models": json.dumps(list(scores)),
        "folds": folds, "seed": spec.seed, "device": prep.device, "wall_s": wall_s, "path": str(path),
        "submission": str(path / "submission.csv"), "kind": kind, "note": opts.note,
    })  # fmt: skip


def _ens(final: Final, results: list[ModelResult], key: str) -> dict[str, np.ndarray]:
    return {} if final.label in {r.label for r in results} else {final.label: getattr(final, key)}


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
