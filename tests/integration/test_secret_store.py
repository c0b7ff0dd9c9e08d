"""Secrets through a real Secret Service; insecure backends refused at start-up."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail, null

from agent_app.secrets.errors import KeyringLockedError
from agent_app.secrets.store import (
    InsecureKeyringError,
    SecretStore,
    SecretStoreError,
    check_backend,
)
from tests.helpers.secret_service_control import ControlledSecretService, controlled_secret_service

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


# --- The process's own Secret Service session (fast path on Linux) ---------------------


def _keyring_items(service: str, username: str) -> list[tuple[str, dict[str, str]]]:
    """Label and attributes of every item keyring's scheme would match.

    Neither writer sets ``xdg:schema``, but gnome-keyring may report the generic schema on
    an item (it did on one of two items written the same way on a slow machine), so that
    value alone is set aside; any other schema still fails the comparison.
    """
    import contextlib

    import secretstorage

    with contextlib.closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        return [
            (item.get_label(), _without_daemon_attributes(item.get_attributes()))
            for item in collection.search_items({"service": service, "username": username})
        ]


def _without_daemon_attributes(attributes: dict[str, str]) -> dict[str, str]:
    generic = ("xdg:schema", "org.freedesktop.Secret.Generic")
    return {key: value for key, value in attributes.items() if (key, value) != generic}


def test_store_keeps_one_session_on_the_secret_service_backend(secret_backend: object) -> None:
    store = SecretStore(secret_backend)  # type: ignore[arg-type]
    assert store.keeps_connection
    store.warm_up()
    store.set("session:round-trip", "välue-ünicode ✓")
    assert store.get("session:round-trip") == "välue-ünicode ✓"
    store.set("session:round-trip", "second value")  # replaced, not added
    assert store.get("session:round-trip") == "second value"
    assert len(_keyring_items("Pulse", "session:round-trip")) == 1
    store.close()  # a call after close opens a new connection
    assert store.get("session:round-trip") == "second value"
    assert store.delete("session:round-trip") is True
    assert store.get("session:round-trip") is None
    assert store.delete("session:round-trip") is False
    store.close()


def test_items_written_by_the_store_are_read_by_keyring(secret_backend: Any) -> None:
    store = SecretStore(secret_backend)
    store.set("interop:from-store", "written-by-store")
    assert secret_backend.get_password("Pulse", "interop:from-store") == "written-by-store"
    secret_backend.delete_password("Pulse", "interop:from-store")
    assert store.get("interop:from-store") is None
    store.close()


def test_items_written_by_keyring_are_read_by_the_store(secret_backend: Any) -> None:
    store = SecretStore(secret_backend)
    store.warm_up()
    secret_backend.set_password("Pulse", "interop:from-keyring", "written-by-keyring")
    assert store.get("interop:from-keyring") == "written-by-keyring"
    secret_backend.set_password("Pulse", "interop:from-keyring", "changed-by-keyring")
    assert store.get("interop:from-keyring") == "changed-by-keyring"
    assert store.delete("interop:from-keyring") is True
    assert secret_backend.get_password("Pulse", "interop:from-keyring") is None
    store.close()


def test_items_carry_the_label_and_attributes_keyring_gives(secret_backend: Any) -> None:
    store = SecretStore(secret_backend)
    store.set("interop:attrs", "one")
    secret_backend.set_password("Pulse", "interop:attrs-kr", "two")
    ((ours_label, ours),) = _keyring_items("Pulse", "interop:attrs")
    ((theirs_label, theirs),) = _keyring_items("Pulse", "interop:attrs-kr")
    assert ours_label == "Password for 'interop:attrs' on 'Pulse'"
    assert theirs_label == "Password for 'interop:attrs-kr' on 'Pulse'"
    assert ours == {**theirs, "username": "interop:attrs"}
    store.delete("interop:attrs")
    store.delete("interop:attrs-kr")
    store.close()


def test_concurrent_gets_and_sets_from_threads(secret_backend: object) -> None:
    store = SecretStore(secret_backend)  # type: ignore[arg-type]
    names = [f"threads:{i}" for i in range(8)]
    for name in names:
        store.set(name, f"value-of-{name}")
    failures: list[str] = []

    def worker(index: int) -> None:
        own = f"threads:own-{index}"
        for round_ in range(25):
            for name in names:
                if store.get(name) != f"value-of-{name}":
                    failures.append(name)
            store.set(own, f"{index}-{round_}")
            if store.get(own) != f"{index}-{round_}":
                failures.append(own)

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(worker, range(6)))
    assert failures == []
    for name in names + [f"threads:own-{i}" for i in range(6)]:
        assert store.delete(name) is True
    store.close()


@pytest.fixture
def own_secret_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ControlledSecretService]:
    """A private gnome-keyring this test may stop, restart or lock."""
    with controlled_secret_service(tmp_path / "own-keyring") as service:
        for key, value in service.env.items():
            monkeypatch.setenv(key, value)
        yield service


def test_reconnects_after_the_keyring_daemon_restarts(
    own_secret_service: ControlledSecretService,
) -> None:
    from keyring.backends import SecretService

    store = SecretStore(SecretService.Keyring())
    store.set("restart:key", "kept-on-disk")
    assert store.get("restart:key") == "kept-on-disk"

    own_secret_service.stop_keyring()
    own_secret_service.start_keyring()
    assert store.get("restart:key") == "kept-on-disk"  # one reconnect, invisible

    own_secret_service.stop_keyring()
    with pytest.raises(SecretStoreError, match="gnome-keyring") as info:
        store.get("restart:key")
    assert "kept-on-disk" not in str(info.value)
    with pytest.raises(SecretStoreError):
        store.set("restart:other", "never-written")

    own_secret_service.start_keyring()
    assert store.get("restart:key") == "kept-on-disk"
    store.set("restart:other", "written-after")
    assert SecretService.Keyring().get_password("Pulse", "restart:other") == "written-after"
    store.close()


def _lock_default_collection() -> None:
    import contextlib

    import secretstorage

    with contextlib.closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_default_collection(bus)
        collection.lock()
        assert collection.is_locked()


def test_locked_collection_is_named_not_prompted(
    own_secret_service: ControlledSecretService,
) -> None:
    from keyring.backends import SecretService

    store = SecretStore(SecretService.Keyring())
    store.set("locked:key", "unreadable-while-locked")
    _lock_default_collection()
    with pytest.raises(KeyringLockedError, match="locked") as info:
        store.get("locked:key")
    assert "unreadable" not in str(info.value)
    fresh = SecretStore(SecretService.Keyring())
    with pytest.raises(KeyringLockedError, match="locked"):
        fresh.warm_up()
    store.close()
    fresh.close()


def test_start_up_stops_on_a_locked_keyring(
    own_secret_service: ControlledSecretService, tmp_path: Path
) -> None:
    _lock_default_collection()
    env = {
        "PATH": "/usr/bin:/bin",
        "QT_QPA_PLATFORM": "offscreen",
        "PULSE_HOME": str(tmp_path / "pulse-home"),
        **own_secret_service.env,
    }
    run = subprocess.run(
        [sys.executable, "-m", "agent_app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 3, run.stderr
    assert "locked" in run.stderr
