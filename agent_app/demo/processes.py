"""The demo's child processes (server, PBX): started so that they end with the app."""

from __future__ import annotations

import subprocess

from agent_app.foundation.child_processes import child_environment, parent_death_preexec

die_with_parent = parent_death_preexec()
"""``preexec_fn`` for the demo's children (None where the system has no such signal); the
demo starts them from the app's main thread, which lives as long as they should."""


def start(command: list[str], log_path: str) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output appended to ``log_path``."""
    with open(log_path, "ab") as log_file:  # noqa: PTH123 - a plain handle for the child
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=child_environment(),
            preexec_fn=die_with_parent,  # noqa: PLW1509 - a single prctl call
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
