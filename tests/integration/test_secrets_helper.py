"""The desk's secrets through the secrets helper process, against a real gnome-keyring.

The helper is started on demand, let go when idle, started again when needed; it signs
with the workstation's key so that the desk never holds it; and every way it can fail
(not startable, insecure keyring, garbage, silence, death mid-call) is a clear
:class:`SecretStoreError` that names no secret.
"""

from __future__ import annotations

import base64
import os
import signal
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agent_app.secrets.device_key import DeviceKey
from agent_app.secrets.errors import InsecureKeyringError, SecretStoreError
from agent_app.secrets.helper_client import HelperSecrets
from agent_app.secrets.store import SecretStore

pytestmark = pytest.mark.integration


@pytest.fixture
def helper(secret_service_env: dict[str, str]) -> Iterator[HelperSecrets]:
    secrets = HelperSecrets(linger=0.5)
    yield secrets
    secrets.close()


def _wait_until(condition: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_round_trip_and_what_the_in_process_store_reads(
    helper: HelperSecrets, secret_backend: object
) -> None:
    assert helper.backend_name == "keyring.backends.SecretService.Keyring"
    helper.warm_up()
    helper.set("helper:sip-password", "s3cret-through-a-pipe")
    assert helper.get("helper:sip-password") == "s3cret-through-a-pipe"
    # The same item keyring's own backend and the in-process store see.
    direct = SecretStore(secret_backend)  # type: ignore[arg-type]
    assert direct.get("helper:sip-password") == "s3cret-through-a-pipe"
    assert helper.delete("helper:sip-password") is True
    assert helper.delete("helper:sip-password") is False
    assert helper.get("helper:sip-password") is None
    assert helper.get("helper:never-written") is None
    direct.close()


def test_the_helper_goes_when_idle_and_comes_back_when_needed(helper: HelperSecrets) -> None:
    helper.set("helper:kept", "on-disk")
    assert helper.running
    assert _wait_until(lambda: not helper.running), "the idle helper ended"
    started = helper.starts
    assert helper.get("helper:kept") == "on-disk"
    assert helper.starts == started + 1
    helper.close()
    assert not helper.running
    helper.delete("helper:kept")


def test_a_helper_killed_between_calls_is_replaced(helper: HelperSecrets) -> None:
    helper.set("helper:survives", "yes")
    pid = helper.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the test plays the OOM killer
    assert _wait_until(lambda: not helper.running)
    assert helper.get("helper:survives") == "yes"
    assert helper.pid != pid
    helper.delete("helper:survives")


def test_calls_from_threads_are_served_one_at_a_time(helper: HelperSecrets) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def round_trip(index: int) -> str | None:
        helper.set(f"helper:thread-{index}", f"value-{index}")
        return helper.get(f"helper:thread-{index}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        values = list(pool.map(round_trip, range(12)))
    assert values == [f"value-{index}" for index in range(12)]
    for index in range(12):
        helper.delete(f"helper:thread-{index}")


def test_the_helper_signs_with_the_enrolled_key(
    helper: HelperSecrets, secret_backend: object
) -> None:
    direct = SecretStore(secret_backend)  # type: ignore[arg-type]
    direct.delete("workstation.device-key")
    assert helper.device_signer() is None, "no key enrolled yet"

    key = DeviceKey.generate()
    key.save(direct)
    signer = helper.device_signer()
    assert signer is not None
    assert signer.public_key == key.public_key
    assert "PRIVATE" not in repr(signer).upper()
    message = b"login|agent-7|1700000000"
    signature = base64.b64decode(signer.sign(message))
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(signer.public_key))
    public.verify(signature, message)  # raises when it does not verify
    # A helper started later signs with the same key.
    helper.close()
    assert signer.sign(message) == key.sign(message)  # Ed25519 signatures are deterministic
    direct.delete("workstation.device-key")
    direct.close()


def test_an_insecure_keyring_is_refused_with_advice(
    secret_service_env: dict[str, str],
) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with pytest.raises(InsecureKeyringError, match="no secure keyring backend"):
        HelperSecrets(env=env)


def test_a_helper_that_cannot_start_is_named(tmp_path: Path) -> None:
    with pytest.raises(SecretStoreError, match="could not be started"):
        HelperSecrets(python=str(tmp_path / "no-such-python"))


def _fake_python(tmp_path: Path, body: str) -> str:
    """An executable that stands where the helper's interpreter would (its arguments
    ignored) and plays a misbehaving helper."""
    script = tmp_path / "fake-python"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_garbage_from_the_helper_is_an_error(tmp_path: Path) -> None:
    python = _fake_python(tmp_path, 'echo \'{"ready": "fake"}\'\nread line\necho "<html>"\n')
    secrets = HelperSecrets(python=python)
    with pytest.raises(SecretStoreError, match="not JSON"):
        secrets.get("sip-password")
    secrets.close()


def test_a_silent_helper_times_out(tmp_path: Path) -> None:
    python = _fake_python(tmp_path, 'echo \'{"ready": "fake"}\'\nread line\nsleep 30\n')
    secrets = HelperSecrets(python=python, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(SecretStoreError, match="did not answer within"):
        secrets.get("sip-password")
    assert time.monotonic() - started < 10
    assert not secrets.running, "the silent helper was killed"
    secrets.close()


def test_a_helper_that_dies_mid_call_is_retried_once_then_reported(tmp_path: Path) -> None:
    python = _fake_python(tmp_path, 'echo \'{"ready": "fake"}\'\nread line\nexit 1\n')
    secrets = HelperSecrets(python=python)
    with pytest.raises(SecretStoreError, match="ended before answering") as info:
        secrets.set("sip-password", "never-shown")
    assert "never-shown" not in str(info.value)
    assert secrets.starts == 2, "the first helper, then one retry"
    secrets.close()


def test_a_helper_that_never_says_ready_is_reported(tmp_path: Path) -> None:
    python = _fake_python(tmp_path, "exit 0\n")
    with pytest.raises(SecretStoreError, match="ended as it started"):
        HelperSecrets(python=python)


def test_the_helper_logs_beside_the_desk(
    secret_service_env: dict[str, str], tmp_path: Path
) -> None:
    """With the desk logging, the helper's own file (redacted, owner-only) sits beside it."""
    from agent_app.foundation.logs import setup_logging

    logs = tmp_path / "logs"
    setup_logging(logs, level="INFO")
    secrets = HelperSecrets()
    try:
        assert secrets.get("helper:nothing-here") is None
    finally:
        secrets.close()
    for name in ("pulse-secrets.log", "secrets-native-crash.txt"):
        assert (logs / name).stat().st_mode & 0o777 == 0o600, name
