"""The demo's child processes (server, PBX): started so that they end with the app."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when the app dies (even killed)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:
        # Runs in the child between fork and exec: only this call, no locks, no imports.
        # The signal comes when the forking *thread* ends, so the demo starts its
        # children from the app's main thread.
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)

    return hook


die_with_parent = _parent_death_signal()
"""``preexec_fn`` for the demo's children (None where the system has no such signal)."""


def start(command: list[str], log_path: str) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output appended to ``log_path``."""
    with open(log_path, "ab") as log_file:  # noqa: PTH123 - a plain handle for the child
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - a single prctl call, see _parent_death_signal
        )


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Ask the child to end, then make it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
