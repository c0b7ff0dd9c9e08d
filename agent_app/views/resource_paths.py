"""Locates the Qt Designer forms (``ui/``), the ``resources/`` tree and the translations.

In the source tree (and so in an editable install) they are top-level folders beside
the package. An installed wheel carries them inside the package as ``agent_app/_ui``
and ``agent_app/_resources`` (docs/decisions/0022-forms-and-resources-in-the-wheel.md). A
frozen (PyInstaller) build has them in its bundle, in either of those two layouts.
The translations are ``.ts`` sources in ``translations/`` in the source tree and compiled
``.qm`` files in ``agent_app/_translations`` in a wheel (decision 0026).
This is the one place that knows the layouts.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def _folder(packaged: str, top_level: str) -> Path:
    """The first existing of: inside the package, the frozen bundle, beside the package."""
    candidates = [_PACKAGE / packaged]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / top_level)
    candidates.append(_PACKAGE.parent / top_level)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"the {top_level}/ folder of Pulse is missing (looked in {looked})")


def forms_dir() -> Path:
    """The folder that holds the Qt Designer forms."""
    return _folder("_ui", "ui")


def resources_dir() -> Path:
    """The root of the resources tree (icons and, later, sounds, translations, styles)."""
    return _folder("_resources", "resources")


def translations_dir() -> Path:
    """The folder of the translation catalogues (``.qm`` when built, else ``.ts`` sources)."""
    return _folder("_translations", "translations")


def ui_file(name: str) -> Path:
    path = forms_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"Qt form {name} is missing from {path.parent}")
    return path


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
