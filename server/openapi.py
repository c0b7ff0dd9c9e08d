"""The OpenAPI document of /api/v1, as kept in the repository (``server/openapi.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPENAPI_FILE = Path(__file__).parent / "openapi.json"


def document() -> dict[str, Any]:
    """The schema of an app built on throwaway settings (no database is opened)."""
    from server.app import create_app
    from server.runtime import Runtime
    from server.settings import ServerSettings

    settings = ServerSettings(database_url="sqlite://", secret_key="openapi-export")  # noqa: S106 (never serves)
    app = create_app(runtime=Runtime.build(settings))
    schema: dict[str, Any] = app.openapi()
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_openapi(path: Path = OPENAPI_FILE) -> None:
    path.write_text(render(document()), encoding="utf-8")
