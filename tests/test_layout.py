"""The layout's rules that import-linter does not check: public names only across modules, ``__all__``
lists that say what other modules use, a docstring per subpackage, a lazy top-level API."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import compete

REPO = Path(__file__).parents[1]
SOURCES = sorted(
    [*(REPO / "compete").rglob("*.py"), *(REPO / "bench").rglob("*.py"), *(REPO / "tests").glob("*.py")]
)


def imports_from_compete(path: Path) -> list[tuple[str, str, int]]:
    """``(module, name, line)`` of every ``from compete... import name`` in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.module, alias.name, node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("compete")
            for alias in node.names]  # fmt: skip


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(REPO)}:{line}"


def test_no_module_imports_another_modules_private_names():
    private = [f"{_where(p, line)} imports {name} from {module}" for p in SOURCES
               for module, name, line in imports_from_compete(p) if name.startswith("_") and not name.startswith("__")]  # fmt: skip
    assert private == []


def test_names_imported_across_modules_are_in_their_modules_all():
    missing = []
    for path in SOURCES:
        for module, name, line in imports_from_compete(path):
            mod = importlib.import_module(module)
            exported = getattr(mod, "__all__", None)
            is_module = (
                importlib.util.find_spec(f"{module}.{name}") is not None
                if hasattr(mod, "__path__")
                else False
            )
            if exported is not None and name not in exported and not is_module:
                missing.append(f"{_where(path, line)}: {module}.{name} is not in its __all__")
    assert missing == []


def test_every_subpackage_says_what_it_owns():
    for init in (REPO / "compete").rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, f"{init.relative_to(REPO)} needs a docstring saying what the folder owns"


def test_public_api_is_complete_and_lazy():
    assert set(compete.__all__) - {"__version__"} == set(compete._EXPORTS)
    for name in compete._EXPORTS:
        assert getattr(compete, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = compete.nope
    code = "import sys, compete, compete.cli; print(sorted({'pandas', 'sklearn', 'lightgbm', 'optuna'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]", "`compete --help` must not import the heavy libraries"


def test_the_old_runner_path_still_works_for_one_release():
    code = "import warnings; warnings.simplefilter('error'); import compete.runner"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode != 0 and "compete.runner is deprecated: import from compete" in out.stderr
    with pytest.warns(DeprecationWarning):
        sys.modules.pop("compete.runner", None)
        shim = importlib.import_module("compete.runner")
    assert shim.run_competition is compete.run_competition and shim.RunOptions is compete.RunOptions
