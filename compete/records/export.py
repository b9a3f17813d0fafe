"""``compete export``: a run's fitted pipeline as a folder that predicts offline (a Kaggle code
competition's notebook has no internet and no compete).

The folder holds the run's ``artifacts/``, a copy of compete's own code (pure Python: only what the
prediction imports is used), ``predict.py`` and ``requirements.txt`` pinning the libraries at the
versions the run was made with; with ``wheels=True`` also ``wheels/``, those libraries downloaded as
wheels for this platform, so that ``pip install --no-index --find-links wheels -r requirements.txt``
needs no network. Then ``python predict.py --data test.csv -o submission.csv``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from compete.errors import RunError
from compete.records.artifacts import ARTIFACTS

__all__ = ["ExportResult", "export_run", "PREDICT_PY"]

# What predicting imports, whatever the models (pandas' and scikit-learn's own dependencies follow).
CORE = (
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
    "joblib",
)  # pandas 3 strings are pyarrow-backed

PREDICT_PY = '''"""Predict with an exported compete run, offline: python predict.py --data test.csv -o submission.csv"""

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the copy of compete beside this file

from compete.records.artifacts import predict_file  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", required=True, help="csv (or parquet) rows to predict, with the id column")
    ap.add_argument("-o", "--output", required=True, help="where to write the submission")
    args = ap.parse_args()
    sub = predict_file(HERE, args.data, args.output)
    print(f"predicted {len(sub)} rows: {args.output}")


if __name__ == "__main__":
    main()
'''


@dataclass
class ExportResult:
    """What an export wrote."""

    folder: Path
    requirements: list[str]
    bytes: int
    wheels: int


def export_run(run_dir: str | Path, to: str | Path, *, wheels: bool = False) -> ExportResult:
    """Write ``run_dir``'s fitted pipeline to the folder ``to`` (which must not exist yet)."""
    run_dir, to = Path(run_dir), Path(to)
    manifest_path = run_dir / ARTIFACTS / "manifest.json"
    if not manifest_path.is_file():
        raise RunError(
            f"{run_dir}: the run kept no fitted models (--no-models, keep_models = false, or a blend of past "
            "runs); re-run it with compete run to export it"
        )
    if to.exists():
        raise RunError(f"--to {to}: already exists; name a new folder (nothing was written)")
    manifest = json.loads(manifest_path.read_text())
    requirements = _requirements(manifest)
    staging = to.with_name(f".{to.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(run_dir / ARTIFACTS, staging / ARTIFACTS)
        _copy_compete(staging / "compete")
        (staging / "predict.py").write_text(PREDICT_PY, encoding="utf-8")
        (staging / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
        n_wheels = _download_wheels(requirements, staging / "wheels") if wheels else 0
        staging.rename(to)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size = sum(p.stat().st_size for p in to.rglob("*") if p.is_file())
    return ExportResult(to, requirements, size, n_wheels)


def _requirements(manifest: dict) -> list[str]:
    """The pinned libraries predicting needs: the core, and the libraries of the kept models."""
    versions: dict[str, str] = manifest.get("versions", {})
    names = [*CORE, *manifest.get("libraries", [])]
    return [f"{name}=={versions[name]}" if name in versions else name for name in names]


def _copy_compete(target: Path) -> None:
    source = Path(__file__).resolve().parents[1]
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _download_wheels(requirements: list[str], folder: Path) -> int:
    """The pinned libraries and their dependencies as wheels for this platform (``pip download``)."""
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--disable-pip-version-check",
           "-q", "-d", str(folder), *requirements]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise RunError(f"--wheels: pip could not download {', '.join(requirements)}: {last}; export without "
                       "--wheels and install the libraries where the notebook can")  # fmt: skip
    return len(list(folder.glob("*.whl")))
