"""The benchmarks and the testbed stand on their own: nothing in them reaches into ``tests``,
neither by an import nor by a module path handed to a child process (``python -m ...``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "testbed").glob("*.py")])


def _reaches_into_tests(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        else:
            continue
        found += [
            f"line {node.lineno}: {name}"
            for name in names
            if name == "tests" or name.startswith(("tests.", "tests/"))
        ]
    return found


def test_there_is_something_to_check() -> None:
    names = {path.name for path in SOURCES}
    assert {"cache_lookup.py", "sync_drain.py", "timing.py", "audio_call.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_import_or_module_path_from_tests(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert _reaches_into_tests(tree) == []


def test_the_check_sees_an_import_and_a_module_path() -> None:
    code = (
        "from tests.helpers import x\n"
        "import tests.helpers.y\n"
        "run(['python', '-m', 'tests.helpers.z'])\n"
        "from testbed.timing import wait_until\n"
    )
    assert len(_reaches_into_tests(ast.parse(code))) == 3
