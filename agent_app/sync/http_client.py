"""The desk's HTTP/1.1 client on the standard library: one server, kept-alive connections,
TLS against the system's trust store or a CA bundle, the environment's proxies, timeouts.

It does what :class:`~agent_app.sync.api.ServerApi` needs and nothing more: no HTTP/2, no
redirects, no cookies, no compression (docs/decisions/0044-desk-http-client.md).
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json as jsonlib
import select
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

KEEPALIVE_EXPIRY_S = 5.0
"""An idle connection older than this is closed rather than reused: servers drop theirs
after a few seconds (uvicorn after 5), and a request racing that close would be lost."""
MAX_IDLE = 8
"""Idle connections kept; more threads than this at once still work, on fresh ones."""


_DROPPED = (
    http.client.RemoteDisconnected,  # the end of the stream where the answer should start
    BrokenPipeError,
    ConnectionResetError,
    ssl.SSLEOFError,  # sending on a TLS connection the server has closed
    ssl.SSLZeroReturnError,
)
"""How a kept-alive connection the server closed fails a request before any answer byte."""


class HttpError(Exception):
    """The exchange failed: no whole answer came. The message names the cause's class."""


class ConnectFailed(HttpError):
    """No connection: refused, unknown host, an unusable proxy or a TLS handshake that failed
    (the :class:`ssl.SSLError` is the ``__cause__``)."""


class HttpTimeout(HttpError):
    """Connecting or waiting for the answer took longer than allowed."""


class ConnectionLost(HttpError):
    """The connection broke while the request was sent or its answer read."""


class ProtocolError(HttpError):
    """The answer was not HTTP/1.1 as it should be."""


class Headers(Mapping[str, str]):
    """Header names looked up case-insensitively; a repeated header keeps its last value."""

    def __init__(self, items: Mapping[str, str] | list[tuple[str, str]] | None = None) -> None:
        pairs = items.items() if isinstance(items, Mapping) else (items or [])
        self._items: dict[str, tuple[str, str]] = {k.lower(): (k, v) for k, v in pairs}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({sorted(self)!r})"


@dataclass(frozen=True)
class Request:
    """A request as sent: what a test transport sees."""

    method: str
    url: str
    """The full URL, with the query."""
    headers: Headers
    content: bytes = b""

    @property
    def path(self) -> str:
        """The URL's path, without the query."""
        return unquote(urlsplit(self.url).path)

    @property
    def params(self) -> dict[str, str]:
        """The query's parameters (a repeated one keeps its last value)."""
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    def json(self) -> Any:
        return jsonlib.loads(self.content)


