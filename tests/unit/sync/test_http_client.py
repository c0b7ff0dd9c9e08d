"""The desk's HTTP client against real servers on loopback: keep-alive, a server that drops
an idle connection, timeouts, refusals, TLS trust and host names, threads, proxies."""

from __future__ import annotations

import base64
import contextlib
import datetime
import ipaddress
import json
import socket
import socketserver
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent_app.sync import http_client
from agent_app.sync.api import ServerApi
from agent_app.sync.errors import ServerUnreachable
from agent_app.sync.http_client import Client, ConnectFailed, HttpTimeout, ProtocolError

PROXY_NAME = "pulse.test"
"""A server name only the test proxy knows (it connects every tunnel to loopback)."""


class _Server(ThreadingHTTPServer):
    def __init__(self, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.connections = 0
        self.paths: list[str] = []
        self.count_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (the timeout tests) leaves the answer nowhere to go.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def get_request(self) -> tuple[socket.socket, Any]:
        request = super().get_request()
        with self.count_lock:
            self.connections += 1
        return request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        with self.server.count_lock:
            self.server.paths.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        if self.path.startswith("/slow"):
            time.sleep(0.6)
        if self.path.startswith("/cut"):
            # Half an answer, then the connection ends.
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"{}")
            self.close_connection = True
            return
        self._answer(
            200,
            {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            },
        )
        if self.path.startswith("/then-close"):
            # Dropped without a "Connection: close": the client finds out on its next request.
            self.close_connection = True

    do_GET = _handle
    do_POST = _handle


