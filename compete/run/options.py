"""``compete run``'s options: the competition and where it is (:class:`CompetitionRef`), and what a
user can choose for one run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compete.data.prepared import CompetitionRef

__all__ = ["RunOptions"]


@dataclass(kw_only=True)
class RunOptions(CompetitionRef):
    """What a user can choose for one run (the CLI's options), on top of which competition and where.

    Examples
    --------
    >>> opts = RunOptions("titanic", data_root="../shared/datasets", models=["lightgbm"], time_budget=120)
    >>> opts.competition, opts.models, opts.device
    ('titanic', ['lightgbm'], 'auto')
    """

    seed: int | None = None
    device: str = "auto"
    models: list[str] | None = None
    folds: int | None = None
    resample: str | None = None
    output: str | Path | None = None
    note: str = ""
    time_budget: float | None = None
    started: float | None = None  # time.monotonic() when the budget's clock started (default: now)
    params: str = "best"  # default | best (the matching tune study's best trial) | a .json/.toml file
    tune_storage: str | None = None
    keep_models: bool = True  # save the fitted pipeline under the run's artifacts/ (for compete predict)
    cluster: str | None = None  # a Dask scheduler's address, or local:N (default: the spec's [compute])
    resume: str | None = None  # an unfinished cluster run's id: its finished fits are not redone
    search: bool | None = (
        None  # the feature search: on/off (default: the spec's [search], else on without recipes)
    )
    refit: bool | None = (
        None  # full-data refit of the chosen fits (default: the spec's [refit], else on under a budget)
    )