@dataclass(frozen=True, init=False)
class Response:
    """An answer, read whole."""

    status_code: int
    headers: Headers
    content: bytes
    reason_phrase: str

    def __init__(
        self,
        status_code: int,
        *,
        content: bytes = b"",
        json: Any = None,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        reason_phrase: str | None = None,
    ) -> None:
        if json is not None:
            content = _encode_json(json)
        if reason_phrase is None:
            try:
                reason_phrase = HTTPStatus(status_code).phrase
            except ValueError:
                reason_phrase = ""
        object.__setattr__(self, "status_code", status_code)
        object.__setattr__(self, "headers", Headers(headers))
        object.__setattr__(self, "content", content)
        object.__setattr__(self, "reason_phrase", reason_phrase)

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not (json's errors are ValueErrors)."""
        return jsonlib.loads(self.content)


Transport = Callable[[Request], Response]
"""Answers a request without the network (tests)."""


def _encode_json(value: Any) -> bytes:
    return jsonlib.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _failure(what: str, exc: BaseException) -> str:
    return f"{what}: {type(exc).__name__}: {exc}" if str(exc) else f"{what}: {type(exc).__name__}"


@dataclass
class _Idle:
    connection: http.client.HTTPConnection
    since: float


class _Proxy:
    """An HTTP proxy that https requests tunnel through (CONNECT)."""

    def __init__(self, url: str) -> None:
        if "://" not in url:
            url = f"http://{url}"
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ConnectFailed(f"proxy {parts.scheme}://{parts.hostname}: only http:// proxies")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.headers: dict[str, str] = {}
        if parts.username is not None:
            user_password = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            token = base64.b64encode(user_password.encode()).decode("ascii")
            self.headers["Proxy-Authorization"] = f"Basic {token}"


class Client:
    """Requests to one server (``base_url``), safe to use from several threads at once.

    ``verify``: True checks the server's certificate against the system's trust store, a
    path against that CA bundle (PEM) instead; False checks nothing. ``transport`` answers
    requests without the network (tests). Proxies come from the environment as
    :func:`urllib.request.getproxies` reads it, except for loopback servers.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        verify: str | bool = True,
        transport: Transport | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url}: not an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._prefix = parts.path.rstrip("/")
        netloc = f"[{self._host}]" if ":" in self._host else self._host
        self._origin = f"{parts.scheme}://{netloc}:{self._port}"
        self._default_headers = dict(headers or {})
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._verify = verify
        self._transport = transport
        self._lock = threading.Lock()
        self._idle: list[_Idle] = []
        self._tls: ssl.SSLContext | None = None
        self._closed = False

    def close(self) -> None:
        """Close the idle connections; those in use close when their request ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for entry in idle:
            entry.connection.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Response:
        """Send ``method`` to ``path`` (under the base URL) and read the whole answer;
        raises :class:`HttpError` (a subclass) when no answer came."""
        target = self._prefix + path
        if params:
            query = urlencode([(k, _param(v)) for k, v in params.items() if v is not None])
            target += ("&" if "?" in target else "?") + query
        sent = {**self._default_headers, **(headers or {})}
        body = b""
        if json is not None:
            body = _encode_json(json)
            sent.setdefault("Content-Type", "application/json")
        if self._transport is not None:
            url = f"{self.base_url[: len(self.base_url) - len(self._prefix)]}{target}"
            return self._transport(Request(method, url, Headers(sent), body))
        return self._exchange(method, target, sent, body if json is not None else None)

    # -- the network ---------------------------------------------------------------

    def _exchange(
        self, method: str, target: str, headers: dict[str, str], body: bytes | None
    ) -> Response:
        connection, reused = self._checkout()
        try:
            try:
                answer = _start(connection, method, target, headers, body)
            except _DROPPED:
                connection.close()
                if not reused:
                    raise
                # The server closed the kept-alive connection before reading the request
                # (no answer byte came back): the request was not processed, send it again
                # once on a fresh connection.
                connection = self._connect()
                answer = _start(connection, method, target, headers, body)
            # From the status line on, a failure is never retried: the server has acted.
            content = answer.read()
        except TimeoutError as exc:
            connection.close()
            raise HttpTimeout(_failure(f"{method} {target}: no answer", exc)) from exc
        except (http.client.RemoteDisconnected, ConnectionError) as exc:
            connection.close()
            raise ConnectionLost(_failure(f"{method} {target}", exc)) from exc
        except http.client.HTTPException as exc:
            connection.close()
            raise ProtocolError(_failure(f"{method} {target}", exc)) from exc
        except OSError as exc:
            connection.close()
            raise ConnectionLost(_failure(f"{method} {target}", exc)) from exc
        if answer.will_close:
            connection.close()
        else:
            self._checkin(connection)
        return Response(
            answer.status, content=content, headers=answer.getheaders(), reason_phrase=answer.reason
        )

    def _checkout(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection the server has not closed, else a new one."""
        now = time.monotonic()
        while True:
            with self._lock:
                entry = self._idle.pop() if self._idle else None
            if entry is None:
                return self._connect(), False
            if now - entry.since < KEEPALIVE_EXPIRY_S and _still_open(entry.connection):
                return entry.connection, True
            entry.connection.close()

    def _checkin(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append(_Idle(connection, time.monotonic()))
                return
        connection.close()

    def _connect(self) -> http.client.HTTPConnection:
        where = f"connect to {self._origin}"
        proxy = self._proxy()
        connection: http.client.HTTPConnection
        try:
            if self._scheme == "https":
                connection = http.client.HTTPSConnection(
                    proxy.host if proxy else self._host,
                    proxy.port if proxy else self._port,
                    timeout=self._connect_timeout_s,
                    context=self._tls_context(),
                )
                if proxy is not None:
                    where += f" through the proxy {proxy.host}:{proxy.port}"
                    connection.set_tunnel(self._host, self._port, headers=proxy.headers)
            else:
                connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=self._connect_timeout_s
                )
            connection.connect()
        except TimeoutError as exc:
            raise HttpTimeout(_failure(where, exc)) from exc
        except (OSError, http.client.HTTPException) as exc:
            # ssl.SSLError is an OSError: a handshake or certificate failure lands here.
            raise ConnectFailed(_failure(where, exc)) from exc
        assert connection.sock is not None
        connection.sock.settimeout(self._read_timeout_s)
        return connection

    def _proxy(self) -> _Proxy | None:
        """The proxy for this server from the environment; plain http:// (allowed only to
        loopback) and loopback servers never use one."""
        if self._scheme != "https" or _is_loopback(self._host):
            return None
        proxies = urllib.request.getproxies()
        url = proxies.get("https") or proxies.get("all")
        if not url or urllib.request.proxy_bypass(self._host):
            return None
        return _Proxy(url)

    def _tls_context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                self._tls = tls_context(self._verify)
            return self._tls


def tls_context(verify: str | bool) -> ssl.SSLContext:
    """TLS 1.2 or later; the certificate and host name checked unless ``verify`` is False."""
    if isinstance(verify, str):
        context = ssl.create_default_context(cafile=verify)
    else:
        context = ssl.create_default_context()
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _start(
    connection: http.client.HTTPConnection,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None,
) -> http.client.HTTPResponse:
    """Send the request and read the answer's status line and headers."""
    connection.request(method, target, body=body, headers=headers)
    return connection.getresponse()


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """False when the server has closed the idle connection: its socket reads as ready
    while no request is outstanding (the end of the stream, or stray bytes)."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
