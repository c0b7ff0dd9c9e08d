"""Child processes that end with the desktop app: the kernel's parent-death signal on Linux.

A child started by the app (the telephony engine, the demo server) must not outlive it,
even when the app is killed outright (SIGKILL, a crash) and no clean-up code runs. On
Linux ``prctl(PR_SET_PDEATHSIG)`` asks the kernel to send the child a signal when its
parent goes. Elsewhere these functions do nothing and the children's own watch of their
parent (the engine polls it) is what remains.

The kernel's "parent" is the *thread* that started the child: start such children from a
thread that lives as long as they should (the main thread, or a thread kept for them).

:func:`child_environment` is the environment such a child gets: the app's, less anything
whose name says it holds a secret (a child's environment is readable by other processes of
the same account). Secrets a child needs go through its standard input.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    function: Callable[..., int] = libc.prctl
    return function


def die_with_parent(signum: int = signal.SIGTERM) -> bool:
    """In the child itself: receive ``signum`` when the parent (thread) ends.

    Returns whether the request was made. A parent that is already gone makes the call
    pointless; the caller's own parent check covers that case.
    """
    prctl = _prctl()
    if prctl is None:
        return False
    return prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0


def parent_death_preexec(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` with the same effect (None off Linux).

    The C function is looked up here, in the parent, so that the forked child only makes
    the system call; if the parent died in between, the child ends at once.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def set_parent_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), int(signum))

    return set_parent_death_signal


_SECRET_NAME = re.compile(
    r"PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|_KEY$|_PW$|^PULSE_SERVER_DATABASE_URL$",
    re.IGNORECASE,
)


def child_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (the app's environment) without variables that look like secrets."""
    source = os.environ if base is None else base
    return {name: value for name, value in source.items() if not _SECRET_NAME.search(name)}
