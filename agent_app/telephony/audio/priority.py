"""Real-time scheduling for the threads that carry call audio (Linux).

Qt Multimedia's PulseAudio thread, the ``pulse-audio`` pump and pjsua2's media clock
must run within a few milliseconds of being woken
(docs/decisions/0010-real-time-priority-and-control-streams.md). Each gets:

- ``SCHED_RR`` at priority 5 directly when the process may (``CAP_SYS_NICE`` or
  ``RLIMIT_RTPRIO``);
- else through RealtimeKit (``org.freedesktop.RealtimeKit1`` on the system bus), after
  capping ``RLIMIT_RTTIME`` as it requires;
- else normal priority (logged once).

:class:`Promoter` carries the requests out on a thread of its own (a RealtimeKit call is
a D-Bus round trip), so an audio thread only hands over its id. Elsewhere than Linux
nothing is done yet (on Windows the counterpart is MMCSS,
``AvSetMmThreadCharacteristics``).
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from pathlib import Path

log = logging.getLogger(__name__)

AUDIO_RT_PRIORITY = 5
"""Low on Linux's 1-99 scale (PulseAudio asks the same for its own threads)."""
RTTIME_LIMIT_US = 200_000
"""CPU a real-time thread may use without blocking (RealtimeKit insists on a limit)."""
QT_PULSE_THREAD = "QPulseAudioEngi"
"""Qt Multimedia's PulseAudio thread, as the kernel names it (15 characters)."""


def supported() -> bool:
    return sys.platform.startswith("linux")


def threads_named(name: str) -> list[int]:
    """Kernel thread ids of this process's threads called ``name``."""
    found = []
    for task in Path("/proc/self/task").iterdir():
        try:
            if (task / "comm").read_text().strip() == name:
                found.append(int(task.name))
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
    return found


def make_realtime(tid: int) -> str | None:
    """Give thread ``tid`` of this process a low real-time priority; how it was granted
    (``"direct"``, ``"RealtimeKit"``) or None when it was not."""
    if _direct(tid):
        return "direct"
    if _realtime_kit(tid):
        return "RealtimeKit"
    return None


def _is_realtime(tid: int) -> bool:
    try:
        return os.sched_getscheduler(tid) in (os.SCHED_RR, os.SCHED_FIFO)
    except OSError:  # the thread ended meanwhile
        return False


def _direct(tid: int) -> bool:
    try:
        os.sched_setscheduler(tid, os.SCHED_RR, os.sched_param(AUDIO_RT_PRIORITY))
    except OSError:
        return False
    return True


def _realtime_kit(tid: int) -> bool:
    try:
        import resource

        from jeepney import DBusAddress, new_method_call  # type: ignore[import-untyped]
        from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]
    except ImportError:
        return False
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_RTTIME)
        if soft == resource.RLIM_INFINITY or soft > RTTIME_LIMIT_US:
            limit = (
                RTTIME_LIMIT_US if hard == resource.RLIM_INFINITY else min(hard, RTTIME_LIMIT_US)
            )
            resource.setrlimit(resource.RLIMIT_RTTIME, (limit, hard))
        kit = DBusAddress(
            "/org/freedesktop/RealtimeKit1",
            bus_name="org.freedesktop.RealtimeKit1",
            interface="org.freedesktop.RealtimeKit1",
        )
        with open_dbus_connection(bus="SYSTEM") as bus:
            call = new_method_call(kit, "MakeThreadRealtime", "tu", (tid, AUDIO_RT_PRIORITY))
            reply = bus.send_and_get_reply(call, timeout=1.0)
        return bool(reply.header.message_type.value == 2)  # METHOD_RETURN, not ERROR
    except Exception:  # no system bus, no RealtimeKit, refused: stay at normal priority
        return False


class Promoter:
    """Carries out real-time requests on its own thread, one at a time per thread id.

    A thread already real-time is left alone: the kernel reuses the ids of ended threads
    (pjsua2 starts a new media clock thread per call after an idle spell), so an id seen
    before may be a new thread that still needs its priority.
    """

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[int, str] | None] = queue.SimpleQueue()
        self._pending: set[int] = set()
        """Thread ids asked for and not yet served."""
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._refused_logged = False
        self._granted: dict[int, str] = {}
        self.done = threading.Event()
        """Set whenever the queue has been worked off (tests wait on it)."""

    def request(self, tid: int, role: str) -> None:
        """Ask for ``tid`` to be made real-time (any thread; never blocks)."""
        if not supported():
            return
        with self._lock:
            if tid in self._pending:
                return
            self._pending.add(tid)
            self.done.clear()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="pulse-audio-priority", daemon=True
                )
                self._thread.start()
        self._requests.put((tid, role))

    @property
    def granted(self) -> dict[int, str]:
        """Thread id -> role, for every thread that got its priority (a copy: any thread)."""
        with self._lock:
            return dict(self._granted)

    def request_current(self, role: str) -> None:
        self.request(threading.get_native_id(), role)

    def request_named(self, name: str, role: str) -> None:
        """Ask for every thread of this process called ``name`` (e.g. Qt's own)."""
        if supported():
            for tid in threads_named(name):
                self.request(tid, role)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._requests.put(None)
            thread.join(timeout=5)

    def _serve(self) -> None:
        while True:
            item = self._requests.get()
            if item is None:
                return
            tid, role = item
            how = "already" if _is_realtime(tid) else make_realtime(tid)
            if how is not None:
                with self._lock:
                    self._granted[tid] = role
                log.info("audio: %s thread runs with real-time priority (%s)", role, how)
            elif not self._refused_logged:
                self._refused_logged = True
                log.info(
                    "audio: real-time priority not granted; %s thread at normal priority", role
                )
            with self._lock:
                self._pending.discard(tid)
                if not self._pending:
                    self.done.set()
