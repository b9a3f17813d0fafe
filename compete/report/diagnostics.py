"""The report's sections that check the run: the final predictions by task, CV against the
leaderboard, the drift check, the schema and the feature importances."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from compete.report import charts, evaluation
from compete.report.data import RunView
from compete.report.html import Html, Section, fmt, keyvalues, para, table

__all__ = [
    "evaluation_section",
    "leaderboard_section",
    "drift_section",
    "schema_section",
    "importance_section",
]

DRIFT_WARN, DRIFT_NOTE = 0.7, 0.6  # as compete.drift's DRIFT_WARN_AUC and DRIFT_NOTE_AUC


def evaluation_section(view: RunView) -> Section:
    """The final's OOF predictions judged by task."""
    title = f"Out-of-fold evaluation: {view.final_label}"
    data = view.final_oof()
    if data is None or len(data[0]) == 0:
        return Section("evaluation", title, [para("oof.parquet has no predictions of the final.", "note")])
    y, pred = data
    if view.task == "binary" and pred.ndim == 1 and len(np.unique(y)) == 2:
        return Section("evaluation", title, _binary(view, y, pred))
    if view.task == "multiclass" and pred.ndim == 2:
        return Section("evaluation", title, _multiclass(view, y, pred))
    if view.task == "regression":
        log = str(view.scores.get("metric")) == "rmsle"
        note = para("Values in log1p space, as the models were fitted for rmsle.", "note") if log else None
        svgs = evaluation.regression_charts(
            y, pred, "log1p" if log else "target", int(view.scores.get("seed") or 0)
        )
        return Section("evaluation", title, [*([note] if note else []), _row(svgs)])
    return Section("evaluation", title, [para(f"No evaluation charts for task {view.task!r}.", "note")])


def _row(svgs: Sequence[str]) -> Html:
    return Html('<div class="charts">' + "".join(svgs) + "</div>")


def _binary(view: RunView, y: np.ndarray, p: np.ndarray) -> list[Html]:
    th = view.scores.get("threshold") or {}
    cut = float(th["threshold"]) if th.get("used") and not isinstance(th.get("threshold"), list) else 0.5
    counts = evaluation.confusion_counts(y, p >= cut, 2)
    (tn, fp), (fn, tp) = counts.tolist()
    cells = table(["at threshold " + fmt(cut, 3), "predicted 0", "predicted 1"],
                  [["true 0", tn, fp], ["true 1", fn, tp]], [1, 2])  # fmt: skip
    return [_row(evaluation.binary_charts(y, p, cut)), cells]


def _multiclass(view: RunView, y: np.ndarray, p: np.ndarray) -> list[Html]:
    th = view.scores.get("threshold") or {}
    w = (
        np.asarray(th["threshold"], dtype=float)
        if th.get("used") and isinstance(th.get("threshold"), list)
        else None
    )
    labels = (p * w).argmax(axis=1) if w is not None and w.shape == (p.shape[1],) else p.argmax(axis=1)
    names = [f"class {k}" for k in range(p.shape[1])]
    rows = [[names[r["class"]], r["support"], fmt(r["precision"], 4), fmt(r["recall"], 4), fmt(r["f1"], 4),
             fmt(r["auc"], 4)] for r in evaluation.per_class(y, p, labels)]  # fmt: skip
    how = "argmax of the class weights × probabilities" if w is not None else "argmax of the probabilities"
    return [para(f"Classes are the target's values in sorted order (encoded 0..{p.shape[1] - 1}); labels by {how}.",
                 "note"),
            Html('<div class="charts">'),
            Html(evaluation.confusion_chart(evaluation.confusion_counts(y, labels, p.shape[1]), names)),
            table(["class", "support", "precision", "recall", "f1", "auc (one vs rest)"], rows, [1, 2, 3, 4, 5]),
            Html("</div>")]  # fmt: skip


