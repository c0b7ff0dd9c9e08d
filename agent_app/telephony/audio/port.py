"""The pjsua2 side of the bridge: an ``AudioMediaPort`` that only moves bytes.

Its two callbacks run on pjsua2's media clock thread, 100 times a second each. They
touch nothing but the two ring buffers (no Qt object, no pjsua2 call, no allocation
beyond one small array), so a busy Qt or Python side can never stall the conference
bridge. Resampling and device handling happen on the Qt audio thread.

Mute is applied here, at the source: while muted the port sends silence into the
conference whatever the call's (re-created) conference port looks like.

While a call is connected the port keeps the clock thread's Python thread state alive
(:class:`~.thread_state.PinnedThreadState`), taken and given back by callbacks on that
thread (docs/decisions/0007-pinned-python-thread-states.md). Before its last reference
goes, :meth:`BridgePort.leave_conference` quiets the callbacks and waits until the
conference has let go of its slot, so no tick calls a freed port
(docs/decisions/0008-audio-port-leaves-the-conference-before-release.md).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pjsua2 as pj

from agent_app.telephony.audio.frame_access import FrameAccess
from agent_app.telephony.audio.ring import SampleRing
from agent_app.telephony.audio.thread_state import PinnedThreadState

log = logging.getLogger(__name__)

MIC_LATE_WAIT_S = 0.006
"""Longest the media clock waits for a microphone block that is late (see
:meth:`BridgePort._await_mic`): what the speaker's queue covers besides its own jitter."""
MIC_NUDGE_S = 0.002


@dataclass(frozen=True)
class PortTeardown:
    """What happened to the port's clock-thread pin and conference slot, for logs and tests."""

    pins_taken: int
    pins_released: int
    pins_lost: int
    """Pins whose thread had gone before a callback could give them back (none expected)."""
    pinned_on: tuple[int, ...]
    """Native ids of the threads that took a pin, in order."""
    released_on: tuple[int, ...]
    """Native ids of the threads that gave a pin back, in order."""
    left_conference: bool
    """The conference freed the port's slot before the port was released."""
    wait_ms: float


