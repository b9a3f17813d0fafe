"""The report's sections about what the run fitted: the models and their folds, the ensemble, the
threshold, the time budget and the tuning turns."""

from __future__ import annotations

import json
from typing import Any

from compete.report import charts
from compete.report.data import RunView
from compete.report.html import Html, Section, details, esc, fmt, keyvalues, para, table

__all__ = ["models_section", "ensemble_section", "threshold_section", "budget_section", "tuning_section",
           "tune_turns"]  # fmt: skip


def models_section(view: RunView) -> Section:
    """A row per fit (CV, std, each fold, seconds, devices, rounds) and the fold scores' chart."""
    models: dict[str, dict[str, Any]] = view.scores.get("models", {})
    if not models:
        return Section("models", "Models", [para("scores.json lists no models.", "note")])
    k = max(len(m.get("folds") or []) for m in models.values())
    headers = ["model", "cv", "± std", *[f"fold {i + 1}" for i in range(k)], "seconds", "devices", "rounds"]
    rows = []
    for label, m in models.items():
        folds = [fmt(s) for s in m.get("folds") or []] + [""] * (k - len(m.get("folds") or []))
        rounds = [r for r in m.get("best_iterations") or [] if r is not None]
        name = f"{label} (final)" if label == view.final_label else label
        rows.append([name, fmt(m.get("cv")), fmt(m.get("std")), *folds, fmt(m.get("seconds"), 1),
                     ", ".join(sorted(set(m.get("devices") or []))), " / ".join(str(r) for r in rounds)])  # fmt: skip
    ens = view.scores.get("ensemble") or {}
    chart = charts.fold_scores(models, str(view.scores.get("metric", "score")), view.greater_is_better,
                               view.final_label, ens.get("score"))  # fmt: skip
    params = details(f"parameters of each fit ({len(models)})", Html("".join(
        f"<h4>{esc(label)}</h4><pre>{esc(_dump(m.get('params')))}</pre>" for label, m in models.items())))  # fmt: skip
    numeric = list(range(1, 3 + k + 1))
    return Section("models", "Models", [table(headers, rows, numeric), Html(chart), params])


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, default=str, sort_keys=True)


def ensemble_section(view: RunView) -> Section:
    """The blend's method, CV, whether it was chosen, and its members' weights."""
    ens = view.scores.get("ensemble")
    if not ens:
        n = len(view.scores.get("models", {}))
        why = "one model: nothing to blend" if n < 2 else "the spec's [ensemble] is none"
        return Section("ensemble", "Ensemble", [para(f"No ensemble in this run ({why}).", "note")])
    verdict = "chosen for the submission" if ens.get("chosen") else "not chosen: a single model scored better"
    body = [keyvalues([("method", ens.get("method")), ("CV", fmt(ens.get("score"))), ("verdict", verdict),
                       ("members", ", ".join(view.scores.get("models", {})))])]  # fmt: skip
    weights = {str(k): float(w) for k, w in (ens.get("weights") or {}).items()}
    used = {k: w for k, w in weights.items() if w > 0}
    if used:
        ranked = [[k, fmt(w, 4)] for k, w in sorted(used.items(), key=lambda kv: -kv[1])]
        body += [Html('<div class="charts">'), table(["member", "weight"], ranked, [1]), Html(charts.weights(used)),
                 Html("</div>")]  # fmt: skip
        if len(used) < len(weights):
            body.append(para(f"At weight 0: {', '.join(k for k in weights if k not in used)}.", "note"))
    else:
        body.append(para("A meta-model combines the members (no weights to show).", "note"))
    return Section("ensemble", "Ensemble", body)


def threshold_section(view: RunView) -> Section | None:
    """The decision threshold chosen on OOF predictions (label metrics only)."""
    th = view.scores.get("threshold")
    if not th:
        return None
    value = th.get("threshold")
    shown = ", ".join(f"{w:.3g}" for w in value) if isinstance(value, list) else fmt(value, 4)
    used = "yes" if th.get("used") else "no: the default cut scored better on other folds' rows"
    return Section("threshold", "Threshold", [keyvalues([
        ("threshold" if not isinstance(value, list) else "class weights", shown),
        ("OOF score at it", fmt(th.get("score"))), ("default cut's score", fmt(th.get("default_score"))),
        ("cross-fitted CV", fmt(th.get("cv_score"))), ("used for the submission", used)])])  # fmt: skip


def budget_section(view: RunView) -> Section:
    """The time budget's steps: a timeline chart and a table."""
    budget = view.scores.get("budget")
    if not budget:
        return Section("budget", "Time budget", [para(
            "No time budget: every model ran in full, one after another (`compete run --time-budget "
            "SECONDS` plans fast first fits, then tuning turns, slower rates and seed bags).", "note")])  # fmt: skip
    steps = budget.get("steps") or []
    head = Html(f'<p class="sub">spent {fmt(budget.get("spent"), 1)} s of {fmt(budget.get("seconds"), 1)} s, '
                f"in {len(steps)} steps</p>")  # fmt: skip
    rows = [[s.get("step"), s.get("label") or "", s.get("status"), fmt(s.get("seconds"), 1),
             fmt(s.get("cv", s.get("best_cv")))] for s in steps]  # fmt: skip
    body = [head, table(["step", "fit", "status", "seconds", "cv"], rows, [3, 4])]
    if steps:
        body.insert(1, Html(charts.timeline(steps, float(budget.get("seconds") or 0))))
    return Section("budget", "Time budget", body)


def tune_turns(view: RunView) -> list[dict[str, Any]]:
    """The run's tuning turns: from ``run.log``'s ``tune_done`` events, else the budget's steps."""
    rows = []
    for e in view.events_of("tune_done"):
        turn = e.get("turn") or {}
        rows.append({"label": e.get("label"), "status": e.get("status"), **turn})
    if rows:
        return rows
    steps = (view.scores.get("budget") or {}).get("steps") or []
    return [{"label": s.get("label") or s.get("step"), **s} for s in steps if "trials" in s]


def tuning_section(view: RunView) -> Section:
    """Each tuning turn's trials by outcome and its best CV."""
    rows = tune_turns(view)
    if not rows:
        return Section("tuning", "Tuning turns", [para(
            "No tuning turns in this run (`--time-budget` tunes while time is left; `compete tune` runs a "
            "study of its own).", "note")])  # fmt: skip
    keys = ["label", "status", "trials", "completed", "pruned", "failed", "best_cv", "seconds"]
    cells = [[fmt(r.get(k), 1 if k == "seconds" else 5) for k in keys] for r in rows]
    body = [table([k.replace("_", " ") for k in keys], cells, [2, 3, 4, 5, 6, 7]), Html(charts.turns(rows))]
    body += [para(f"{r['label']}: {r['error']}", "warn") for r in rows if r.get("error")]
    return Section("tuning", "Tuning turns", body)
