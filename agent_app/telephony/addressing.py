"""Dial strings and caller identity: pure functions, no pjsua2.

``normalise_target`` turns what an agent types (a number with spaces and dashes, a
``user@host``, a full SIP URI) into the request URI the engine dials.
``caller_identity`` reads the caller's number and display name from an INVITE,
trusting P-Asserted-Identity first, then Remote-Party-ID, then From.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER_CHARS = re.compile(r"^[+]?[0-9*#]+$")
_VISUAL_SEPARATORS = re.compile(r"[\s\-().]")
_USER = re.compile(r"^[A-Za-z][A-Za-z0-9._~-]*$")


class InvalidTarget(ValueError):
    """A dial string that is neither a number nor a SIP address."""


def normalise_target(target: str, domain: str, transport: str = "udp") -> str:
    """A request URI for ``target``; numbers and bare users are placed in ``domain``."""
    text = target.strip()
    if not text:
        raise InvalidTarget("empty dial string")
    lowered = text.lower()
    if lowered.startswith(("sip:", "sips:")):
        uri = text
    elif lowered.startswith("tel:"):
        uri = f"sip:{_number(text[4:])}@{domain}"
    elif "@" in text:
        uri = f"sip:{text}"
    elif _USER.match(text) and not _NUMBER_CHARS.match(_VISUAL_SEPARATORS.sub("", text)):
        uri = f"sip:{text}@{domain}"  # an extension name such as "nurse-line"
    else:
        uri = f"sip:{_number(text)}@{domain}"
    if any(c.isspace() for c in uri) or "<" in uri or ">" in uri:
        raise InvalidTarget("a SIP address cannot contain spaces or angle brackets")
    if transport != "udp" and ";transport=" not in uri.lower() and uri.lower().startswith("sip:"):
        uri += f";transport={transport}"
    return uri


def _number(text: str) -> str:
    digits = _VISUAL_SEPARATORS.sub("", text)
    if not _NUMBER_CHARS.match(digits):
        raise InvalidTarget("a number may hold only digits, *, # and a leading +")
    return digits


@dataclass(frozen=True)
class CallerIdentity:
    number: str
    display_name: str
    source: str  # header the identity was taken from


_HEADER_ORDER = ("p-asserted-identity", "remote-party-id", "from")
_COMPACT = {"f": "from"}


def _headers(message: str) -> dict[str, list[str]]:
    """Header values by lower-case name (folded lines joined; body ignored)."""
    head = re.split(r"\r?\n\r?\n", message, maxsplit=1)[0]
    lines = re.split(r"\r?\n", head)[1:]  # skip the request line
    found: dict[str, list[str]] = {}
    last: str | None = None
    for line in lines:
        if line[:1] in (" ", "\t") and last is not None:
            found[last][-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        found.setdefault(key, []).append(value.strip())
        last = key
    return found


def _split_values(value: str) -> list[str]:
    """Split a header on commas outside quotes and angle brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth = max(0, depth - 1)
        if ch == "," and not quoted and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_name_addr(value: str) -> tuple[str, str]:
    """(display name, URI) of a name-addr or addr-spec header value."""
    value = value.strip()
    display = ""
    match = re.match(r'^\s*"((?:[^"\\]|\\.)*)"\s*<([^>]*)>', value)
    if match:
        display = re.sub(r"\\(.)", r"\1", match.group(1))
        return display.strip(), match.group(2).strip()
    match = re.match(r"^\s*([^<]*)<([^>]*)>", value)
    if match:
        return match.group(1).strip(), match.group(2).strip()
    return "", value.split(";", 1)[0].strip()


def uri_user(uri: str) -> str:
    """The user part of a sip/sips URI, or the number of a tel URI."""
    lowered = uri.lower()
    if lowered.startswith("tel:"):
        return uri[4:].split(";", 1)[0]
    rest = uri.split(":", 1)[1] if ":" in uri else uri
    user = rest.split("@", 1)[0] if "@" in rest else ""
    return user.split(";", 1)[0]


def caller_identity(message: str) -> CallerIdentity:
    """Caller number and display name from a raw SIP request, best header first."""
    headers = _headers(message)
    for name in _HEADER_ORDER:
        for raw in headers.get(name, []):
            candidates = [parse_name_addr(v) for v in _split_values(raw)]
            # A tel: URI in P-Asserted-Identity is the network-asserted number.
            candidates.sort(key=lambda c: not c[1].lower().startswith("tel:"))
            for display, uri in candidates:
                number = uri_user(uri)
                if number:
                    shown = display or _first_display(candidates)
                    return CallerIdentity(number, shown, name)
    return CallerIdentity("", "", "")


def _first_display(candidates: list[tuple[str, str]]) -> str:
    return next((d for d, _ in candidates if d), "")
