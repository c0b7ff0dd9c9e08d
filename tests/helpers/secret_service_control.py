"""A private Secret Service whose gnome-keyring can be stopped and started again.

Same layout as :mod:`testbed.secret_service` (private bus, HOME in a temporary
directory); the keyring file on disk survives a restart, as on a desktop where
gnome-keyring is restarted inside the same session.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testbed.secret_service import wait_for_service

KEYRING_PASSWORD = b"test-keyring-pass"

# A session bus like the standard one, minus the service directories (no activation).
_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir={runtime}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class ControlledSecretService:
    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self._keyring: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {k: self._env[k] for k in ("HOME", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")}

    def start_keyring(self) -> None:
        assert self._keyring is None
        proc = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            env=self._env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdin is not None
        proc.stdin.write(KEYRING_PASSWORD)
        proc.stdin.close()
        self._keyring = proc
        wait_for_service(self._env)

    def stop_keyring(self) -> None:
        proc, self._keyring = self._keyring, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def controlled_secret_service(root: Path) -> Iterator[ControlledSecretService]:
    home = root / "home"
    runtime = root / "run"
    home.mkdir(parents=True, exist_ok=True)
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    config = root / "bus.conf"
    config.write_text(_BUS_CONFIG.format(runtime=runtime))
    bus = subprocess.run(
        [
            "dbus-daemon",
            f"--config-file={config}",
            "--fork",
            "--nopidfile",
            "--print-address=1",
            "--print-pid=1",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    address, pid_text = bus.stdout.split()[:2]
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    service = ControlledSecretService(env)
    try:
        service.start_keyring()
        yield service
    finally:
        service.stop_keyring()
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_text), signal.SIGTERM)
