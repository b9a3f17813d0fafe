"""The feature search: blocks of candidate recipes scored with a probe on the run's own folds, kept only
for a gain beyond the fold noise, recorded, and written as a spec fragment; on by default only when the
spec names no recipes."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from compete.cli import app
from compete.run.options import RunOptions
from compete.run.runner import run_competition
from tests.conftest import write_competition

MODELS = '[[models]]\nname = "lightgbm"\nparams = {n_estimators = 60}\n'


def _frames(n: int = 900) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A target that follows the ratio of two numbers spread over three orders of magnitude: trees on the
    two numbers approximate its diagonal boundary with many splits, one split on the ratio finds it."""
    g = np.random.default_rng(0)
    total = n + n // 3
    a, b = np.exp(g.uniform(0, 8, total)), np.exp(g.uniform(0, 8, total))
    score = np.log(a / b) + g.normal(0, 0.2, total)
    frame = pd.DataFrame({"id": np.arange(total), "a": a.round(3), "b": b.round(3), "c": g.choice(list("pqrs"), total),
                          "y": np.where(score > 0, "yes", "no")})  # fmt: skip
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].drop(columns="y").reset_index(drop=True)


def _competition(root: Path, extra: str = "", models: str = MODELS) -> Path:
    train, test = _frames()
    return write_competition(root, extra=extra, models=models, train=train, test=test)


def _opts(comps: Path, root: Path, **kw) -> RunOptions:
    return RunOptions("toy", competitions_dir=comps, data_root=root / "data", runs_dir=root / "runs", **kw)


def _searched(root: Path, train: pd.DataFrame, test: pd.DataFrame, **kw) -> tuple[Any, dict[str, dict]]:
    """A run of the search on ``train``/``test`` (the spec's other keys in ``kw``): its result, and the
    blocks it tried by name."""
    comps = write_competition(
        root, extra="[search]\nfeatures = true\n", models=MODELS, train=train, test=test, **kw
    )
    result = run_competition(_opts(comps, root))
    scores = json.loads((result.path / "scores.json").read_text())
    return result, {t["block"]: t for t in scores["search"]["tried"]}


def test_the_search_keeps_what_beats_the_noise_and_writes_it_as_a_spec_fragment(tmp_path) -> None:
    comps = _competition(tmp_path, extra="[search]\nfeatures = true\n")
    result = run_competition(_opts(comps, tmp_path))
    search = json.loads((result.path / "scores.json").read_text())["search"]
    tried = {t["block"]: t for t in search["tried"]}
    assert set(tried) == {"count encodings", "target means", "group statistics", "ratios and differences"}
    ratios = tried["ratios and differences"]  # a / b: what the target follows
    assert (
        ratios["status"] == "kept"
        and ratios["gain"] > ratios["noise"] > 0
        and ratios["cv"] > search["base_cv"]
    )
    for t in tried.values():  # kept exactly when the gain beats the fold noise, on top of the blocks before
        assert (t["status"] == "kept") == (t["gain"] > t["noise"] and t["gain"] > 0), t
    fragment = tomllib.loads((result.path / "features.toml").read_text())["features"]
    assert {
        "recipe": "interactions",
        "columns": ["b", "a"],
        "ops": ["div", "sub"],
    } in fragment  # strongest first
    assert fragment == search["kept"] and search["cv"] == ratios["cv"]
    spec = json.loads((result.path / "spec.json").read_text())
    assert [f["name"] for f in spec["features"]] == [f["recipe"] for f in fragment]  # the models used them


def test_the_search_is_on_only_where_the_spec_names_no_recipes(tmp_path) -> None:
    recipes = '[[features]]\nrecipe = "count_encode"\n'
    cases = {"plain": ("[search]\n", {}), "off": ("", {"search": False}),
             "with recipes": ("", {}), "recipes and asked": ("", {"search": True})}  # fmt: skip
    for name, (extra, kw) in cases.items():
        folder = tmp_path / name.replace(" ", "-")
        models = (recipes if "recipes" in name else "") + MODELS
        # "[search]" alone: the table without keys, the default (the spec names no recipes: on)
        comps = _competition(folder, extra=extra, models=models)
        info = json.loads((run_competition(_opts(comps, folder, **kw)).path / "scores.json").read_text())
        assert ("search" in info) == (name in ("plain", "recipes and asked")), name


def test_a_bad_search_key_is_named(tmp_path) -> None:
    comps = _competition(tmp_path, extra="[search]\nfeature = true\n")
    out = CliRunner().invoke(app, ["run", "toy", "--competitions", str(comps), "--data-root", str(tmp_path / "data"),
                                   "--runs-dir", str(tmp_path / "runs")])  # fmt: skip
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert "search.feature: unknown key; allowed keys here: features" in " ".join(out.output.split())


