"""The Kaggle path against fake objects in place of the Kaggle API (no network): success, scores that
arrive later, every failure path recorded as pending or failed, retries, fetch, and credentials that
never reach the console, the ledger or a log."""

from __future__ import annotations

import io
import json
import shutil
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

import compete.kaggle.submit
from compete.errors import DataError, SpecError
from compete.kaggle.client import KaggleError, KaggleSubmission, OfficialKaggle, connect, redact
from compete.kaggle.submit import fetch_competition, retry_kaggle, submit_run
from compete.records.submissions import list_submissions
from tests.test_submit import app, make_run, sub_opts, toy

SECRET = "fake-secret-key-0123456789"
cli = CliRunner()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """One competition (kaggle = "toy-comp") with one run, made once and copied for each test."""
    root = tmp_path_factory.mktemp("kaggle")
    make_run(toy(root, extra='kaggle = "toy-comp"'))
    return root


@pytest.fixture
def comps(base, tmp_path, monkeypatch) -> Path:
    for name in ("competitions", "data", "runs"):
        shutil.copytree(base / name, tmp_path / name)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "no-kaggle-config"))
    for var in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "competitions"


class FakeClient:
    """A :class:`KaggleClient`: remembers uploads; scores them ``score`` (None: not yet scored)."""

    def __init__(self, score: float | None = 0.875, fail: Exception | None = None, error: str = "") -> None:
        self.score, self.fail, self.error = score, fail, error
        self.uploads: list[tuple[str, Path, str]] = []

    def submit(self, competition: str, path: Path, message: str) -> str | None:
        if self.fail is not None:
            raise self.fail
        self.uploads.append((competition, path, message))
        return str(len(self.uploads))

    def submissions(self, competition: str) -> list[KaggleSubmission]:
        status = "error" if self.error else "complete" if self.score is not None else "pending"
        return [KaggleSubmission(str(i + 1), m, status, self.score, None, self.error)
                for i, (_, _, m) in enumerate(self.uploads)][::-1]  # fmt: skip

    def download(self, competition: str, dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        archive = dest / f"{competition}.zip"
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("train.csv", "id,y\n1,0\n")
            z.writestr("test.csv", "id\n2\n")
        return [archive]


class HTTPFailure(Exception):
    """Like requests.HTTPError: a response with a status code."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.response = SimpleNamespace(status_code=status)


class FakeApi:
    """An object with KaggleApi's methods, for the real :class:`OfficialKaggle` wrapper to call."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail

    def competition_submit(self, file_name, message, competition, quiet=False):
        if self.fail is not None:
            raise self.fail
        return SimpleNamespace(ref=7, message="Successfully submitted")

    def competition_submissions(self, competition):
        status = SimpleNamespace(name="COMPLETE")
        return [SimpleNamespace(ref=7, description="x [compete y]", status=status, public_score="0.75",
                                private_score=None, error_description=None)]  # fmt: skip


def submit(comps: Path, client, **kw):
    return submit_run(sub_opts(comps, kaggle=True, **kw), connect_fn=lambda: client)


def test_a_scored_kaggle_submission_records_its_public_score(comps):
    client = FakeClient(score=0.875)
    res = submit(comps, client, message="lgbm")
    assert res.error is None
    (competition, path, message), *_ = client.uploads
    assert (
        competition == "toy-comp" and path.name == "submission.csv" and message.startswith("lgbm [compete ")
    )
    row = list_submissions(comps.parent / "runs", "toy")[0]
    assert row["kaggle_status"] == "complete" and row["public_score"] == 0.875 and row["kaggle_ref"] == "1"
    assert row["local_score"] is not None and row["message"] == "lgbm"


def test_a_score_that_arrives_later_is_fetched_by_retry(comps):
    client = FakeClient(score=None)
    assert submit(comps, client).error is None
    assert list_submissions(comps.parent / "runs", "toy")[0]["kaggle_status"] == "submitted"
    client.score = 0.9
    (done,) = retry_kaggle(comps.parent / "runs", "toy", connect_fn=lambda: client)
    assert done.error is None and len(client.uploads) == 1
    row = list_submissions(comps.parent / "runs", "toy")[0]
    assert row["kaggle_status"] == "complete" and row["public_score"] == 0.9


def test_no_credentials_records_a_pending_submission_that_retry_sends(comps):
    res = submit_run(sub_opts(comps, kaggle=True))  # the real connect(): no credentials anywhere
    assert res.error.reason == "credentials" and "~/.kaggle/kaggle.json" in str(res.error)
    row = list_submissions(comps.parent / "runs", "toy")[0]
    assert row["kaggle_status"] == "pending" and row["local_score"] is not None
    client = FakeClient(score=0.8)
    (done,) = retry_kaggle(comps.parent / "runs", "toy", connect_fn=lambda: client)
    assert done.error is None and client.uploads[0][1] == Path(row["file"])
    assert list_submissions(comps.parent / "runs", "toy")[0]["public_score"] == 0.8


@pytest.mark.parametrize("failure,reason,status", [
    (ConnectionError("Max retries exceeded with url"), "network", "pending"),
    (HTTPFailure(401, "Unauthorized"), "credentials", "pending"),
    (HTTPFailure(400, "Submission file has wrong header"), "rejected", "failed"),
])  # fmt: skip
def test_api_failures_through_the_wrapper(comps, failure, reason, status):
    res = submit(comps, OfficialKaggle(api=FakeApi(fail=failure)))
    assert res.error.reason == reason and str(failure) in str(res.error)
    row = list_submissions(comps.parent / "runs", "toy")[0]
    assert row["kaggle_status"] == status and str(failure) in row["error"]


def test_the_wrapper_reads_scores_from_kaggles_objects(comps):
    client = OfficialKaggle(api=FakeApi())
    assert client.submit("toy-comp", Path("s.csv"), "m") == "7"
    (listed,) = client.submissions("toy-comp")
    assert (listed.ref, listed.status, listed.public_score) == ("7", "complete", 0.75)


def test_kaggle_failing_to_score_is_recorded_with_its_reason(comps):
    res = submit(comps, FakeClient(score=None, error="Evaluation failed: 3 rows missing"))
    assert "3 rows missing" in str(res.error)
    row = list_submissions(comps.parent / "runs", "toy")[0]
    assert row["kaggle_status"] == "error" and "3 rows missing" in row["error"]


def test_missing_package_gives_an_install_hint(comps, monkeypatch):
    monkeypatch.setenv("KAGGLE_USERNAME", "alice")
    monkeypatch.setenv("KAGGLE_KEY", SECRET)
    monkeypatch.setitem(sys.modules, "kaggle", None)
    with pytest.raises(
        KaggleError, match=r"kaggle package is not installed; install the optional extra"
    ) as err:
        connect()
    assert err.value.reason == "package" and err.value.retryable


def test_a_spec_without_a_kaggle_key_is_refused_before_anything_is_recorded(comps):
    spec = comps / "toy" / "competition.toml"
    spec.write_text(spec.read_text().replace('kaggle = "toy-comp"', ""))
    with pytest.raises(SpecError, match=r"kaggle: the spec names no Kaggle competition; add kaggle ="):
        submit(comps, FakeClient())
    assert list_submissions(comps.parent / "runs", "toy") == []


def test_credentials_never_appear_in_output_ledger_or_logs(comps, monkeypatch):
    monkeypatch.setenv("KAGGLE_USERNAME", "alice")
    monkeypatch.setenv("KAGGLE_KEY", SECRET)
    leaky = HTTPFailure(401, f"401 Client Error for url https://www.kaggle.com/api?user=alice&key={SECRET}")
    monkeypatch.setattr(compete.kaggle.submit, "connect", lambda: OfficialKaggle(api=FakeApi(fail=leaky)))
    root = comps.parent
    args = ["submit", "toy", "--kaggle", "--competitions", str(comps), "--data-root", str(root / "data"),
            "--runs-dir", str(root / "runs")]  # fmt: skip
    res = cli.invoke(app, args)
    assert (
        res.exit_code == 2
        and "recorded as pending" in res.output
        and "compete submit toy --retry" in res.output
    )
    assert "key=***" in res.output and SECRET not in res.output
    retry = cli.invoke(
        app, ["submit", "toy", "--retry", "--runs-dir", str(root / "runs"), "--competitions", str(comps)]
    )
    assert retry.exit_code == 2 and SECRET not in retry.output
    for path in (root / "runs").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_redact_hides_the_key_of_kaggle_json(comps, monkeypatch, tmp_path):
    folder = tmp_path / "kaggle-config"
    folder.mkdir()
    (folder / "kaggle.json").write_text(json.dumps({"username": "alice", "key": SECRET}))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(folder))
    assert redact(f"token {SECRET} refused") == "token *** refused"


