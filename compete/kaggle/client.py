"""A thin wrapper over the official ``kaggle`` package (an optional extra: ``pip install compete[kaggle]``).

compete talks to Kaggle through the small :class:`KaggleClient` protocol, so tests (and anyone who
wants another transport) inject an object with the same three methods in place of the real API.
:func:`connect` imports the package lazily, with an install hint when it is missing.

Credentials are the user's own: ``KAGGLE_USERNAME``/``KAGGLE_KEY``, ``KAGGLE_API_TOKEN``, or
``~/.kaggle/kaggle.json`` / ``~/.kaggle/access_token`` (``$KAGGLE_CONFIG_DIR`` moves the folder).
They are never printed, logged or written: every message that comes back from the package goes
through :func:`redact` first.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from compete.errors import CompeteError

__all__ = ["KaggleError", "KaggleClient", "KaggleSubmission", "OfficialKaggle", "connect", "has_credentials",
           "redact", "secrets"]  # fmt: skip

INSTALL_HINT = "install the optional extra: pip install 'compete[kaggle]' (or pip install kaggle)"
CREDENTIALS_HINT = (
    "put your API token in ~/.kaggle/kaggle.json (Kaggle → Settings → API → Create New Token), "
    "or set KAGGLE_USERNAME and KAGGLE_KEY (or KAGGLE_API_TOKEN)"
)


class KaggleError(CompeteError):
    """Kaggle could not be reached or refused the request.

    ``reason`` is one of ``"package"`` (kaggle not installed), ``"credentials"`` (none found, or
    rejected), ``"network"`` (offline or the service is down) or ``"rejected"`` (Kaggle answered
    with an error, e.g. an unknown competition or rules not accepted).
    """

    def __init__(self, message: str, reason: str = "rejected") -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def retryable(self) -> bool:
        """Whether trying again later can succeed without changing the submission."""
        return self.reason in ("package", "credentials", "network")


@dataclass(frozen=True)
class KaggleSubmission:
    """One submission as Kaggle lists it (scores are None until Kaggle has scored it)."""

    ref: str
    description: str
    status: str
    public_score: float | None = None
    private_score: float | None = None
    error: str = ""


class KaggleClient(Protocol):
    """What compete needs from Kaggle; the official package or a fake object in tests."""

    def submit(self, competition: str, path: Path, message: str) -> str | None:
        """Upload ``path`` as a submission; the submission's ref when Kaggle returns one."""
        ...

    def submissions(self, competition: str) -> list[KaggleSubmission]:
        """The user's submissions to ``competition``, newest first."""
        ...

    def download(self, competition: str, dest: Path) -> list[Path]:
        """Download the competition's files into ``dest``; the paths written."""
        ...


def _config_dir() -> Path:
    return Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))


def has_credentials() -> bool:
    """Whether any of the credential sources the kaggle package reads is present (not whether it is valid)."""
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return True
    if os.environ.get("KAGGLE_API_TOKEN"):
        return True
    folder = _config_dir()
    return (folder / "kaggle.json").is_file() or (folder / "access_token").is_file()


def secrets() -> list[str]:
    """The secret values that must never be shown (keys and tokens from the environment and kaggle.json)."""
    found = [os.environ.get(k, "") for k in ("KAGGLE_KEY", "KAGGLE_API_TOKEN")]
    folder = _config_dir()
    with contextlib.suppress(OSError, ValueError, AttributeError):
        found.append(str(json.loads((folder / "kaggle.json").read_text()).get("key", "")))
    with contextlib.suppress(OSError):
        found.append((folder / "access_token").read_text().strip())
    return [s for s in found if len(s) >= 4]


def redact(text: str) -> str:
    """``text`` with every known secret replaced by ``***``."""
    for secret in secrets():
        text = text.replace(secret, "***")
    return text


def connect() -> KaggleClient:
    """The official Kaggle API, authenticated with the user's credentials.

    Raises :class:`KaggleError` (``reason="credentials"``) before importing anything when no credentials
    are present, and (``reason="package"``) with an install hint when the package is missing.
    """
    if not has_credentials():
        raise KaggleError(f"no Kaggle credentials found; {CREDENTIALS_HINT}", reason="credentials")
    return OfficialKaggle()


