"""PacedThread: the audio thread's own loop, driven here by a small work object.

What the audio worker relies on: boot on the thread, pumps while streaming and none while
idle, requests from other threads delivered in both modes, objects deleted with
``deleteLater()`` really deleted while the loop runs, a failing pump logged without
ending the loop, and the loop ending on request.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

from agent_app.telephony.audio.paced_thread import PacedThread
from testbed.timing import wait_until

PERIOD_S = 0.01


class Work(QObject):
    """A stand-in for the audio worker: records what the loop did with it."""

    pumped = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.booted_on: QThread | None = None
        self.is_streaming = False
        self.pumps = 0
        self.pump_times: list[float] = []
        self.fail_next_pump = False
        self.requests: list[tuple[str, bool]] = []
        self.doomed: QObject | None = None
        self._stop = False
        self.pump_seen = threading.Event()
        self.request_seen = threading.Event()

    def boot(self) -> None:
        self.booted_on = QThread.currentThread()

    def streaming(self) -> bool:
        return self.is_streaming

    def pump(self) -> None:
        self.pumps += 1
        self.pump_times.append(time.monotonic())
        self.pump_seen.set()
        if self.fail_next_pump:
            self.fail_next_pump = False
            raise RuntimeError("pump failed on purpose")

    def stopping(self) -> bool:
        return self._stop

    @Slot(str)
    def request(self, name: str) -> None:
        on_thread = QThread.currentThread() is self.thread()
        self.requests.append((name, on_thread))
        if name == "stream":
            self.is_streaming = True
        elif name == "idle":
            self.is_streaming = False
        elif name == "doom":
            self.doomed = QObject(self)
            self.doomed.deleteLater()
        elif name == "stop":
            self._stop = True
        self.request_seen.set()


class Requests(QObject):
    send = Signal(str)


def wait_for(condition: threading.Event, what: str, timeout: float = 5.0) -> None:
    assert condition.wait(timeout), f"timed out waiting for {what}"
    condition.clear()


def ask(requests: Requests, work: Work, name: str) -> None:
    work.request_seen.clear()
    requests.send.emit(name)
    wait_for(work.request_seen, f"request {name!r}")


def wired(
    work: Work, *, period_s: float = PERIOD_S, events_every: int = 1
) -> tuple[PacedThread, Requests]:
    """A paced thread for ``work`` (moved onto it) and a sender of requests; not started."""
    thread = PacedThread(work, name="paced-test", period_s=period_s, events_every=events_every)
    work.moveToThread(thread)
    requests = Requests()
    requests.send.connect(work.request)
    return thread, requests


@pytest.fixture(params=[1, 5], ids=["events-every-pump", "events-every-5th-pump"])
def loop(
    qapp: object, request: pytest.FixtureRequest
) -> Iterator[tuple[PacedThread, Work, Requests]]:
    work = Work()
    thread, requests = wired(work, events_every=request.param)
    thread.start()
    try:
        yield thread, work, requests
    finally:
        if thread.isRunning():
            requests.send.emit("stop")
            assert thread.wait(5000), "the paced thread did not end"


def test_boots_on_its_own_thread_and_delivers_requests_while_idle(loop) -> None:
    thread, work, requests = loop
    ask(requests, work, "hello")
    assert work.booted_on is thread
    assert work.requests == [("hello", True)]
    assert work.pumps == 0  # nothing streams: nothing to pump


def test_pumps_only_while_streaming(loop) -> None:
    _, work, requests = loop
    ask(requests, work, "stream")
    wait_for(work.pump_seen, "a pump")
    wait_until(lambda: work.pumps >= 5, 5, 0.01, what="five pumps")
    # Requests still arrive while the loop is paced by the pump.
    ask(requests, work, "idle")
    after_idle = work.pumps
    time.sleep(20 * PERIOD_S)  # the window in which no pump may come: nothing to wait for
    assert work.pumps == after_idle
    assert [name for name, _ in work.requests] == ["stream", "idle"]
    assert all(on_thread for _, on_thread in work.requests)


def test_the_pump_wakes_the_thread_about_once_per_period(loop) -> None:
    thread, work, requests = loop
    ask(requests, work, "stream")
    wait_for(work.pump_seen, "a pump")
    wakeups, pumps = thread.counts.wakeups, work.pumps
    wait_until(lambda: work.pumps >= pumps + 20, 5, 0.01, what="twenty more pumps")
    woke, pumped = thread.counts.wakeups - wakeups, work.pumps - pumps
    # One pass of the loop per pump (one more at most for a request arriving meanwhile).
    assert woke <= pumped + 2


def test_objects_deleted_later_are_deleted_while_streaming(loop) -> None:
    _, work, requests = loop
    ask(requests, work, "stream")
    ask(requests, work, "doom")
    doomed = work.doomed
    assert doomed is not None
    wait_until(lambda: not shiboken6.isValid(doomed), 5, 0.01, what="the doomed object's deletion")


def test_objects_deleted_later_are_deleted_while_idle(loop) -> None:
    _, work, requests = loop
    ask(requests, work, "doom")
    doomed = work.doomed
    assert doomed is not None
    # The idle loop deletes them before it next blocks; any request makes it go round.
    ask(requests, work, "nudge")

    def deleted() -> bool:
        if not shiboken6.isValid(doomed):
            return True
        ask(requests, work, "nudge")
        return False

    wait_until(deleted, 5, 0.01, what="the doomed object's deletion")


@pytest.mark.allow_log_errors
def test_a_failing_pump_is_logged_and_the_audio_goes_on(loop, caplog) -> None:
    thread, work, requests = loop
    work.fail_next_pump = True
    with caplog.at_level(logging.ERROR, logger="agent_app.telephony.audio.paced_thread"):
        ask(requests, work, "stream")
        wait_for(work.pump_seen, "the failing pump")
        wait_for(work.pump_seen, "a pump after it")
    assert any("audio pump failed" in r.getMessage() for r in caplog.records)
    assert thread.isRunning()


def test_ends_on_request_in_either_mode(qapp: object) -> None:
    for streaming in (False, True):
        work = Work()
        thread, requests = wired(work)
        thread.start()
        if streaming:
            ask(requests, work, "stream")
            wait_for(work.pump_seen, "a pump")
        requests.send.emit("stop")
        assert thread.wait(5000), f"the loop did not end (streaming={streaming})"


def test_the_loop_leaves_none_s_reference_count_alone(loop) -> None:
    """PySide6 6.12's static processEvents drops a reference to None per call: at the
    pump's rate None was deallocated (a fatal error) after about a minute."""
    thread, work, requests = loop
    ask(requests, work, "stream")
    wait_for(work.pump_seen, "a pump")
    before, passes = sys.getrefcount(None), thread.counts.wakeups
    wait_until(lambda: thread.counts.wakeups >= passes + 300, 10, what="300 passes of the loop")
    ran = thread.counts.wakeups - passes
    # Other threads may hold a few references more or fewer at either moment; a loop that
    # lost one per pass would be down by hundreds.
    assert sys.getrefcount(None) - before > -ran // 2


