"""The demo's child processes (server, PBX): started so that they end with the app."""

from __future__ import annotations

import contextlib
import subprocess

from agent_app.foundation.child_processes import child_environment, parent_death_preexec

die_with_parent = parent_death_preexec()
"""``preexec_fn`` for the demo's children (None where the system has no such signal); the
demo starts them from the app's main thread, which lives as long as they should."""


def start(
    command: list[str], log_path: str, *, first_line: str | None = None
) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output appended to ``log_path``; ``first_line``, when given,
    is the child's whole standard input (a password: a pipe, never its environment)."""
    with open(log_path, "ab") as log_file:  # noqa: PTH123 - a plain handle for the child
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL if first_line is None else subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=child_environment(),
            preexec_fn=die_with_parent,  # noqa: PLW1509 - a single prctl call
        )
    if process.stdin is not None:
        # A child that failed at once has closed its end; its log says why.
        with contextlib.suppress(BrokenPipeError), process.stdin:
            process.stdin.write(f"{first_line}\n".encode())
    return process


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Ask the child to end, then make it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
