"""Where Pulse keeps its files on each platform.

One place answers "where is the machine-wide config, the user's config, the data,
the logs", so that tests can point everything at a temporary directory with one
environment variable (``PULSE_HOME``) and IT can find the files from a shell.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Pulse"
APP_AUTHOR = "Pulse"


def _home_override() -> Path | None:
    value = os.environ.get("PULSE_HOME")
    return Path(value) if value else None


def machine_config_file() -> Path:
    """The file IT writes for every user of the workstation."""
    override = os.environ.get("PULSE_MACHINE_CONFIG")
    if override:
        return Path(override)
    home = _home_override()
    if home is not None:
        return home / "machine" / "pulse.toml"
    if sys.platform == "win32":
        program_data = os.environ.get("PROGRAMDATA", r"C:\ProgramData")
        return Path(program_data) / APP_NAME / "pulse.toml"
    return Path("/etc/pulse/pulse.toml")


def user_config_file() -> Path:
    home = _home_override()
    if home is not None:
        return home / "config" / "pulse.toml"
    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / "pulse.toml"


def data_dir() -> Path:
    """Encrypted stores and other per-user state."""
    home = _home_override()
    if home is not None:
        return home / "data"
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def log_dir() -> Path:
    home = _home_override()
    if home is not None:
        return home / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