class OfficialKaggle:
    """:class:`KaggleClient` over ``kaggle.api.kaggle_api_extended.KaggleApi`` (or ``api``, an object like it).

    Examples
    --------
    .. code-block:: python

        client = OfficialKaggle()
        client.submit("titanic", Path("submission.csv"), "first try")
    """

    def __init__(self, api: Any = None) -> None:
        if api is not None:  # an object with KaggleApi's methods (tests inject a fake one)
            self.api = api
            return
        quiet = io.StringIO()
        try:
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                from kaggle.api.kaggle_api_extended import KaggleApi

                self.api = KaggleApi()
                self.api.authenticate()
        except ImportError:
            raise KaggleError(
                f"the kaggle package is not installed; {INSTALL_HINT}", reason="package"
            ) from None
        except SystemExit:
            raise KaggleError(f"Kaggle did not accept the credentials found; {CREDENTIALS_HINT}",
                              reason="credentials") from None  # fmt: skip
        except Exception as exc:
            raise _wrap(exc, "authenticating with Kaggle") from None

    def submit(self, competition: str, path: Path, message: str) -> str | None:
        resp = self._call("submitting to", competition, self.api.competition_submit, str(path), message,
                          competition, quiet=True)  # fmt: skip
        ref = getattr(resp, "ref", None)
        text = str(getattr(resp, "message", "") or "")
        if not ref and "fail" in text.lower():
            raise KaggleError(f"Kaggle did not accept the upload to {competition!r}: {redact(text)}")
        return str(ref) if ref else None

    def submissions(self, competition: str) -> list[KaggleSubmission]:
        listed = self._call(
            "listing submissions of", competition, self.api.competition_submissions, competition
        )
        return [_submission(s) for s in listed or [] if s is not None]

    def download(self, competition: str, dest: Path) -> list[Path]:
        before = set(dest.iterdir()) if dest.is_dir() else set()
        dest.mkdir(parents=True, exist_ok=True)
        self._call("downloading", competition, self.api.competition_download_files, competition, path=str(dest),
                   quiet=True)  # fmt: skip
        return sorted(set(dest.iterdir()) - before) or sorted(dest.glob(f"{competition}.*"))

    def _call(self, doing: str, competition: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        quiet = io.StringIO()
        try:
            with contextlib.redirect_stdout(quiet):
                return fn(*args, **kwargs)
        except SystemExit:
            raise KaggleError(f"Kaggle refused the credentials while {doing} {competition!r}; {CREDENTIALS_HINT}",
                              reason="credentials") from None  # fmt: skip
        except Exception as exc:
            raise _wrap(exc, f"{doing} {competition!r}") from None


def _wrap(exc: BaseException, doing: str) -> KaggleError:
    """A Kaggle or network exception as a :class:`KaggleError` with the reason sorted out (secrets redacted)."""
    status = getattr(getattr(exc, "response", None), "status_code", None) or getattr(exc, "status", None)
    text = redact(f"{type(exc).__name__}: {exc}")[:300]
    if status in (401, 403):
        hint = "check your credentials, and accept the competition's rules on its Kaggle page"
        return KaggleError(f"Kaggle refused {doing} (HTTP {status}): {text}; {hint}", reason="credentials")
    if status is None and isinstance(exc, OSError):
        return KaggleError(f"cannot reach Kaggle while {doing} ({text}); check the network and retry",
                           reason="network")  # fmt: skip
    return KaggleError(f"Kaggle failed {doing}: {text}", reason="rejected")


def _submission(s: Any) -> KaggleSubmission:
    status = getattr(s, "status", "")
    status = getattr(status, "name", status)
    return KaggleSubmission(
        ref=str(getattr(s, "ref", "")),
        description=str(getattr(s, "description", "") or ""),
        status=str(status or "").lower().removeprefix("submission_status_"),
        public_score=_float(getattr(s, "public_score", getattr(s, "publicScore", None))),
        private_score=_float(getattr(s, "private_score", getattr(s, "privateScore", None))),
        error=str(getattr(s, "error_description", "") or ""),
    )


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
