"""The FastAPI application: routes, error shapes, body-size limit, CORS (off by default), and a
request log that names methods, route templates, statuses and timings only (never bodies,
query strings or PHI).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import __version__, purge
from server.api import admin, agent, auth, outbound, sync, version
from server.content import ContentError
from server.identity import AuthError
from server.runtime import Runtime
from server.settings import ServerSettings
from server.sip_secrets import SecretKeyError

log = logging.getLogger("pulse.server.http")


# Answers hold PHI and tokens: no cache may keep them, no browser may guess their type.
_SECURITY_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000")


def _with_security_headers(headers: Any, *, tls: bool) -> list[tuple[bytes, bytes]]:
    out = list(headers)
    present = {name.lower() for name, _value in out}
    for name, value in (*_SECURITY_HEADERS, *((_HSTS,) if tls else ())):
        if name not in present:
            out.append((name, value))
    return out


class RequestGuard:
    """Pure ASGI: refuse bodies over ``max_bytes`` with 413 (announced or streamed), add the
    security headers to every answer, and log one line per request (method, route template,
    status, milliseconds; never bodies or queries)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = _with_security_headers(
                    message.get("headers", []), tls=scope.get("scheme") == "https"
                )
            await send(message)

        try:
            body = await self._read(scope, receive)
            if body is None:
                await self._refuse(send_logged)
                return
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send_logged)
        finally:
            route = scope.get("route")
            log.info(
                "%s %s %d %.1fms",
                scope.get("method", "?"),
                getattr(route, "path", "unmatched"),
                status,
                (time.perf_counter() - started) * 1000,
            )

    async def _read(self, scope: Scope, receive: Receive) -> bytes | None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    if int(value) > self.max_bytes:
                        return None
                except ValueError:
                    return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": f"request body exceeds {self.max_bytes} bytes"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the scheduled purge with the server; cancel it at shutdown."""
    runtime: Runtime = app.state.runtime
    task = None
    if runtime.settings.purge_interval_minutes > 0:
        task = asyncio.create_task(purge.run_forever(runtime.sessions, runtime.settings))
    app.state.purge_task = task
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def create_app(
    settings: ServerSettings | None = None, *, runtime: Runtime | None = None
) -> FastAPI:
    if runtime is None:
        from server.settings import load_settings

        runtime = Runtime.build(settings or load_settings())
    app = FastAPI(
        title="Pulse central server",
        version=__version__,
        description="System of record for agents, campaigns, scripts, code trees and dispositions.",
        lifespan=_lifespan,
        docs_url="/docs" if runtime.settings.api_docs else None,
        redoc_url="/redoc" if runtime.settings.api_docs else None,
        openapi_url="/openapi.json" if runtime.settings.api_docs else None,
    )
    app.state.runtime = runtime
    app.state.purge_task = None
    app.include_router(auth.router)
    app.include_router(sync.router)
    app.include_router(agent.router)
    app.include_router(outbound.router)
    app.include_router(admin.router)
    app.include_router(version.router)

    @app.exception_handler(AuthError)
    async def _auth_error(_request: Request, exc: AuthError) -> JSONResponse:
        body: dict[str, Any] = {"detail": exc.detail}
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 423:
            body["wipe"] = exc.wipe
        if exc.change_password:
            body["password_change_required"] = True
        if exc.enrolment_required:
            body["enrolment_required"] = True
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
        # A race the service checks did not catch (two admins creating the same name).
        log.warning("integrity conflict: %s", type(exc.orig).__name__)
        return JSONResponse({"detail": "conflicts with existing data"}, status_code=409)

    @app.exception_handler(DataError)
    async def _data_error(_request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot hold (PostgreSQL: a NUL character, text over a column's
        # length) that the request's checks let through: the client's mistake, not a crash.
        log.warning("value refused by the database: %s", type(exc.orig).__name__)
        return JSONResponse({"detail": "a value cannot be stored as given"}, status_code=422)

    @app.exception_handler(ContentError)
    async def _content_error(_request: Request, exc: ContentError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(SecretKeyError)
    async def _secret_key_error(_request: Request, exc: SecretKeyError) -> JSONResponse:
        # The operator's problem (a lost or changed key), said in full in the server's log.
        log.error("SIP secret key: %s", exc)
        return JSONResponse(
            {"detail": "the server cannot use its SIP secret key; its log says why"},
            status_code=500,
        )

    if runtime.settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(runtime.settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(RequestGuard, max_bytes=runtime.settings.max_body_bytes)
    _document_common_errors(app)
    return app


def _document_common_errors(app: FastAPI) -> None:
    """Add the answers every body-taking route can give (an unreadable body is 400, an oversized
    one 413) to the OpenAPI document, so that clients and contract tests know them."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if "requestBody" not in operation:
                    continue
                responses = operation.setdefault("responses", {})
                for code, text in (("400", "unreadable body"), ("413", "body too large")):
                    responses.setdefault(
                        code,
                        {
                            "description": text,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Detail"}
                                }
                            },
                        },
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def app_factory() -> FastAPI:
    """Entry for ``uvicorn --factory server.app:app_factory`` (each serve worker calls it)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    app = create_app()
    # The start-up heap (modules, mappers, schemas: some 140,000 objects) lives as long as the
    # process; a full collection walking it stalls every request on this worker for ~80 ms.
    # Freezing it leaves the collector only the objects requests create.
    gc.collect()
    gc.freeze()
    return app