# ----------------------------------------------------------------------------------------------- fetch


def test_fetch_downloads_and_unpacks_into_the_data_root(comps, tmp_path):
    res = fetch_competition("toy", comps, tmp_path / "fresh", connect_fn=FakeClient)
    assert res.kaggle == "toy-comp" and res.folder == tmp_path / "fresh" / "toy"
    assert sorted(p.name for p in res.files) == ["test.csv", "train.csv"]
    assert (res.folder / "train.csv").read_text() == "id,y\n1,0\n" and not (
        res.folder / "toy-comp.zip"
    ).exists()
    by_slug = fetch_competition("other-comp", comps, tmp_path / "fresh", connect_fn=FakeClient)
    assert by_slug.folder == tmp_path / "fresh" / "other-comp" and (by_slug.folder / "test.csv").is_file()


def test_fetch_fails_clearly_without_credentials_or_network(comps, tmp_path):
    cmd = ["fetch", "toy", "--competitions", str(comps), "--data-root", str(tmp_path / "fresh")]
    res = cli.invoke(app, cmd)
    assert res.exit_code == 2 and "no Kaggle credentials found" in res.output
    offline = OfficialKaggle(api=SimpleNamespace(competition_download_files=_offline))
    with pytest.raises(
        KaggleError, match="cannot reach Kaggle while downloading 'toy-comp'.*check the network"
    ) as err:
        fetch_competition("toy", comps, tmp_path / "fresh", connect_fn=lambda: offline)
    assert err.value.reason == "network"


def _offline(*args, **kwargs):
    raise ConnectionError("Name or service not known")


def test_fetch_refuses_an_archive_that_escapes_the_folder(comps, tmp_path):
    class Evil(FakeClient):
        def download(self, competition: str, dest: Path) -> list[Path]:
            dest.mkdir(parents=True, exist_ok=True)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("../escape.csv", "x")
            (dest / "bad.zip").write_bytes(buf.getvalue())
            return [dest / "bad.zip"]

    with pytest.raises(DataError, match=r"member '../escape.csv' would be written outside"):
        fetch_competition("toy", comps, tmp_path / "fresh", connect_fn=Evil)
    assert not (tmp_path / "fresh" / "escape.csv").exists()
