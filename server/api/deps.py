"""Shared dependencies: the database session, the calling principal, role checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from server.identity import AuthError, Principal, authenticate
from server.runtime import Runtime

_bearer = HTTPBearer(auto_error=False)


async def runtime(request: Request) -> Runtime:
    """Async on purpose: a trivial lookup that should not cost a threadpool hop."""
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(runtime)]


def db_session(rt: RuntimeDep) -> Iterator[Session]:
    with rt.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session)]


Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError(401, "missing bearer token")
    return credentials.credentials


def principal(rt: RuntimeDep, credentials: Bearer) -> Principal:
    with rt.read_engine.connect() as conn:
        return authenticate(conn, bearer_token(credentials))


CurrentPrincipal = Annotated[Principal, Depends(principal)]


def staff(who: CurrentPrincipal) -> Principal:
    if who.role not in ("supervisor", "admin"):
        raise HTTPException(403, "supervisors and admins only")
    return who


def admin(who: CurrentPrincipal) -> Principal:
    if who.role != "admin":
        raise HTTPException(403, "admins only")
    return who


StaffPrincipal = Annotated[Principal, Depends(staff)]
AdminPrincipal = Annotated[Principal, Depends(admin)]
