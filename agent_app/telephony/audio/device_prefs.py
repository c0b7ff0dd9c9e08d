"""Remember the agent's microphone, speaker and ringer on this workstation.

The choices live in the ``[audio]`` table of the per-user settings file (the layer above
IT's machine-wide file, see :mod:`agent_app.foundation.config`). Only that table is rewritten; the
rest of the file is kept byte for byte, the result is checked to parse before it
replaces the file (atomically), and a file that does not parse is left alone with a
named error rather than overwritten.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path

from agent_app.foundation import paths
from agent_app.foundation.config import ConfigError

ROLES = ("microphone", "speaker", "ringer")


class DevicePrefsError(ConfigError):
    """The choice could not be saved; the settings file is unchanged."""


def save_device_choice(
    *,
    microphone: str | None = None,
    speaker: str | None = None,
    ringer: str | None = None,
    path: Path | None = None,
) -> Path:
    """Store the given roles (None leaves a role as it is); returns the file written."""
    target = path or paths.user_config_file()
    updates = {
        k: v
        for k, v in (("microphone", microphone), ("speaker", speaker), ("ringer", ringer))
        if v is not None
    }
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise DevicePrefsError(f"{target}: cannot be read ({exc.strerror})") from None
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DevicePrefsError(f"{target}: not valid TOML, not changed ({exc})") from None
    audio = before.get("audio", {})
    if not isinstance(audio, dict):
        raise DevicePrefsError(f"{target}: 'audio' is not a table, not changed")
    merged = {**audio, **updates}
    block = ["[audio]"] + [f"{k} = {json.dumps(merged[k])}" for k in ROLES if k in merged]
    block += [f"{k} = {json.dumps(v)}" for k, v in merged.items() if k not in ROLES]

    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "[audio]"), None)
    if start is None:
        new_lines = [*lines, *([""] if lines and lines[-1].strip() else []), *block]
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
            len(lines),
        )
        new_lines = [*lines[:start], *block, "", *lines[end:]]
    new_text = "\n".join(new_lines).rstrip("\n") + "\n"
    after = tomllib.loads(new_text)
    if {k: v for k, v in after.items() if k != "audio"} != {
        k: v for k, v in before.items() if k != "audio"
    } or after.get("audio") != merged:
        raise DevicePrefsError(f"{target}: the [audio] table could not be updated safely")

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".pulse-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new_text)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            Path(tmp).chmod(target.stat().st_mode & 0o777)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