class BridgePort(pj.AudioMediaPort):  # type: ignore[misc]
    def __init__(
        self,
        mic_ring: SampleRing,
        speaker_ring: SampleRing,
        clock_rate: int,
        frame_samples: int,
        access: FrameAccess,
    ) -> None:
        super().__init__()
        self.closing = False
        """Set by :meth:`leave_conference`: callbacks do nothing from then on."""
        self.in_call = False
        """Set by the bridge while a call is connected (silence then keeps the clock fed)."""
        self._pin: PinnedThreadState | None = None
        self._here = threading.local()
        """``pinned`` is set on the thread holding the pin. Thread ids cannot tell: a new
        clock thread often gets the ended one's ``pthread_t``; a thread-local lives in
        the thread state itself, which a new thread never shares."""
        self._pinned_on: list[int] = []
        self._released_on: list[int] = []
        self.pins_lost = 0
        self._quiet = threading.Event()
        """Set by the last callback of a tick that saw ``closing`` (the pin is back by then)."""
        self._mic = mic_ring
        self._speaker = speaker_ring
        self._access = access
        self._out = np.zeros(frame_samples, np.int16)
        self._in = np.zeros(frame_samples, np.int16)
        self.clock_rate = clock_rate
        self.frame_samples = frame_samples
        self.muted = False
        self.frames_sent = 0
        self.frames_received = 0
        self.probe: Any = None
        """Benchmark hook ``probe(direction, samples, monotonic_time)``; None in use."""
        self.nudge: Callable[[], None] | None = None
        """Asks the audio thread to pump now (set by the bridge once that thread runs)."""
        self.on_clock_thread: Callable[[int], None] | None = None
        """Told the kernel id of each media clock thread that takes the pin (the bridge asks
        for its real-time priority there); must not block."""
        self.late_waits = 0
        """Frames the microphone ring was short of when asked for, waited for."""
        self.late_saved = 0
        """Of those, frames whose audio arrived in time (no underrun)."""
        self.late_wait_s = 0.0
        """Time the clock spent in those waits, in all (each at most MIC_LATE_WAIT_S)."""

    def create(self, name: str = "pulse-bridge") -> None:
        fmt = pj.MediaFormatAudio()
        fmt.init(
            pj.PJMEDIA_FORMAT_PCM,
            self.clock_rate,
            1,
            int(self.frame_samples * 1_000_000 / self.clock_rate),
            16,
        )
        self.createPort(name, fmt)

    # -- media clock thread -------------------------------------------------------------
    def onFrameRequested(self, frame: Any) -> None:  # microphone -> call
        if not self._enter(False):
            return  # closing: the frame stays empty, which the conference takes as silence
        out = self._out
        mic = self._mic
        if mic.fill < self.frame_samples and self.nudge and mic.primed and not self.muted:
            self._await_mic()
        mic.read_into(out)
        if self.muted:
            out[:] = 0
        self._access.write(frame, out)
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        self.frames_sent += 1
        now = time.monotonic()
        if self.probe is not None:
            self.probe("mic_to_rtp", out, now)

    def _await_mic(self) -> None:
        """Wait up to MIC_LATE_WAIT_S for the rest of a frame the microphone ring lacks.

        A frame a few ms late costs less than an underrun (20-30 ms of silence sent into
        the call): the audio thread is asked to pump now, and again every MIC_NUDGE_S while
        waiting. A ring that has stopped flowing waits once and is then unprimed, so a dead
        microphone costs one wait, not one per frame
        (docs/decisions/0009-late-microphone-wait.md).
        """
        nudge, mic, need = self.nudge, self._mic, self.frame_samples
        assert nudge is not None
        start = time.monotonic()
        deadline = start + MIC_LATE_WAIT_S
        arrived = False
        while not arrived:
            nudge()
            left = deadline - time.monotonic()
            if left <= 0:
                break
            arrived = mic.wait_for(need, min(left, MIC_NUDGE_S))
        self.late_waits += 1
        self.late_saved += arrived and mic.fill >= need
        self.late_wait_s += time.monotonic() - start

    def onFrameReceived(self, frame: Any) -> None:  # call -> speaker
        # The conference calls this on every tick (an empty frame when nothing is linked
        # to the port), after any onFrameRequested of the same tick.
        if not self._enter(True):
            return
        n = self._access.read_into(frame.buf, self._in)
        if n == 0 and not self.in_call:
            return
        if n == 0:
            # No audio from the conference (no call connected): keep the speaker's clock
            # fed with silence so that only real starvation counts as an underrun.
            self._in[:] = 0
            n = len(self._in)
        self._speaker.write(self._in[:n])
        self.frames_received += 1
        now = time.monotonic()
        if self.probe is not None:
            self.probe("rtp_to_speaker", self._in[:n], now)

    def _enter(self, end_of_tick: bool) -> bool:
        """First step of each callback: tend the pin; False when the port is closing."""
        try:
            closing = self.closing
            want = self.in_call and not closing
            if self._pin is None:
                if want:
                    self._take_pin()
            elif not want or not getattr(self._here, "pinned", False):
                self._drop_pin()
                if want:
                    self._take_pin()
        except AttributeError:
            # The Python object is being destroyed under a callback that was already on
            # its way (only possible if the port is released without leave_conference).
            return False
        if closing:
            if end_of_tick:
                self._quiet.set()
            return False
        return True

    def _take_pin(self) -> None:
        self._pin = PinnedThreadState()
        self._here.pinned = True
        tid = threading.get_native_id()
        self._pinned_on.append(tid)
        if self.on_clock_thread is not None:
            self.on_clock_thread(tid)

    def _drop_pin(self) -> None:
        pin, self._pin = self._pin, None
        if pin is None:
            return
        if getattr(self._here, "pinned", False):
            self._here.pinned = False
            pin.release()
            self._released_on.append(threading.get_native_id())
        else:
            # pjmedia replaced its clock thread while a call was connected: the old
            # thread's state can only be released on that thread, which has ended. It
            # stays allocated (a few KiB) until the interpreter clears stale thread
            # states at exit.
            self.pins_lost += 1

    # -- pjsua2 thread --------------------------------------------------------------------
    def leave_conference(self, timeout: float = 2.0) -> PortTeardown:
        """Quiet the callbacks, give the pin back on its thread and leave the conference.

        Runs on the pjsua2 thread before the last reference to the port is dropped; when
        it returns, no clock tick will call this port again (unless it reports
        ``left_conference=False`` after ``timeout``: the clock never came back).
        """
        start = time.monotonic()
        deadline = start + timeout
        self.in_call = False
        self.closing = True
        slot = int(self.getPortId())
        # Keep the media clock running until the port is gone: pjsua closes the (null)
        # sound device after a second without links or calls, and a closed device
        # neither calls back (no pin given back) nor carries out the removal. A link to
        # the master port cancels that timer or opens the device again.
        try:
            self.startTransmit(pj.Endpoint.instance().audDevManager().getPlaybackDevMedia())
        except pj.Error as exc:
            log.warning("could not keep the media clock running for teardown: %s", exc.reason)
        if not _wait(self._quiet.is_set, deadline):
            log.warning("the media clock did not call the port while it was closing")
        left = _leave(slot, deadline)
        if left is None:
            # Without pjsua_conf_remove_port the destructor removes the port: release it
            # right after a tick's last callback, so that the removal is queued before
            # the next tick (10 ms later), which carries it out before calling ports.
            self._quiet.clear()
            _wait(self._quiet.is_set, deadline)
            left = False
        elif not left:
            log.warning("the conference did not release the audio port in %.1f s", timeout)
        return PortTeardown(
            pins_taken=len(self._pinned_on),
            pins_released=len(self._released_on),
            pins_lost=self.pins_lost,
            pinned_on=tuple(self._pinned_on),
            released_on=tuple(self._released_on),
            left_conference=bool(left),
            wait_ms=(time.monotonic() - start) * 1000,
        )


