"""Secrets through a real Secret Service; insecure backends refused at start-up."""

from __future__ import annotations

import subprocess
import sys

import pytest
from keyring.backends import fail, null

from agent_app.secret_store import InsecureKeyringError, SecretStore, check_backend

pytestmark = pytest.mark.integration


def test_round_trip_through_gnome_keyring(secret_backend: object) -> None:
    store = SecretStore(secret_backend)  # type: ignore[arg-type]
    assert "SecretService" in store.backend_name
    store.set("sip-password:agent-7", "s3cret-value")
    assert store.get("sip-password:agent-7") == "s3cret-value"
    assert store.delete("sip-password:agent-7") is True
    assert store.get("sip-password:agent-7") is None
    assert store.delete("sip-password:agent-7") is False


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_fail_and_null_backends_are_refused_with_advice(backend: object) -> None:
    with pytest.raises(InsecureKeyringError) as info:
        check_backend(backend)  # type: ignore[arg-type]
    assert "gnome-keyring" in str(info.value)


def test_plaintext_backend_is_refused() -> None:
    from keyring.backend import KeyringBackend

    class PlaintextKeyring(KeyringBackend):
        priority = 0.5  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return None

        def set_password(self, service: str, username: str, password: str) -> None:
            pass

        def delete_password(self, service: str, username: str) -> None:
            pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    with pytest.raises(InsecureKeyringError, match=r"keyrings\.alt\.file\.PlaintextKeyring"):
        check_backend(PlaintextKeyring())


def test_headless_start_without_keyring_is_refused(tmp_path: object) -> None:
    """No session bus at all: pulse-agent stops before any window, telling IT what to install."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "QT_QPA_PLATFORM": "offscreen",
        "PULSE_HOME": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "-m", "agent_app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 3
    assert "no secure keyring backend" in run.stderr
    assert "gnome-keyring" in run.stderr
