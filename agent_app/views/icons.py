"""The desk's icons by name: ``icon("hang-up")`` is a QIcon from ``resources/icons``.

Names are checked twice: by mypy at call sites (``IconName``) and at run time, where an
unknown name raises :class:`UnknownIconError` instead of giving a blank icon. Action
icons picture what the action does: ``mute`` is the crossed-out microphone.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final, Literal, get_args

from PySide6.QtGui import QIcon

from agent_app.views.resource_paths import resource

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


@functools.cache
def icon(name: IconName) -> QIcon:
    """The icon ``name``, drawn from its SVG at whatever size Qt asks for.

    Kept once loaded: the desk asks again on every refresh, and a QIcon is shared cheaply."""
    return QIcon(str(icon_path(name)))
