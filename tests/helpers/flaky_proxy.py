"""A misbehaving HTTP server on loopback, in front of the real one.

Modes: ``pass`` forwards to the real server; ``500`` answers 500; ``garbage`` answers 200
with a body that is not JSON; ``wrong-shape`` answers 200 with JSON of the wrong shape;
``slow`` waits ``delay_s`` before forwarding (the client times out first); ``reset`` closes
the connection without a word; ``lose-answer`` forwards (the server stores) and then answers
502, as when a proxy drops the reply.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

MODES = ("pass", "500", "garbage", "wrong-shape", "slow", "reset", "lose-answer")


class FlakyProxy:
    def __init__(self, upstream: str, *, delay_s: float = 3.0) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.delay_s = delay_s
        self.requests = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                mode = proxy.mode
                if mode == "reset":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if mode == "500":
                    self._reply(500, b'{"detail": "internal error"}')
                    return
                if mode == "garbage":
                    self._reply(200, b"<html>\x00\xff not json")
                    return
                if mode == "wrong-shape":
                    self._reply(200, b'{"unexpected": [1, 2, 3]}')
                    return
                if mode == "slow":
                    time.sleep(proxy.delay_s)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type")
                }
                answer = httpx.request(
                    self.command,
                    proxy.upstream + self.path,
                    content=body,
                    headers=headers,
                    timeout=60,
                )
                if mode == "lose-answer":
                    self._reply(502, b"bad gateway")
                    return
                self._reply(answer.status_code, answer.content)

            def _reply(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout): nothing to tell it

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
