"""Suite-wide set-up: offscreen Qt, a private PULSE_HOME per test, a real Secret Service,
and failure on unexpected logged errors (Qt warnings fail through pytest-qt's
``qt_log_level_fail``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Offscreen unless `make screenshots` draws on its virtual X screen.
os.environ["QT_QPA_PLATFORM"] = os.environ.get("PULSE_TEST_QPA", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.fonts.warning=false")

from agent_app.foundation import qt_compat
from testbed.secret_service import secret_service
from tests.helpers.logfail import ErrorCollector

qt_compat.apply()  # before pytest-qt emits any signal


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_log_errors: the test expects ERROR log records")


@pytest.fixture(autouse=True)
def pulse_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every path Pulse uses points into this test's temporary directory."""
    home = tmp_path / "pulse-home"
    monkeypatch.setenv("PULSE_HOME", str(home))
    for name in list(os.environ):
        if name.startswith(
            (
                "PULSE_SYNC_",
                "PULSE_SIP_",
                "PULSE_AUDIO_",
                "PULSE_SECURITY_",
                "PULSE_DESK_",
                "PULSE_LOG_",
                "PULSE_UI_",
            )
        ):
            monkeypatch.delenv(name)
    monkeypatch.delenv("PULSE_MACHINE_CONFIG", raising=False)
    return home


@pytest.fixture(autouse=True)
def fail_on_logged_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    collector = ErrorCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        yield
    finally:
        root.removeHandler(collector)
    if collector.records and request.node.get_closest_marker("allow_log_errors") is None:
        pytest.fail(f"unexpected error logged:\n{collector.describe()}")


@pytest.fixture(autouse=True)
def restore_logging_and_hooks() -> Iterator[None]:
    """Undo what start-up code installs process-wide (log handlers, crash hooks)."""
    import sys
    import threading

    root = logging.getLogger()
    level, excepthook, thread_hook = root.level, sys.excepthook, threading.excepthook
    yield
    for handler in list(root.handlers):
        if getattr(handler, "_pulse", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    sys.excepthook, threading.excepthook = excepthook, thread_hook


@pytest.fixture(scope="session")
def secret_service_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running gnome-keyring on a private session bus; its variables are exported."""
    root = tmp_path_factory.mktemp("secret-service")
    with secret_service(root) as env:
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield env
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture
def secret_backend(secret_service_env: dict[str, str]) -> object:
    """The real Secret Service keyring backend (never a plaintext or fake one)."""
    from keyring.backends import SecretService

    # Exported again: a test's monkeypatch that was active when the session fixture first
    # exported them restores the older values at its teardown.
    os.environ.update(secret_service_env)

    backend = SecretService.Keyring()
    assert backend.priority >= 1
    return backend
