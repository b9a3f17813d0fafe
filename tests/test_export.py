"""``compete export``: a folder that predicts offline, checked the way a Kaggle notebook would use it —
a fresh virtual environment, libraries installed from the exported wheels only (no index), then
``python predict.py`` writing the run's own submission byte for byte."""

from __future__ import annotations

import subprocess
import sys
import venv

from typer.testing import CliRunner

from compete.cli import app
from compete.run.options import RunOptions
from compete.run.runner import run_competition


def test_an_exported_run_installs_offline_and_predicts_its_own_submission(competition, tmp_path):
    comps = competition()  # LightGBM only: the wheels to install stay few
    root = comps.parent
    res = run_competition(RunOptions("toy", comps, root / "data", None, root / "runs", device="cpu"))
    out = tmp_path / "export"
    done = CliRunner().invoke(app, ["export", f"toy/{res.run_id}", "--to", str(out), "--wheels", "--runs-dir",
                                    str(root / "runs")], env={"COLUMNS": "200"})  # fmt: skip
    assert done.exit_code == 0, done.output
    requirements = (out / "requirements.txt").read_text().split()
    assert [r.split("==")[0] for r in requirements] == ["numpy", "pandas", "pyarrow", "scikit-learn", "scipy",
                                                        "joblib", "lightgbm"]  # fmt: skip
    assert all("==" in r for r in requirements), requirements
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    install = [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index", "--find-links",
               str(out / "wheels"), "-r", str(out / "requirements.txt")]  # fmt: skip
    subprocess.run(install, check=True, capture_output=True, text=True, timeout=600)
    sub = tmp_path / "submission.csv"
    ran = subprocess.run([python, "predict.py", "--data", str(root / "data" / "toy" / "test.csv"), "-o", str(sub)],
                         cwd=out, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "predicted 120 rows" in ran.stdout
    assert sub.read_bytes() == res.submission.read_bytes()
    # the environment has no compete and no typer: predict.py uses the copy beside it
    probe = subprocess.run([python, "-c", "import typer"], capture_output=True, text=True)
    assert probe.returncode != 0 and sys.executable != python


def test_export_refuses_a_folder_that_exists_and_a_run_without_models(competition, tmp_path):
    comps = competition()
    root = comps.parent
    res = run_competition(RunOptions("toy", comps, root / "data", None, root / "runs", device="cpu"))
    (tmp_path / "taken").mkdir()
    args = ["export", str(res.path), "--to", str(tmp_path / "taken")]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 2 and "already exists; name a new folder" in " ".join(done.output.split())
    bare = run_competition(
        RunOptions("toy", comps, root / "data", None, root / "runs", device="cpu", keep_models=False)
    )
    done = CliRunner().invoke(app, ["export", str(bare.path), "--to", str(tmp_path / "new")])
    assert done.exit_code == 2 and "the run kept no fitted models" in " ".join(done.output.split())
    assert not (tmp_path / "new").exists() and not list(tmp_path.glob(".new*"))
