"""Writes IT's deployment values into the machine-wide ``pulse.toml``.

The Windows installer runs ``pulse-agent machine-config --server-url ... --sip-registrar ...``
with its ``SERVER_URL``, ``SIP_REGISTRAR``, ``SIP_TRANSPORT`` and ``CA_BUNDLE`` properties.
Only the keys given a non-empty value change; every other line of an existing file (IT's own
keys and comments) stays as it was. The result is validated before it replaces the file, so a
bad value fails the install instead of stopping every agent's start-up later.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from agent_app.foundation import paths
from agent_app.foundation.config import SECTIONS, ConfigError, Settings

# Command-line option -> the setting it writes (the MSI's property names, lower-cased).
OPTIONS: dict[str, str] = {
    "server_url": "sync.server_url",
    "sip_registrar": "sip.registrar",
    "sip_transport": "sip.transport",
    "ca_bundle": "sync.ca_bundle",
}

_HEADER = (
    "# Pulse machine-wide settings (packaging/README.md lists every key).\n"
    "# Values set here for security settings are locked for every user of this computer.\n"
)


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes, \\uXXXX included); Windows
    # paths keep their backslashes this way.
    return json.dumps(value, ensure_ascii=False)


def _set_key(text: str, section: str, key: str, value: str) -> str:
    """``text`` with ``section.key = value``: an existing or commented-out line of the key in
    that section is replaced, otherwise the line goes right after the section's header, and a
    missing section is appended."""
    line = f"{key} = {_toml_string(value)}"
    lines = text.splitlines()
    header = re.compile(r"^\s*\[([^\]]+)\]\s*(#.*)?$")
    assignment = re.compile(rf"^\s*#?\s*{re.escape(key)}\s*=")
    current = None
    header_at = None
    commented_at = None
    for index, existing in enumerate(lines):
        match = header.match(existing)
        if match:
            current = match.group(1).strip()
            if current == section:
                header_at = index
            continue
        if current != section or not assignment.match(existing):
            continue
        if not existing.lstrip().startswith("#"):
            lines[index] = line
            return "\n".join(lines) + "\n"
        if commented_at is None:
            commented_at = index
    if commented_at is not None:
        lines.insert(commented_at + 1, line)
    elif header_at is not None:
        lines.insert(header_at + 1, line)
    else:
        if lines and lines[-1].strip():
            lines.append("")
        lines += [f"[{section}]", line]
    return "\n".join(lines) + "\n"


def _validate(text: str, path: Path) -> None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    for section, body in data.items():
        if section not in SECTIONS or not isinstance(body, dict):
            raise ConfigError(f"{path}: unknown section [{section}]")
    try:
        Settings.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def write_machine_config(path: Path, values: dict[str, str]) -> list[str]:
    """Sets the non-empty ``values`` (keyed as :data:`OPTIONS`) in the file at ``path``,
    creating it and its folder when missing (even with nothing to set). Returns the dotted
    keys written; raises :class:`ConfigError` and leaves the file untouched when the result
    would not be valid."""
    existed = True
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        # Created even with nothing to set: on Windows, users may create files in a folder
        # under %ProgramData%, but not change one the installer (LocalSystem) owns; a machine
        # file they wrote would otherwise apply to every user of the computer.
        existed = False
        text = _HEADER
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    written = []
    for option, dotted in OPTIONS.items():
        value = values.get(option, "").strip()
        if not value:
            continue
        section, key = dotted.split(".", 1)
        text = _set_key(text, section, key, value)
        written.append(dotted)
    if existed and not written:
        return []
    _validate(text, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Replaced in one step, so that a failed write never leaves a half-written file.
    fd, temporary = tempfile.mkstemp(prefix=".pulse-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        # Every user of the computer reads it; only administrators write it.
        Path(temporary).chmod(0o644)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return written


def register_machine_config_command(subcommands: Any) -> None:
    """Add ``machine-config`` to ``pulse-agent``'s subcommands."""
    parser = subcommands.add_parser(
        "machine-config",
        help="set deployment values in the machine-wide pulse.toml (run by the installer)",
        description=(
            "Sets the given values in the machine-wide settings file, keeping the rest of it. "
            "An empty value leaves its key as it is."
        ),
    )
    for option, dotted in OPTIONS.items():
        parser.add_argument(
            "--" + option.replace("_", "-"), default="", metavar="VALUE", help=f"sets {dotted}"
        )
    parser.add_argument(
        "--file",
        type=Path,
        default=None,
        help=f"the file to write (default: {paths.machine_config_file()})",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    path = args.file or paths.machine_config_file()
    values = {option: getattr(args, option) for option in OPTIONS}
    try:
        written = write_machine_config(path, values)
    except (ConfigError, OSError) as exc:
        print(f"pulse-agent machine-config: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: set {', '.join(written)}" if written else f"{path}: nothing to set")
    return 0
