"""Where studies live: an SQLite file under the runs folder by default, or any RDB URL (PostgreSQL lets
several processes and machines share one study), with a heartbeat so a killed worker's trial is marked
failed; passwords never reach a message."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from compete.errors import RunError

__all__ = ["storage_url", "open_storage", "safe_url"]


def storage_url(storage: str | None, runs_dir: str | Path = "runs") -> str:
    """The storage URL: ``storage`` as given, or an SQLite file ``<runs_dir>/optuna.sqlite3``."""
    if storage:
        return storage
    return f"sqlite:///{(Path(runs_dir) / 'optuna.sqlite3').resolve()}"


def open_storage(url: str, heartbeat: int | None = None) -> Any:
    import optuna

    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"timeout": 60}}
    hb: dict[str, Any] = {"heartbeat_interval": heartbeat, "grace_period": 3 * heartbeat} if heartbeat else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, **hb)
    except ImportError as exc:
        raise RunError(f"--storage {safe_url(url)}: the database driver is missing ({exc}); for PostgreSQL "
                       "install it with `pip install 'compete[postgres]'`") from None  # fmt: skip
    except Exception as exc:  # sqlalchemy's errors: bad URL, server down, no permission
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RunError(f"--storage {safe_url(url)}: cannot open the study storage: {first}; check the URL "
                       "(e.g. postgresql://user:password@host/db) and that the server is up") from None  # fmt: skip


def safe_url(url: str) -> str:
    """The URL with any password hidden."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url