@dataclass
class Pki:
    ca: Path
    other_ca: Path
    server: ssl.SSLContext


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _ca(common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throwaway CA and a server certificate for 127.0.0.1 and the proxy's name."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _ca("Pulse test CA")
    _, other_cert = _ca("Another CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("pulse server"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.DNSName(PROXY_NAME),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(_pem(ca_cert))
    (folder / "other-ca.pem").write_bytes(_pem(other_cert))
    (folder / "server.pem").write_bytes(_pem(cert))
    (folder / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "server.pem", folder / "server.key")
    return Pki(folder / "ca.pem", folder / "other-ca.pem", server)


def _serve(tls: ssl.SSLContext | None = None) -> Iterator[_Server]:
    server = _Server(tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[_Server]:
    yield from _serve()


@pytest.fixture
def tls_server(pki: Pki) -> Iterator[_Server]:
    yield from _serve(pki.server)


def _url(server: _Server, scheme: str = "http", host: str = "127.0.0.1") -> str:
    return f"{scheme}://{host}:{server.server_address[1]}"


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own proxy settings never reach these tests."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_requests_share_one_kept_alive_connection(server: _Server) -> None:
    with Client(_url(server), headers={"User-Agent": "pulse-test"}) as client:
        answers = [client.get(f"/echo/{i}") for i in range(5)]
        posted = client.request(
            "POST", "/echo/post", json={"a": 1}, params={"limit": 5, "cursor": "c 1"}
        )
    assert [a.json()["path"] for a in answers] == [f"/echo/{i}" for i in range(5)]
    assert server.connections == 1
    echoed = posted.json()
    assert echoed["method"] == "POST" and echoed["path"] == "/echo/post?limit=5&cursor=c+1"
    assert json.loads(echoed["body"]) == {"a": 1}
    assert echoed["headers"]["content-type"] == "application/json"
    assert echoed["headers"]["user-agent"] == "pulse-test"
    assert posted.status_code == 200 and posted.reason_phrase == "OK"
    assert posted.headers.get("content-type") == "application/json"


def test_a_connection_the_server_dropped_is_replaced(server: _Server) -> None:
    with Client(_url(server)) as client:
        client.get("/then-close")
        time.sleep(0.05)  # the server's close reaches the client's socket
        assert client.get("/echo").status_code == 200
    assert server.connections == 2


def test_a_request_on_a_connection_dropped_unnoticed_is_sent_again_once(
    server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The close races the idle check: the request meets a closed socket before any answer.
    monkeypatch.setattr(http_client, "_still_open", lambda _connection: True)
    with Client(_url(server)) as client:
        client.get("/then-close")
        time.sleep(0.05)
        answer = client.request("POST", "/echo/again", json={"n": 1})
    assert answer.json()["path"] == "/echo/again"
    assert server.paths == ["/then-close", "/echo/again"]
    assert server.connections == 2


def test_a_large_post_on_a_tls_connection_dropped_unnoticed_is_sent_again_once(
    tls_server: _Server, pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sending fails on a closed TLS connection (SSLEOFError) rather than at the answer.
    monkeypatch.setattr(http_client, "_still_open", lambda _connection: True)
    with Client(_url(tls_server, "https"), verify=str(pki.ca)) as client:
        client.get("/then-close")
        time.sleep(0.05)
        answer = client.request("POST", "/echo/big", json={"x": "y" * 3_000_000})
    assert answer.status_code == 200
    assert tls_server.paths == ["/then-close", "/echo/big"]
    assert tls_server.connections == 2


def test_an_answer_cut_short_is_an_error_and_not_sent_again(server: _Server) -> None:
    with Client(_url(server)) as client:
        client.get("/echo")
        with pytest.raises(ProtocolError, match="IncompleteRead"):
            client.request("POST", "/cut", json={})
    assert server.paths == ["/echo", "/cut"]


def test_a_slow_answer_times_out_and_is_not_sent_again(server: _Server) -> None:
    with Client(_url(server), read_timeout_s=0.2) as client:
        started = time.monotonic()
        with pytest.raises(HttpTimeout, match="TimeoutError"):
            client.request("POST", "/slow", json={})
        assert time.monotonic() - started < 0.5
    assert server.paths == ["/slow"]


def test_a_refused_connection_is_a_connect_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Client(f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectFailed, match="ConnectionRefusedError") as caught:
        client.get("/echo")
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_server_api_words_its_failures_as_before(server: _Server) -> None:
    slow = ServerApi(f"{_url(server)}/slow", device_id="d", timeout_s=0.2)
    with pytest.raises(ServerUnreachable, match=r"^GET /api/v1/time: timed out$"):
        slow.measure_time()
    slow.close()
    server.shutdown()
    server.server_close()
    refused = ServerApi(_url(server), device_id="d", timeout_s=1)
    with pytest.raises(ServerUnreachable, match=r"^GET /api/v1/time: ConnectFailed$"):
        refused.measure_time()


def test_tls_with_the_ca_bundle_succeeds(tls_server: _Server, pki: Pki) -> None:
    with Client(_url(tls_server, "https"), verify=str(pki.ca)) as client:
        assert client.get("/echo").status_code == 200
        assert client.get("/echo").status_code == 200
    assert tls_server.connections == 1


def test_tls_without_the_ca_bundle_is_refused_clearly(tls_server: _Server, pki: Pki) -> None:
    for verify in (True, str(pki.other_ca)):
        client = Client(_url(tls_server, "https"), verify=verify)
        with pytest.raises(ConnectFailed, match="CERTIFICATE_VERIFY_FAILED") as caught:
            client.get("/echo")
        assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)


def test_tls_checks_the_host_name(tls_server: _Server, pki: Pki) -> None:
    # The certificate names 127.0.0.1, not localhost.
    client = Client(_url(tls_server, "https", "localhost"), verify=str(pki.ca))
    with pytest.raises(ConnectFailed) as caught:
        client.get("/echo")
    cause = caught.value.__cause__
    assert isinstance(cause, ssl.SSLCertVerificationError)
    assert "mismatch" in cause.verify_message


def test_tls_unverified_when_told(tls_server: _Server) -> None:
    with Client(_url(tls_server, "https", "localhost"), verify=False) as client:
        assert client.get("/echo").status_code == 200


def test_threads_share_the_pool(server: _Server) -> None:
    failures: list[BaseException] = []
    threads_n, each = 6, 5

    def work(n: int) -> None:
        try:
            for i in range(each):
                path = f"/echo/{n}/{i}"
                assert client.get(path).json()["path"] == path
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    with Client(_url(server)) as client:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
    assert failures == []
    assert len(server.paths) == threads_n * each
    assert server.connections <= threads_n


class _TunnelHandler(socketserver.StreamRequestHandler):
    """CONNECT host:port, then bytes both ways with the test server on loopback."""

    server: _Proxy

    def handle(self) -> None:
        request = self.rfile.readline().decode().split()
        headers = []
        while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
            headers.append(line.decode().strip())
        self.server.seen.append((request, headers))
        if request[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        port = int(request[1].rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            back = threading.Thread(target=_pipe, args=(upstream, self.connection), daemon=True)
            back.start()
            _pipe(self.connection, upstream)
            back.join(timeout=5)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TunnelHandler)
        self.seen: list[tuple[list[str], list[str]]] = []


@pytest.fixture
def proxy() -> Iterator[_Proxy]:
    server = _Proxy()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_https_goes_through_the_proxy_with_connect(
    tls_server: _Server, pki: Pki, proxy: _Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://it:s3cret@127.0.0.1:{proxy.server_address[1]}")
    with Client(_url(tls_server, "https", PROXY_NAME), verify=str(pki.ca)) as client:
        assert client.get("/echo/1").json()["headers"]["host"].startswith(PROXY_NAME)
        assert client.get("/echo/2").status_code == 200
    [(request, headers)] = proxy.seen  # one tunnel, kept alive
    assert request[:2] == ["CONNECT", f"{PROXY_NAME}:{tls_server.server_address[1]}"]
    assert f"Proxy-Authorization: Basic {base64.b64encode(b'it:s3cret').decode()}" in headers


def test_no_proxy_and_loopback_bypass_the_proxy(
    server: _Server, proxy: _Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    assert Client(f"https://{PROXY_NAME}")._proxy() is not None
    assert Client("https://127.0.0.1:8443")._proxy() is None
    assert Client("https://localhost:8443")._proxy() is None
    with Client(_url(server)) as client:
        assert client.get("/echo").status_code == 200
    assert proxy.seen == []
    monkeypatch.setenv("NO_PROXY", f"example.org,{PROXY_NAME}")
    assert Client(f"https://{PROXY_NAME}")._proxy() is None
    assert Client("https://pulse.example.com")._proxy() is not None


def test_the_transport_answers_without_the_network() -> None:
    seen: list[http_client.Request] = []

    def answer(request: http_client.Request) -> http_client.Response:
        seen.append(request)
        return http_client.Response(404, json={"detail": "none"})

    client = Client("https://pulse.invalid/base/", transport=answer, headers={"X-A": "1"})
    response = client.request("POST", "/x", json={"b": [1]}, params={"n": 2, "on": True})
    assert response.status_code == 404 and response.reason_phrase == "Not Found"
    assert response.json() == {"detail": "none"}
    [request] = seen
    assert request.url == "https://pulse.invalid/base/x?n=2&on=true"
    assert request.path == "/base/x" and request.params == {"n": "2", "on": "true"}
    assert request.headers["x-a"] == "1" and request.json() == {"b": [1]}
    with pytest.raises(ValueError):
        http_client.Response(200, content=b"<html>").json()
