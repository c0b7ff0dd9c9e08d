"""Real-time priority for the audio threads: granted or refused, never an error, and only
the calling thread changes."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from agent_app.telephony.audio.priority import make_thread_realtime


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux scheduling classes")
def test_only_the_calling_thread_gets_real_time_priority() -> None:
    result: dict[str, object] = {}

    def audio_thread() -> None:
        result["granted"] = make_thread_realtime("test")
        result["policy"] = os.sched_getscheduler(0)

    worker = threading.Thread(target=audio_thread)
    worker.start()
    worker.join(timeout=10)
    assert isinstance(result["granted"], bool)
    if result["granted"]:
        assert result["policy"] == os.SCHED_RR
    else:
        assert result["policy"] == os.SCHED_OTHER
    assert os.sched_getscheduler(0) == os.SCHED_OTHER, "the test's own thread is untouched"
