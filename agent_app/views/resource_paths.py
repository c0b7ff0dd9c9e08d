"""Locates the Qt Designer forms (``ui/``) and the ``resources/`` tree.

They sit beside the package in a source checkout and inside the bundle of a frozen
(PyInstaller) build; this is the one place that knows both layouts.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parents[2]


def ui_file(name: str) -> Path:
    path = _root() / "ui" / name
    if not path.is_file():
        raise FileNotFoundError(f"Qt form {name} is missing from {path.parent}")
    return path


def resource(*parts: str) -> Path:
    return _root().joinpath("resources", *parts)