def _coded(n: int = 1500) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A target set by a product code written as a whole number: 30 codes whose numbers say nothing of
    their effect (their order is arbitrary), beside a weak numeric column."""
    g = np.random.default_rng(3)
    total = n + n // 3
    codes = g.choice(np.arange(100, 10_000), 30, replace=False)
    effect = dict(zip(codes, g.normal(0, 1.5, 30), strict=True))
    code = g.choice(codes, total)
    x = g.normal(size=total)
    score = np.array([effect[c] for c in code]) + 0.3 * x + g.normal(0, 0.5, total)
    frame = pd.DataFrame(
        {"id": np.arange(total), "product": code, "x": x.round(4), "y": np.where(score > 0, "yes", "no")}
    )
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].drop(columns="y").reset_index(drop=True)


def test_cv_decides_whether_ambiguous_whole_numbers_are_codes(tmp_path) -> None:
    from compete.run.search import candidates

    result, tried = _searched(tmp_path, *_coded())
    kinds = {c["column"]: c["type"] for c in json.loads((result.path / "schema.json").read_text())}
    assert kinds["product"] == "numeric"  # ambiguous: no name says it is a code, and too few values
    first = next(iter(tried.values()))
    assert first["block"] == "numbers as categories" and first["recipes"][0]["columns"] == ["product"]
    assert first["why"]["product"].startswith("whole numbers, 30 values")
    codes = [tried["numbers as categories"], tried["numbers' count and target encodings"]]
    assert any(t["status"] == "kept" for t in codes), codes  # the codes' levels beat splitting on their order
    for t in codes:
        assert (t["status"] == "kept") == (t["gain"] > t["noise"] and t["gain"] > 0), t
    # a column of fractions, or of few values, is no candidate
    X = pd.DataFrame({"f": np.linspace(0, 1, 100), "few": np.arange(100) % 3})
    assert [b.name for b in candidates(X, {}, X)] == ["ratios and differences"]


def _families(n: int = 1200) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Passengers on family tickets: a ticket (a string, mostly distinct over single travellers) shared by
    the 2-5 members of a family, whose fate is mostly shared; test rows include members of train's
    families. Only the ticket's out-of-fold target mean carries the family's fate."""
    g = np.random.default_rng(5)
    sizes = g.choice([1, 1, 1, 1, 1, 1, 2, 3, 5], 1100)
    family = np.repeat(np.arange(len(sizes)), sizes)
    effect = g.normal(0, 2.5, len(sizes))[family]
    x = g.normal(size=len(family))
    score = effect + 0.5 * x + g.normal(0, 0.5, len(family))
    frame = pd.DataFrame({"id": np.arange(len(family)), "ticket": [f"T-{f * 7919 % 100_003}" for f in family],
                          "x": x.round(4), "y": np.where(score > 0, "yes", "no")})  # fmt: skip
    frame = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    total = min(len(frame), n + n // 3)
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:total].drop(columns="y").reset_index(drop=True)


def test_a_group_key_is_kept_for_its_target_means_and_never_seen_raw(tmp_path) -> None:
    result, tried = _searched(tmp_path, *_families(), metric="accuracy")
    kinds = {c["column"]: c for c in json.loads((result.path / "schema.json").read_text())}
    assert kinds["ticket"]["type"] == "id-like"
    assert "of train rows share their value" in kinds["ticket"]["reason"]
    assert "target means" in kinds["ticket"]["reason"]
    key = tried["target means of group key ticket"]
    assert key["status"] == "kept" and key["recipes"] == [{"recipe": "target_mean", "columns": ["ticket"]}]
    for t in tried.values():  # a label metric: judged by log loss, and the metric must not lose
        by = t["logloss"]
        assert (t["status"] == "kept") == (by["gain"] > by["noise"] and by["gain"] > 0 and t["gain"] >= 0), t
    assert all(
        "ticket" not in r["columns"]
        for t in tried.values()
        for r in t["recipes"]
        if r["recipe"] == "count_encode"
    )


def _hours(n: int = 1200) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hourly rows whose label is the previous hour's rain: only a lag of rain finds it."""
    g = np.random.default_rng(3)
    total = n + n // 3
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(total), unit="h")
    rain = g.integers(0, 2, total)
    before = np.r_[0, rain[:-1]]
    frame = pd.DataFrame({"id": np.arange(total), "when": when.strftime("%Y-%m-%d %H:%M:%S"), "rain": rain,
                          "season": np.arange(total) // 500,
                          "y": np.where((before == 1) ^ (g.random(total) < 0.1), "yes", "no")})  # fmt: skip
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].drop(columns="y").reset_index(drop=True)


