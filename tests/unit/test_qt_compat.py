"""The PySide6 6.12.0 defects: reference losses must not abort the interpreter, and imports must
not leave every module's source in memory, once the workarounds are on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APPLY = "from agent_app.foundation import qt_compat\nqt_compat.apply()\n"


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_thousands_of_emits_do_not_abort_the_interpreter() -> None:
    run = run_python(
        APPLY + "from PySide6.QtCore import QObject, Signal\n"
        "class P(QObject):\n"
        "    s = Signal(object)\n"
        "p = P()\n"
        "for i in range(20000):\n"
        "    p.s.emit(i)\n"
        "print('ok')\n"
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"


VOID_CALLS = (
    "from PySide6.QtCore import QObject\n"
    "o = QObject()\n"
    "for i in range(300000):\n"
    "    o.setObjectName('x')\n"
)


def test_a_desk_refreshing_its_labels_for_hours_does_not_abort() -> None:
    """Each void Qt call drops a reference to None; 300,000 are about an hour of a busy desk."""
    run = run_python(APPLY + VOID_CALLS + "print('ok')\n")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"


def test_without_the_workaround_void_calls_abort_the_interpreter() -> None:
    """The defect is still there: when a PySide6 upgrade fixes it, the pin can go."""
    run = run_python(VOID_CALLS)
    assert run.returncode != 0
    assert "none_dealloc" in run.stderr


SOURCE_SCAN = (
    "import linecache, sys\n"
    "import PySide6.QtCore\n"
    "import names_qt, names_nothing\n"
    "feature = sys.modules['PySide6.support.feature']\n"
    "mine = ('names_qt.py', 'names_nothing.py')\n"
    "cached = sorted(n for n in linecache.cache if n.endswith(mine))\n"
    "print(cached)\n"
    "print(feature.pyside_feature_dict['names_qt'], feature.pyside_feature_dict['names_nothing'])\n"
)


def run_source_scan(tmp_path: Path, code: str) -> list[str]:
    (tmp_path / "names_qt.py").write_text("from PySide6.QtCore import QObject\n")
    (tmp_path / "names_nothing.py").write_text("ANSWER = 42\n")
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.splitlines()


def test_modules_imported_after_pyside_keep_no_source_in_memory(tmp_path: Path) -> None:
    """The import hook still tells a module that uses PySide6 (0) from one that does not
    (-1), without leaving either module's source in ``linecache``."""
    cached, marks = run_source_scan(tmp_path, APPLY + SOURCE_SCAN)
    assert cached == "[]"
    assert marks == "0 -1"


def test_without_the_workaround_the_hook_keeps_every_source(tmp_path: Path) -> None:
    """The defect is still there: when a PySide6 upgrade drops the scan, the patch can go."""
    cached, marks = run_source_scan(tmp_path, SOURCE_SCAN)
    assert "names_qt.py" in cached
    assert "names_nothing.py" in cached
    assert marks == "0 -1"