@pytest.mark.allow_log_errors
def test_a_failing_set_up_is_logged_and_requests_still_arrive(qapp: object, caplog) -> None:
    class FailingBoot(Work):
        def boot(self) -> None:
            raise RuntimeError("set-up failed on purpose")

    work = FailingBoot()
    thread, requests = wired(work)
    with caplog.at_level(logging.ERROR, logger="agent_app.telephony.audio.paced_thread"):
        thread.start()
        ask(requests, work, "hello")
    assert any("set-up failed" in r.getMessage() for r in caplog.records)
    requests.send.emit("stop")
    assert thread.wait(5000)


@pytest.mark.allow_log_errors
def test_a_pump_that_keeps_failing_is_not_logged_every_time(qapp: object, caplog) -> None:
    class AlwaysFailing(Work):
        def pump(self) -> None:
            self.pumps += 1
            raise RuntimeError("pump failed on purpose")

    work = AlwaysFailing()
    thread, requests = wired(work, period_s=0.002)
    with caplog.at_level(logging.ERROR, logger="agent_app.telephony.audio.paced_thread"):
        thread.start()
        ask(requests, work, "stream")
        wait_until(lambda: work.pumps >= 40, 10, 0.01, what="40 failed pumps")
        requests.send.emit("stop")
        assert thread.wait(5000)
    failed = thread.counts.failed_pumps
    assert failed >= 40
    logged = [r for r in caplog.records if "audio pump failed" in r.getMessage()]
    # The 1st, 2nd, 4th, 8th... failure: about log2(failures) records.
    assert len(logged) == failed.bit_length()


def test_a_nudge_pumps_at_once_and_the_next_tick_stays_on_the_grid(qapp: object) -> None:
    work = Work()
    # A long period, so that a pump soon after the nudge can only be the nudged one.
    thread, requests = wired(work, period_s=1.0)
    thread.start()
    try:
        ask(requests, work, "stream")
        wait_for(work.pump_seen, "the first pump")
        time.sleep(0.5)  # half a period: the nudge lands between two ticks
        nudged_at = time.monotonic()
        thread.nudge()
        wait_for(work.pump_seen, "the nudged pump", timeout=0.45)
        assert work.pump_times[-1] - nudged_at < 0.45
        assert thread.counts.nudged_pumps == 1
        wait_for(work.pump_seen, "the next tick", timeout=5)
        first, nudged, tick = work.pump_times[:3]
        # The tick after the nudged pump is the one planned before it, a period after
        # the first pump (a grid moved by the nudge would put it a period after the
        # nudged pump, 1.5 s after the first).
        assert tick - first < 1.4
        assert tick - nudged < 0.9
        assert thread.counts.nudged_pumps == 1
    finally:
        requests.send.emit("stop")
        assert thread.wait(5000), "the paced thread did not end"


def test_a_nudge_while_idle_is_harmless(loop) -> None:
    thread, work, requests = loop
    thread.nudge()
    ask(requests, work, "hello")
    assert work.pumps == 0
    ask(requests, work, "stream")
    wait_for(work.pump_seen, "a pump")
    assert thread.counts.nudged_pumps <= 1  # the nudge left pending is served once at most