def test_time_neighbours_of_the_numbers_that_move_are_tried_on_a_regular_series(tmp_path) -> None:
    from compete.run.search import candidates

    result, blocks = _searched(tmp_path, *_hours())
    tried = blocks["time neighbours"]
    # season changes once in 500 hours: its neighbours say nothing its own value does not
    assert tried["recipes"] == [
        {"recipe": "lags", "time": "when", "columns": ["rain"], "steps": [1, 2, -1, -2]}
    ]
    assert tried["why"] == {"when": "one regular series, a row every 0 days 01:00:00"}
    assert tried["status"] == "kept" and tried["gain"] > tried["noise"], tried
    # and the run's models fit on it: the label is the last hour's rain, 10% of them flipped
    assert max(r.cv for r in result.scores.values()) > 0.85
    assert 'recipe = "lags"' in (result.path / "features.toml").read_text()
    # rows that share their times (a panel of series) are no single series: no such block
    X = pd.DataFrame(
        {"t": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00"] * 50), "x": np.arange(100.0)}
    )
    assert "time neighbours" not in [b.name for b in candidates(X, {})]


def _notes(n: int = 900) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Free-text notes (mostly distinct, several words) whose one word "urgent" carries the label; the
    note's length and word count say nothing of it."""
    g = np.random.default_rng(7)
    total = n + n // 3
    filler = np.array(
        ["order", "parcel", "sent", "today", "from", "north", "south", "depot", "late", "again"]
    )
    urgent = g.random(total) < 0.3
    notes = [
        " ".join([*g.choice(filler, 4), "urgent" if u else "routine", f"ref{i}"])
        for i, u in enumerate(urgent)
    ]
    frame = pd.DataFrame({"id": np.arange(total), "note": notes, "x": g.normal(size=total).round(4),
                          "y": np.where(urgent ^ (g.random(total) < 0.1), "yes", "no")})  # fmt: skip
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].drop(columns="y").reset_index(drop=True)


def test_the_words_of_free_text_are_tried_and_kept_when_one_carries_the_target(tmp_path) -> None:
    result, tried = _searched(tmp_path, *_notes())
    kinds = {c["column"]: c["type"] for c in json.loads((result.path / "schema.json").read_text())}
    assert kinds["note"] == "text"
    words = tried["words of the text"]
    assert words["recipes"] == [{"recipe": "text_words", "columns": ["note"], "use_test": True}]
    assert words["status"] == "kept" and words["gain"] > words["noise"] > 0, words
    assert max(r.cv for r in result.scores.values()) > 0.85  # the models fit on the word
    assert 'recipe = "text_words"' in (result.path / "features.toml").read_text()


def test_a_search_the_budget_cannot_pay_for_stops_after_one_fold_and_says_why(tmp_path, monkeypatch) -> None:
    """Many classes on many rows make the probe slow: when its first fold says the rest of it and one
    block cannot fit the search's share, the search ends there and the models get the time."""
    import compete.run.search as search
    from compete.run.plan import Budget
    from compete.run.runner import prepare_for_run

    comps = _competition(tmp_path, extra="[search]\nfeatures = true\n")
    notes: list[Any] = []
    roomy = search.search_features(prepare_for_run(_opts(comps, tmp_path)), notes.append, Budget(100.0))
    assert roomy.skipped is None and roomy.tried and "skipped" not in roomy.as_info()  # a toy's probe is fast

    monkeypatch.setattr(search, "SEARCH_SHARE", 1e-9)  # a share no probe fits
    budget, notes = Budget(100.0), []
    prep = prepare_for_run(_opts(comps, tmp_path))
    before = prep.spec.features
    out = search.search_features(prep, notes.append, budget)
    assert out.tried == [] and out.kept == [] and out.base_cv is None and prep.spec.features == before
    assert out.skipped is not None and out.skipped.startswith("the probe's first fold took ")
    assert "more than the 0 s left of the search's share" in out.skipped
    assert out.as_info()["skipped"] == out.skipped
    assert [n.text for n in notes] == [f"feature search: skipped: {out.skipped}"]
    (step,) = budget.summary()["steps"]
    assert step["step"] == "feature search" and step["status"] == "skipped: too slow for the budget"
    assert step["seconds"] < roomy.seconds  # one fold of the probe, not the whole search


def test_on_a_large_table_the_probe_fits_on_a_sample_and_the_run_on_every_row(tmp_path, monkeypatch) -> None:
    import compete.run.search as search

    monkeypatch.setattr(search, "PROBE_ROWS", 900)  # 1,800 rows stand for a large table
    train, test = _frames(1800)
    comps = write_competition(
        tmp_path, extra="[search]\nfeatures = true\n", models=MODELS, train=train, test=test
    )
    notes: list[Any] = []
    result = run_competition(_opts(comps, tmp_path), notes.append)
    info = json.loads((result.path / "scores.json").read_text())["search"]
    assert info["rows"] == 900
    assert "feature search: the probe fits on a sample of 900 of the 1,800 training rows" in [
        getattr(n, "text", None) for n in notes
    ]
    ratios = next(t for t in info["tried"] if t["block"] == "ratios and differences")
    assert ratios["status"] == "kept" and ratios["gain"] > ratios["noise"] > 0  # still found on the sample
    oof = pd.read_parquet(result.path / "oof.parquet")
    assert len(oof) == 1800  # the models fit on every row, with the kept recipes
