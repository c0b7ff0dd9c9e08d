"""Real-time priority for the audio threads: granted or refused, never an error, only the
threads asked for, each once, and never blocking the thread that asks."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from agent_app.telephony.audio.priority import Promoter, threads_named

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="Linux scheduling classes"
)

PR_SET_NAME = 15


@contextmanager
def parked_thread(name: str = "") -> Iterator[int]:
    """A thread that waits until the block ends; yields its kernel id."""
    ready = threading.Event()
    release = threading.Event()
    tid: list[int] = []

    def park() -> None:
        if name:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_NAME, name.encode(), 0, 0, 0)
        tid.append(threading.get_native_id())
        ready.set()
        release.wait(30)

    worker = threading.Thread(target=park, daemon=True)
    worker.start()
    assert ready.wait(10)
    try:
        yield tid[0]
    finally:
        release.set()
        worker.join(10)


def settled(promoter: Promoter) -> None:
    assert promoter.done.wait(10), "the promoter did not work off its requests"


def policy_matches(promoter: Promoter, tid: int) -> None:
    expected = os.SCHED_RR if tid in promoter.granted else os.SCHED_OTHER
    assert os.sched_getscheduler(tid) == expected


def test_a_requested_thread_gets_the_priority_or_stays_as_it_was() -> None:
    promoter = Promoter()
    try:
        with parked_thread() as tid:
            promoter.request(tid, "audio")
            settled(promoter)
            policy_matches(promoter, tid)
            if tid in promoter.granted:
                assert promoter.granted[tid] == "audio"
                assert os.sched_getparam(tid).sched_priority == 5
        assert os.sched_getscheduler(0) == os.SCHED_OTHER, "the asking thread is untouched"
    finally:
        promoter.close()


def test_threads_are_found_by_their_kernel_name() -> None:
    promoter = Promoter()
    try:
        with parked_thread("QPulseAudioEngi") as named, parked_thread("other") as other:
            # Qt's own thread of that name may exist too if an earlier test opened a stream.
            found = threads_named("QPulseAudioEngi")
            assert named in found and other not in found
            promoter.request_named("QPulseAudioEngi", "Qt PulseAudio")
            settled(promoter)
            policy_matches(promoter, named)
            assert other not in promoter.granted
            assert os.sched_getscheduler(other) == os.SCHED_OTHER
        assert threads_named("no-such-thread") == []
    finally:
        promoter.close()


def test_each_thread_is_asked_for_once_and_the_asker_never_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import agent_app.telephony.audio.priority as priority

    calls: list[int] = []
    gate = threading.Event()

    def slow_grant(tid: int) -> str | None:
        gate.wait(10)  # a RealtimeKit round trip that takes its time
        calls.append(tid)
        return None

    monkeypatch.setattr(priority, "make_realtime", slow_grant)
    promoter = Promoter()
    try:
        promoter.request(4242, "media clock")
        promoter.request(4242, "media clock")
        assert calls == [], "both requests returned while the first was still served"
        gate.set()
        settled(promoter)
        assert calls == [4242]
        assert promoter.granted == {}
    finally:
        promoter.close()


def test_a_thread_already_real_time_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import agent_app.telephony.audio.priority as priority

    calls: list[int] = []
    monkeypatch.setattr(priority, "make_realtime", calls.append)
    promoter = Promoter()
    try:
        with parked_thread() as tid:
            try:
                os.sched_setscheduler(tid, os.SCHED_RR, os.sched_param(1))
            except OSError:
                pytest.skip("this process may not set real-time priority itself")
            promoter.request(tid, "media clock")
            settled(promoter)
            # A new thread under a reused id would be asked for again; this one already
            # runs real-time, so nothing is changed (its own priority stays).
            assert calls == []
            assert promoter.granted == {tid: "media clock"}
            assert os.sched_getparam(tid).sched_priority == 1
    finally:
        promoter.close()
