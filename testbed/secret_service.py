"""A real Secret Service for tests: a private D-Bus session bus with gnome-keyring on it.

HOME, XDG_RUNTIME_DIR and the bus all live in a temporary directory, so tests never
see or touch the keyring of whoever runs them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testbed.timing import wait_until


@contextmanager
def secret_service(root: Path) -> Iterator[dict[str, str]]:
    """Start dbus-daemon + gnome-keyring-daemon; yield the environment that reaches them."""
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed (Debian: dbus, gnome-keyring)")
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
    bus = subprocess.run(
        ["dbus-daemon", "--session", "--fork", "--nopidfile", "--print-address=1", "--print-pid=1"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    address, pid_text = bus.stdout.split()[:2]
    bus_pid = int(pid_text)
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    keyring_proc = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert keyring_proc.stdin is not None
    keyring_proc.stdin.write(b"test-keyring-pass")
    keyring_proc.stdin.close()
    try:
        wait_for_service(env)
        yield {k: env[k] for k in ("HOME", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")}
    finally:
        keyring_proc.terminate()
        try:
            keyring_proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            keyring_proc.kill()
        with contextlib.suppress(ProcessLookupError):
            os.kill(bus_pid, signal.SIGTERM)


def wait_for_service(env: dict[str, str]) -> None:
    """Return once gnome-keyring owns the Secret Service name on the bus of ``env``."""

    def claimed() -> bool:
        probe = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return "boolean true" in probe.stdout

    wait_until(claimed, timeout=10, what="gnome-keyring to claim org.freedesktop.secrets")