def _wait(done: Any, deadline: float) -> bool:
    while not done():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)
    return True


def _leave(slot: int, deadline: float) -> bool | None:
    """Remove ``slot`` from the conference and wait until a clock tick has carried it out.

    pjsua2 has no call for this (``AudioMedia.unregisterMediaPort`` is protected), so
    pjsua's own ``pjsua_conf_remove_port`` is called from the loaded module. Once the
    slot is free, the tick that removed it has started after every tick that could have
    seen the port. ``~AudioMediaPort`` removes the slot again later, which pjmedia
    refuses harmlessly (no other port can take the slot meanwhile: ports are only added
    on this thread). None when pjsua's function is not reachable.
    """
    lib = _pjsua()
    if lib is None:
        log.warning("pjsua_conf_remove_port is not exported: releasing after a callback")
        return None
    status = lib.pjsua_conf_remove_port(slot)
    if status != 0:
        log.warning("removing the audio port from the conference failed (status %d)", status)
        return False
    return _wait(lambda: not _slot_taken(lib, slot), deadline)


def _slot_taken(lib: Any, slot: int) -> bool:
    """Whether the conference still has a port in ``slot`` (pjsua2's ``getPortInfoFromId``
    would say so too, but logs an error each time it does not)."""
    level = ctypes.c_uint()
    return int(lib.pjsua_conf_get_signal_level(slot, ctypes.byref(level), None)) == 0


@functools.cache
def _pjsua() -> Any:
    """The loaded pjsua2 module as a C library (pjsua's own functions), or None."""
    from pjsua2 import pjsua2 as swig

    try:
        lib = ctypes.CDLL(swig._pjsua2.__file__)
        remove = lib.pjsua_conf_remove_port
        level = lib.pjsua_conf_get_signal_level
    except (AttributeError, OSError):
        return None
    remove.argtypes = (ctypes.c_int,)
    remove.restype = ctypes.c_int
    level.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
    level.restype = ctypes.c_int
    return lib
