"""The self-contained bundle (``dist/pulse-agent``) for the packaging tests and the
package benchmark: reused when it is newer than everything it is built from, otherwise
built as ``make package`` builds it."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
BUNDLE = DIST / "pulse-agent"
EXECUTABLE = BUNDLE / "pulse-agent"
SPEC = ROOT / "packaging" / "bundle" / "pulse.spec"
QM_DIR = ROOT / "build" / "translations"
_SOURCES = ("agent_app", "ui", "resources", "translations", "packaging/bundle")


def missing_tools() -> str:
    """Why the bundle cannot be built here ("" when it can)."""
    if importlib.util.find_spec("PyInstaller") is None:
        return "PyInstaller is not installed (the project's `package` extra; `make venv`)"
    for tool in ("readelf", "objdump"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian: binutils; `make deps-package`)"
    return ""


def newest_source() -> float:
    newest = (ROOT / "pyproject.toml").stat().st_mtime
    for folder in _SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                newest = max(newest, path.stat().st_mtime)
    return newest


def is_current() -> bool:
    return EXECUTABLE.is_file() and EXECUTABLE.stat().st_mtime > newest_source()


def ensure_bundle() -> Path:
    """``dist/pulse-agent``, built first unless it is current; returns its executable."""
    if is_current():
        return EXECUTABLE
    subprocess.run(
        [sys.executable, "-m", "agent_app.foundation.qm", str(QM_DIR)]
        + [str(p) for p in sorted((ROOT / "translations").glob("*.ts"))],
        check=True,
        cwd=ROOT,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(ROOT / "build" / "pyinstaller"),
            str(SPEC),
        ],
        check=True,
        cwd=ROOT,
        timeout=900,
    )
    return EXECUTABLE


def size_bytes(folder: Path = BUNDLE) -> int:
    """Bytes of the files in ``folder`` (symbolic links not followed)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
