"""Bad input as a user meets it: each case through the installed ``compete`` command, in its own process.

Builds a small competition in a temporary folder, breaks one thing per case, runs the command a user
types and prints a table: the case, the exit code, whether anything was written under ``runs/``, a
traceback seen, and the message's first line. Every case should read ``2``, ``no``, ``no``.

    python bench/bad_input.py            # the table (about a minute: one process per case)
    python bench/bad_input.py --markdown # the same as a Markdown table, for a note

The tests pin each message (tests/test_cli.py, tests/test_bad_input.py); this script shows what a
user sees, through the real entry point and a real terminal-less run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SPEC = 'task = "{task}"\ntarget = "y"\nid = "id"\n{extra}\n[cv]\nfolds = 3\n\n[[models]]\nname = "lightgbm"\n'


def frames(task: str = "binary", n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    total = n + n // 2
    x = rng.normal(size=total)
    y = np.where(x > 0, "yes", "no") if task != "regression" else np.exp(x)
    frame = pd.DataFrame({"id": np.arange(total), "x": x, "c": rng.choice(["a", "b"], total), "y": y})
    return frame.iloc[:n].reset_index(drop=True), frame.iloc[n:].drop(columns="y").reset_index(drop=True)


class Case:
    """A folder with a competition (spec + data) that one mutation breaks."""

    def __init__(self, root: Path, task: str = "binary", extra: str = "") -> None:
        self.root, self.data = root, root / "data" / "toy"
        self.data.mkdir(parents=True)
        train, test = frames(task)
        train.to_csv(self.data / "train.csv", index=False)
        test.to_csv(self.data / "test.csv", index=False)
        pd.DataFrame({"id": test["id"], "y": 0}).to_csv(self.data / "sample_submission.csv", index=False)
        self.spec = root / "competitions" / "toy" / "competition.toml"
        self.spec.parent.mkdir(parents=True)
        self.spec.write_text(SPEC.format(task=task, extra=extra))

    def read(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.data / name)

    def write(self, name: str, frame: pd.DataFrame | str) -> None:
        path = self.data / name
        path.write_text(frame) if isinstance(frame, str) else frame.to_csv(path, index=False)

    def args(self, *extra: str) -> list[str]:
        return ["run", "toy", "--competitions", str(self.root / "competitions"), "--data-root",
                str(self.root / "data"), "--runs-dir", str(self.root / "runs"), "--device", "cpu", *extra]  # fmt: skip


def _with(
    column: str, values: Callable[[pd.DataFrame], object], name: str = "train.csv"
) -> Callable[[Case], None]:
    def mutate(case: Case) -> None:
        frame = case.read(name)
        frame[column] = values(frame)
        case.write(name, frame)

    return mutate


def _drop(column: str, name: str) -> Callable[[Case], None]:
    return lambda case: case.write(name, case.read(name).drop(columns=column))


def _spec(extra: str) -> Callable[[Case], None]:
    return lambda case: case.spec.write_text(
        case.spec.read_text().replace('id = "id"\n', f'id = "id"\n{extra}')
    )


def _repeat_header(case: Case) -> None:
    text = (case.data / "train.csv").read_text().splitlines()
    text[0] = text[0].replace(",c,", ",x,")
    case.write("train.csv", "\n".join(text) + "\n")


CASES: list[tuple[str, Callable[[Case], None], tuple[str, ...], str]] = [
    # (name, mutation, extra arguments, task)
    ("missing test file", lambda c: (c.data / "test.csv").unlink(), (), "binary"),
    ("empty train file", lambda c: c.write("train.csv", ""), (), "binary"),
    ("target column missing", _drop("y", "train.csv"), (), "binary"),
    ("id column missing in test", _drop("id", "test.csv"), (), "binary"),
    ("test lacks a train column", _drop("c", "test.csv"), (), "binary"),
    ("test has an extra column", _with("extra", lambda f: 1, "test.csv"), (), "binary"),
    ("one-class target", _with("y", lambda f: "no"), (), "binary"),
    ("text regression target", _with("y", lambda f: "cheap"), (), "regression"),
    ("duplicated test ids", _with("id", lambda f: f["id"].where(f.index != 1, f["id"][0]), "test.csv"), (), "binary"),
    ("unknown metric", _spec('metric = "gini"\n'), (), "binary"),
    ("unknown model in the spec", lambda c: c.spec.write_text(c.spec.read_text().replace("lightgbm", "svm")), (), "binary"),
    ("unknown spec key", _spec('colour = "red"\n'), (), "binary"),
    ("unknown cv scheme", lambda c: c.spec.write_text(c.spec.read_text().replace("folds = 3", 'scheme = "random"')), (), "binary"),
    ("malformed TOML", lambda c: c.spec.write_text('task = "binary\n'), (), "binary"),
    ("unknown ensemble method", _spec('[ensemble]\nmethod = "voting"\n'), (), "binary"),
    ("unknown model on the command line", lambda c: None, ("--models", "svm"), "binary"),
    ("data root that does not exist", lambda c: shutil.rmtree(c.root / "data"), (), "binary"),
    ("unknown competition", lambda c: shutil.rmtree(c.root / "competitions" / "toy"), (), "binary"),
    ("layout cannot hold the metric", _spec('metric = "logloss"\n'), (), "multiclass"),
    ("--device gpu without a GPU", lambda c: None, ("--device", "gpu"), "binary"),
    ("target entirely missing", _with("y", lambda f: np.nan), (), "binary"),
    ("too few rows with a target", _with("y", lambda f: f["y"].where(f.index < 5)), (), "binary"),
    ("train with one row", lambda c: c.write("train.csv", c.read("train.csv").iloc[:1]), (), "binary"),
    ("sample_submission lacks 5 test ids", lambda c: c.write("sample_submission.csv", c.read("sample_submission.csv").iloc[:-5]), (), "binary"),
    ("sample_submission ids not in test", _with("id", lambda f: f["id"] + 1000, "sample_submission.csv"), (), "binary"),
    ("test with zero rows", lambda c: c.write("test.csv", c.read("test.csv").iloc[:0]), (), "binary"),
    ("a repeated column name", _repeat_header, (), "binary"),
]  # fmt: skip


def compete_command() -> list[str]:
    script = Path(sys.executable).with_name("compete")
    return [str(script)] if script.exists() else [sys.executable, "-m", "compete.cli"]


def run_case(
    root: Path, name: str, mutate: Callable[[Case], None], extra: tuple[str, ...], task: str
) -> dict:
    case = Case(root, task=task)
    mutate(case)
    env = {**os.environ, "COLUMNS": "1000", "COMPETE_DATA_ROOT": ""}
    env.pop("COMPETE_DATA_ROOT")
    if "--device" in extra:
        env["PATH"] = "/nonexistent"  # no nvidia-smi to be found: the machine has no GPU
    done = subprocess.run([*compete_command(), *case.args(*extra)], capture_output=True, text=True, env=env,
                          cwd=root, timeout=300)  # fmt: skip
    text = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return {"case": name, "exit": done.returncode, "written": (root / "runs").exists(),
            "traceback": "Traceback" in done.stderr + done.stdout, "message": text[0] if text else ""}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, mutate, extra, task) in enumerate(CASES):
            rows.append(run_case(Path(tmp) / str(i), name, mutate, extra, task))
            rows[-1]["message"] = rows[-1]["message"].replace(str(Path(tmp) / str(i)), "$TMP")
    for r in rows:
        written, tb = "yes" if r["written"] else "no", "yes" if r["traceback"] else "no"
        if args.markdown:
            print(f"| {r['case']} | {r['exit']} | {written} | {tb} | `{r['message']}` |")
        else:
            print(
                f"{r['case']:<36} exit {r['exit']}  written {written:<3}  traceback {tb:<3}  {r['message']}"
            )
    good = sum(r["exit"] == 2 and not r["written"] and not r["traceback"] for r in rows)
    print(f"{good} of {len(rows)} cases refused cleanly (exit 2, nothing written, no traceback)")
    return 0 if good == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
