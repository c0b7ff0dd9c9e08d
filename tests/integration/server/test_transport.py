"""Transport and answer policy: no plain HTTP off loopback unless the operator insists (and is
warned), security headers on every answer, interactive API docs only when enabled."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server import cli
from server.settings import load_settings
from tests.helpers.server_live import LiveServer, live_server
from tests.integration.server.conftest import make_settings

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Calls that would have started uvicorn (recorded, not run); the environment that serve
    prepares for its workers is put back afterwards."""
    calls: list[dict[str, Any]] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *_a, **kw: calls.append(kw))
    saved = dict(os.environ)
    yield calls
    os.environ.clear()
    os.environ.update(saved)


def _serve(database_url: str, tmp_path: Path, *extra: str) -> int:
    return cli.main(["serve", "--database-url", database_url, "--data-dir", str(tmp_path), *extra])


def test_plain_http_off_loopback_is_refused(
    database_url: str,
    tmp_path: Path,
    started: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _serve(database_url, tmp_path, "--host", "0.0.0.0") == 2
    assert "--insecure-http" in capsys.readouterr().err
    assert started == []


def test_insecure_http_starts_with_a_warning_every_time(
    database_url: str,
    tmp_path: Path,
    started: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="pulse.server"):
        for _ in range(2):
            assert _serve(database_url, tmp_path, "--host", "0.0.0.0", "--insecure-http") == 0
    assert len(started) == 2
    warnings = [r for r in caplog.records if "plain HTTP" in r.getMessage()]
    assert len(warnings) == 2


def test_loopback_needs_no_tls(
    database_url: str, tmp_path: Path, started: list[dict[str, Any]]
) -> None:
    assert _serve(database_url, tmp_path, "--host", "127.0.0.1") == 0
    assert started[0]["host"] == "127.0.0.1"


def test_answers_carry_security_headers(live: LiveServer) -> None:
    for answer in (
        live.client().get("/api/v1/health"),
        live.client().get("/api/v1/me"),  # an error answer too
        live.client().post("/api/v1/auth/login", content=b"x" * (300 * 1024)),  # 413
    ):
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
        # Plain HTTP on loopback: HSTS belongs to TLS answers only.
        assert "strict-transport-security" not in answer.headers


def test_interactive_docs_are_off_unless_enabled(database_url: str, tmp_path: Path) -> None:
    with live_server(make_settings(database_url, tmp_path / "data", api_docs=False)) as live:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert live.client().get(path).status_code == 404
    with live_server(make_settings(database_url, tmp_path / "data", api_docs=True)) as live:
        assert live.client().get("/docs").status_code == 200


def test_workers_get_secrets_from_a_private_file_not_the_environment(
    database_url: str,
    tmp_path: Path,
    started: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PULSE_SERVER_SIP_SECRET_KEY", "cd" * 32)
    config = tmp_path / "server.toml"
    config.write_text('secret_key = "synthetic-signing-secret"\n', encoding="utf-8")
    assert _serve(database_url, tmp_path, "--config", str(config)) == 0
    assert started
    for name in ("SECRET_KEY", "SIP_SECRET_KEY", "DATABASE_URL"):
        assert f"PULSE_SERVER_{name}" not in os.environ
    handed = Path(os.environ["PULSE_SERVER_CONFIG"])
    assert stat.S_IMODE(handed.stat().st_mode) == 0o600
    # What a worker reads back is what the command chose.
    worker = load_settings()
    assert worker.secret_key == "synthetic-signing-secret"
    assert worker.sip_secret_key == "cd" * 32
    assert worker.database_url == database_url
