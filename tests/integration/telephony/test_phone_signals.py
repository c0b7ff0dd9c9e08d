"""pulse-phone ends on SIGTERM however many arrive at once: a parent's death signal and its
clean-up's own SIGTERM often come together, and a second signal while the first one's handler
held a lock once left the phone running for ever."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable

import pytest

from testbed.ports import free_port
from tests.helpers.telephony_peers import Phone

pytestmark = pytest.mark.integration


def test_a_burst_of_sigterms_ends_the_phone(phone: Callable[..., Phone]) -> None:
    peer = phone("listen", "--port", str(free_port()), "--auto-answer")
    peer.ready()
    deadline = time.monotonic() + 2.0
    sent = 0
    while time.monotonic() < deadline and peer.proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(peer.proc.pid, signal.SIGTERM)
        sent += 1
    assert sent > 1
    # It ends: by its own clean exit, or by a signal that came while Python shut down
    # (its handlers are gone by then).
    assert peer.wait_exit(timeout=20) in (0, -signal.SIGTERM)
