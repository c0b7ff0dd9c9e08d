"""``GET /api/v1/version``: this server's version and the oldest desk it serves.

Unauthenticated, so that a desk can ask before signing in and an older one can say
"Update required" instead of failing on an API it does not know.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from server import __version__
from server.api.deps import RuntimeDep

router = APIRouter(prefix="/api/v1", tags=["identity"])


class VersionOut(BaseModel):
    server_version: str
    min_desk_version: str = ""
    """Empty: the server names no minimum."""


@router.get("/version", response_model=VersionOut)
def version(rt: RuntimeDep) -> Any:
    return VersionOut(server_version=__version__, min_desk_version=rt.settings.min_desk_version)
