"""The first step of every entry point that reads settings: load them, then start logging."""

from __future__ import annotations

from pathlib import Path

from agent_app.foundation import paths
from agent_app.foundation.config import LoadedSettings, load_settings
from agent_app.foundation.logs import install_crash_handlers, setup_logging


def prepare(*, stderr_logging: bool = False) -> LoadedSettings:
    """Load settings and start logging; raises ConfigError."""
    loaded = load_settings()
    settings = loaded.settings.log
    directory = Path(settings.dir) if settings.dir else paths.log_dir()
    setup_logging(
        directory,
        level=settings.level,
        max_bytes=settings.max_bytes,
        backups=settings.backups,
        stderr=stderr_logging,
    )
    install_crash_handlers(directory)
    return loaded
