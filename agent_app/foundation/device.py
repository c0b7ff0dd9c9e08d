"""This workstation's stable identifier, sent at sign-in (not a secret)."""

from __future__ import annotations

import uuid

from agent_app.foundation import paths


def device_id() -> str:
    """The id kept in the data directory, made on first use."""
    path = paths.data_dir() / "device-id"
    try:
        value = path.read_text(encoding="ascii").strip()
        return str(uuid.UUID(value))
    except (OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        value = str(uuid.uuid4())
        path.write_text(value, encoding="ascii")
        return value
