"""Real-time scheduling for the two threads that carry audio in the engine.

The audio thread's 10 ms pump and pjsua2's media clock must run on time: measured on a
shared 2-core machine at normal priority, about one pump in a hundred ran 4-14 ms late
(the kernel let other work finish its slice first), which the speaker's queue and the
microphone ring would have to cover with as much extra latency. Sound servers and
browsers run their audio threads with a low real-time priority for that reason; so does
the engine:

- ``SCHED_RR`` at a low priority directly when the process may (``RLIMIT_RTPRIO``, or
  ``CAP_SYS_NICE``);
- else through RealtimeKit (``org.freedesktop.RealtimeKit1`` on the system bus, what
  PulseAudio clients use on desktops), after capping ``RLIMIT_RTTIME`` as it requires;
- else the thread stays at normal priority (logged once; the rings' adaptive margins
  then absorb more lateness).

Both threads block every 10 ms and use a few percent of a core, so a real-time priority
cannot starve the rest of the machine. Elsewhere than Linux nothing is done yet.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

AUDIO_RT_PRIORITY = 5
"""Low on Linux's 1-99 scale (PulseAudio's own threads ask for 5 too)."""
RTTIME_LIMIT_US = 200_000
"""CPU a real-time thread may use without blocking (RealtimeKit insists on a limit)."""

_warned: list[bool] = []


def make_thread_realtime(role: str) -> bool:
    """Give the calling thread a low real-time priority; True when it has one."""
    if not sys.platform.startswith("linux"):
        return False
    if _direct():
        log.info("audio: %s thread runs with real-time priority", role)
        return True
    if _realtime_kit(threading.get_native_id()):
        log.info("audio: %s thread runs with real-time priority (RealtimeKit)", role)
        return True
    if not _warned:
        _warned.append(True)
        log.info("audio: real-time priority not granted; audio threads run at normal priority")
    return False


def _direct() -> bool:
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(AUDIO_RT_PRIORITY))
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
