"""The port waits briefly for a microphone block that is late instead of sending silence.

A real ``pj.AudioMediaPort`` never registered with a conference; its microphone callback is
called from a plain thread standing in for pjmedia's clock, and the audio thread's pump is
another plain thread that writes into the ring when nudged.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pjsua2 as pj

from agent_app.telephony.audio.frame_access import FrameAccess
from agent_app.telephony.audio.port import MIC_LATE_WAIT_S, BridgePort
from agent_app.telephony.audio.ring import SampleRing

FRAME = 160


def _port(mic: SampleRing) -> BridgePort:
    return BridgePort(mic, SampleRing(1600), 16000, FRAME, FrameAccess(pj))


def _take(port: BridgePort) -> np.ndarray:
    frame = pj.MediaFrame()
    port.onFrameRequested(frame)
    return np.frombuffer(bytes(frame.buf), "<i2").copy()


class LatePump:
    """Writes ``block`` into the ring on the first nudge, from its own thread."""

    def __init__(self, ring: SampleRing, block: np.ndarray) -> None:
        self.nudges = 0
        self._asked = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ring, block))
        self._thread.start()

    def nudge(self) -> None:
        self.nudges += 1
        self._asked.set()

    def _run(self, ring: SampleRing, block: np.ndarray) -> None:
        if self._asked.wait(10):
            ring.write(block)

    def join(self) -> None:
        self._asked.set()
        self._thread.join(10)


def test_a_late_block_is_waited_for_and_the_frame_goes_out_whole() -> None:
    mic = SampleRing(1600, prime=2 * FRAME)
    samples = np.arange(1, 1001, dtype=np.int16)
    mic.write(samples[: 2 * FRAME])
    port = _port(mic)
    pump = LatePump(mic, samples[2 * FRAME + 100 : 3 * FRAME + 100])
    port.nudge = pump.nudge
    try:
        assert _take(port).tolist() == samples[:FRAME].tolist()  # enough: no wait
        assert pump.nudges == 0
        mic.write(samples[2 * FRAME : 2 * FRAME + 100])  # 260 held, then 100 after a frame
        assert _take(port).tolist() == samples[FRAME : 2 * FRAME].tolist()
        frame = _take(port)  # 100 held: the rest arrives when the pump is nudged
    finally:
        pump.join()
    assert frame.tolist() == samples[2 * FRAME : 3 * FRAME].tolist()
    assert pump.nudges >= 1
    assert mic.underruns == 0
    assert (port.late_waits, port.late_saved) == (1, 1)
    assert mic.fill == 100


def test_a_microphone_that_stopped_costs_one_wait_then_silence() -> None:
    mic = SampleRing(1600, prime=2 * FRAME)
    mic.write(np.ones(2 * FRAME + 50, np.int16))
    port = _port(mic)
    nudges: list[float] = []
    port.nudge = lambda: nudges.append(time.monotonic())
    _take(port)
    _take(port)
    started = time.monotonic()
    short = _take(port)  # 50 held and nothing comes
    waited = time.monotonic() - started
    assert waited >= MIC_LATE_WAIT_S * 0.9
    assert short[:50].tolist() == [1] * 50
    assert short[50:].tolist() == [0] * (FRAME - 50)
    assert mic.underruns == 1
    assert (port.late_waits, port.late_saved) == (1, 0)
    assert len(nudges) >= 2  # asked again while waiting
    # The ring is unprimed now: silence until it refills, without waiting again.
    assert _take(port).tolist() == [0] * FRAME
    assert port.late_waits == 1


def test_without_an_audio_thread_a_short_ring_is_an_underrun_at_once() -> None:
    mic = SampleRing(1600)
    mic.write(np.ones(FRAME // 2, np.int16))
    port = _port(mic)
    assert port.nudge is None
    _take(port)
    assert mic.underruns == 1
    assert port.late_waits == 0


def test_a_muted_port_does_not_wait_for_the_microphone() -> None:
    mic = SampleRing(1600)
    mic.write(np.ones(FRAME // 2, np.int16))
    port = _port(mic)
    nudges: list[int] = []
    port.nudge = lambda: nudges.append(1)
    port.muted = True
    assert _take(port).tolist() == [0] * FRAME
    assert nudges == []
    assert port.late_waits == 0
    assert mic.underruns == 1
