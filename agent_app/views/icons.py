"""The desk's icons by name: ``icon("hang-up")`` is a QIcon from ``resources/icons``.

Names are checked twice: by mypy at call sites (``IconName``) and at run time, where an
unknown name raises :class:`UnknownIconError` instead of giving a blank icon. Action
icons picture what the action does: ``mute`` is the crossed-out microphone.
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import tempfile
from pathlib import Path
from typing import Final, Literal, get_args

from PySide6.QtGui import QIcon

from agent_app.views.resource_paths import resource
from agent_app.views.styling import current

NEUTRAL_GLYPH: Final = "#37474F"
"""The slate of the neutral glyphs in the SVGs (resources/icons/README.md)."""
_COPIES: list[Path] = []

AppIcon = Literal["pulse"]
StateIcon = Literal["ready", "not-ready", "on-call", "ringing", "wrap-up", "offline"]
ActionIcon = Literal[
    "answer",
    "decline",
    "hang-up",
    "hold",
    "resume",
    "mute",
    "unmute",
    "transfer",
    "conference",
    "dialpad",
]
IndicatorIcon = Literal["registered", "unregistered", "lock", "warning"]
IconName = AppIcon | StateIcon | ActionIcon | IndicatorIcon

# Each group is a subfolder of resources/icons.
_FOLDERS: Final[dict[str, str]] = {
    name: folder
    for folder, group in (
        ("app", AppIcon),
        ("states", StateIcon),
        ("actions", ActionIcon),
        ("indicators", IndicatorIcon),
    )
    for name in get_args(group)
}

ICON_NAMES: Final[tuple[str, ...]] = tuple(_FOLDERS)


class UnknownIconError(LookupError):
    """No icon has this name."""


def icon_path(name: str) -> Path:
    """The SVG file of icon ``name``."""
    folder = _FOLDERS.get(name)
    if folder is None:
        raise UnknownIconError(f"no icon named {name!r}; known icons: {', '.join(ICON_NAMES)}")
    path = resource("icons", folder, f"{name}.svg")
    if not path.is_file():
        raise FileNotFoundError(f"icon {name!r} is missing: {path}")
    return path


def icon(name: IconName) -> QIcon:
    """The icon ``name``, drawn from its SVG at whatever size Qt asks for, with its neutral
    glyphs in the colour of the palette in use (slate on light, pale grey on dark)."""
    return _icon(name, current().glyph)


@functools.cache
def _icon(name: str, glyph: str) -> QIcon:
    # Kept once loaded: the desk asks again on every refresh, and a QIcon is shared cheaply.
    path = icon_path(name)
    if glyph.lower() != NEUTRAL_GLYPH.lower():
        source = path.read_text(encoding="utf-8")
        if NEUTRAL_GLYPH.lower() in source.lower():
            path = _recoloured(name, source, glyph)
    return QIcon(str(path))


def _recoloured(name: str, source: str, glyph: str) -> Path:
    # Qt's SVG icon engine reads files; the recoloured copies live as long as the process.
    if not _COPIES:
        _COPIES.append(Path(tempfile.mkdtemp(prefix="pulse-icons-")))
        atexit.register(shutil.rmtree, _COPIES[0], ignore_errors=True)
    path = _COPIES[0] / f"{name}-{glyph.strip('#')}.svg"
    text = re.sub(re.escape(NEUTRAL_GLYPH), glyph, source, flags=re.IGNORECASE)
    path.write_text(text, encoding="utf-8")
    return path
