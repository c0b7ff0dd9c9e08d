"""The offline sign-in verifier's cost, its upgrade at the next online sign-in, and wrong
passwords counted across restarts (a new verifier object reads the count from the keyring)."""

from __future__ import annotations

import hashlib
import json
import time

import pytest

from agent_app.secrets.store import SecretStore
from agent_app.sync.login import LoginResult
from agent_app.sync.offline_login import OfflineLoginError, OfflineVerifier
from tests.unit.test_secret_store_backends import MemoryKeyring

PASSWORD = "offline-pass-0101"
RESULT = LoginResult(
    agent_id="agent7",
    display_name="Agent Seven",
    role="agent",
    access_token="a",
    refresh_token="r",
    expires_in_s=900,
)
ENTRY = ("Pulse", "sync.offline-verifier.agent7")


@pytest.fixture(scope="module")
def keyring_with_verifier() -> MemoryKeyring:
    """One verifier made at full cost, shared: each costs a few hundred ms."""
    backend = MemoryKeyring()
    OfflineVerifier(SecretStore(backend), hours=8).remember(RESULT, PASSWORD)
    return backend


def _copy(backend: MemoryKeyring) -> MemoryKeyring:
    fresh = MemoryKeyring()
    fresh.items = dict(backend.items)
    return fresh


def test_the_verifier_costs_at_least_2_to_the_17(keyring_with_verifier: MemoryKeyring) -> None:
    stored = json.loads(keyring_with_verifier.items[ENTRY])
    assert stored["n"] >= 2**17
    assert stored["n"] * stored["r"] * 128 >= 128 * 1024 * 1024  # memory-hard: 128 MiB
    assert PASSWORD not in keyring_with_verifier.items[ENTRY]


@pytest.mark.slow  # six full-cost checks: about 2 s here, 8 s on a loaded machine
def test_wrong_passwords_are_counted_across_restarts(
    keyring_with_verifier: MemoryKeyring,
) -> None:
    backend = _copy(keyring_with_verifier)
    now = time.time()
    for _ in range(5):
        # A new verifier each time: Pulse restarted between the attempts.
        with pytest.raises(OfflineLoginError, match="not correct"):
            OfflineVerifier(SecretStore(backend), hours=8).unlock("agent7", "wrong-1", now=now)
    after_restart = OfflineVerifier(SecretStore(backend), hours=8)
    with pytest.raises(OfflineLoginError, match="too many"):
        after_restart.unlock("agent7", PASSWORD, now=now + 1)
    # The wait passes; the right password works and clears the count.
    assert after_restart.unlock("agent7", PASSWORD, now=now + 120).offline
    assert ("Pulse", "sync.offline-failures.agent7") not in backend.items


def test_an_old_cheap_verifier_still_checks_and_the_next_online_sign_in_upgrades_it() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend)
    salt = bytes(16)
    now = time.time()
    old = {
        "v": 1,
        "display_name": "Agent Seven",
        "role": "agent",
        "salt": salt.hex(),
        "hash": hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex(),
        "n": 2**14,
        "r": 8,
        "p": 1,
        "issued_at": now,
        "expires_at": now + 3600,
    }
    store.set("sync.offline-verifier.agent7", json.dumps(old))
    verifier = OfflineVerifier(store, hours=8)
    assert verifier.unlock("agent7", PASSWORD).offline
    verifier.remember(RESULT, PASSWORD)
    assert json.loads(backend.items[ENTRY])["n"] >= 2**17