def leaderboard_section(view: RunView) -> Section:
    """This run's submissions, and every submission of the competition as CV against LB."""
    mine = view.this_run_submissions()
    rid, comp = view.record.run_id, view.competition
    if not mine:
        return Section("leaderboard", "CV and leaderboard", [para(
            f"This run has no submission in the ledger: `compete submit {comp} --run {rid}` checks its file and "
            "scores it on the local answer key.", "note")])  # fmt: skip
    rows = [[s.get("submission_id"), s.get("created"), s.get("message") or "", fmt(s.get("cv_score")),
             fmt(s.get("local_score")), fmt(s.get("public_score")), s.get("kaggle_status") or ""] for s in mine]  # fmt: skip
    body = [
        table(["submission", "created", "message", "cv", "local LB", "public LB", "kaggle"], rows, [3, 4, 5])
    ]
    for key, name in (("local_score", "local"), ("public_score", "public")):
        points = [(float(s["cv_score"]), float(s[key]), s.get("run_id") == rid) for s in view.submissions
                  if s.get(key) is not None and s.get("cv_score") is not None]  # fmt: skip
        if any(mine_ for *_, mine_ in points):
            body.append(Html(charts.cv_vs_lb(points, str(view.scores.get("metric")), name)))
    if len(body) == 1:
        body.append(para("No leaderboard score yet (no local answer key, no public score).", "note"))
    return Section("leaderboard", "CV and leaderboard", [body[0], _row(body[1:])])


def drift_section(view: RunView) -> Section:
    """The quick adversarial check of train against test that the run made."""
    checks = view.events_of("drift")
    if not checks:
        return Section("drift", "Drift check", [para(
            "No drift check in this run (a budget under a minute leaves it out); `compete drift "
            f"{view.competition}` makes a full one.", "note")])  # fmt: skip
    auc = float(checks[-1].get("auc", float("nan")))
    verdict = ("test differs from train: CV may not predict the leaderboard" if auc >= DRIFT_WARN
               else "some drift: look at the top features" if auc >= DRIFT_NOTE else "test looks like train")  # fmt: skip
    body = [keyvalues([("train-vs-test AUC", fmt(auc, 4)), ("verdict", verdict),
                       ("fitted", "yes" if checks[-1].get("fitted") else "no (read from the cache)")]),
            para("A classifier tells test rows from train rows: about 0.5 means test is drawn like train.", "note")]  # fmt: skip
    report = (view.drift_cache or {}).get("report") or {}
    if report.get("importance") and round(float(report.get("auc", -1)), 4) == round(auc, 4):
        shares = {str(k): float(v) for k, v in report["importance"].items()}
        body.append(Html(charts.bars(shares, "Features that tell test from train", "gain share", top=10)))
    return Section("drift", "Drift check", body)


def schema_section(view: RunView) -> Section:
    """Each input column's type and why (``schema.json``)."""
    if not view.schema:
        return Section("schema", "Schema", [para("The run folder has no schema.json.", "note")])
    kinds = Counter(c.get("type", "") for c in view.schema)
    summary = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
    rows = [[c.get("column", ""), c.get("type", ""), c.get("reason", "")] for c in view.schema]
    return Section("schema", "Schema", [para(f"{len(view.schema)} columns: {summary}."),
                                        table(["column", "type", "why"], rows)])  # fmt: skip


def importance_section(view: RunView) -> Section:
    """Feature importances from ``importances.json`` (``compete explain``): gain share and mean |SHAP|
    per model, and how well the folds (and the two measures) agree."""
    imp: dict[str, Any] | None = view.importances
    if not imp:
        return Section("importances", "Feature importances", [para(
            f"No importances.json in the run folder: run `compete explain {view.competition}/"
            f"{view.record.run_id}` to add it, then write this report again.", "note")])  # fmt: skip
    svgs: list[str] = []
    rows = []
    for label in sorted(imp, key=lambda k: (k != view.final_label, k)):
        entry = imp.get(label) or {}
        rows.append([label, entry.get("rows"), fmt(entry.get("fold_agreement"), 3),
                     fmt(entry.get("shap_gain_agreement"), 3)])  # fmt: skip
        for kind, title in (("gain", "gain share"), ("shap", "mean |SHAP|")):
            if entry.get(kind):
                values = {str(k): float(v) for k, v in entry[kind].items()}
                svgs.append(charts.bars(values, f"{label}: {title}", title, top=15))
    if not svgs:
        return Section(
            "importances", "Feature importances", [para("importances.json holds no values.", "note")]
        )
    stats = table(["model", "rows explained", "fold agreement", "SHAP ~ gain"], rows, [1, 2, 3])
    note = para("Agreement: Spearman correlation of the features' ranks (1: ranked alike).", "note")
    return Section("importances", "Feature importances", [stats, note, _row(svgs)])
