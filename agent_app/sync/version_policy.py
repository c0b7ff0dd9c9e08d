"""The server's minimum desk version: read at sign-in, compared with this desk's version.

A server may name the oldest Pulse it still serves (``GET /api/v1/version``); an older desk
then refuses to sign in with a message naming both versions, instead of failing later on
an API it does not understand. A server without the endpoint names no minimum.
"""

from __future__ import annotations

from agent_app import __version__
from agent_app.sync.login import LoginError


class UpdateRequired(LoginError):
    """This desk is older than the server's minimum; the message names both versions."""

    def __init__(self, minimum: str, current: str) -> None:
        super().__init__(update_message(minimum, current))
        self.minimum = minimum
        self.current = current


UPDATE_TEMPLATE = (
    "Update required: this server needs Pulse {minimum} or later (you have {current})."
)


def update_message(minimum: str, current: str) -> str:
    return UPDATE_TEMPLATE.format(minimum=minimum, current=current)


def parse_version(text: str) -> tuple[int, ...]:
    """``"1.4.2"`` -> (1, 4, 2); a pre-release or local suffix (``rc1``, ``.dev0``) is ignored."""
    parts: list[int] = []
    for piece in text.strip().split("."):
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts)


def is_older(current: str, minimum: str) -> bool:
    """True when ``current`` is below ``minimum`` (missing parts count as zero)."""
    have, need = parse_version(current), parse_version(minimum)
    width = max(len(have), len(need))
    return have + (0,) * (width - len(have)) < need + (0,) * (width - len(need))


def check_minimum(minimum: str | None, current: str = __version__) -> None:
    """Raise :class:`UpdateRequired` when the server's ``minimum`` is above ``current``."""
    if minimum and is_older(current, minimum):
        raise UpdateRequired(minimum, current)
