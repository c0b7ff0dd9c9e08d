"""The port's bookkeeping of the media clock thread's pinned thread state, on real threads.

The port is a real ``pj.AudioMediaPort`` that is never registered with a conference (no
pjsua2 endpoint is needed for that), and its ``_enter`` step, which every callback runs
first, is driven from plain Python threads standing in for pjmedia's clock threads; the
pin is a real ``PyGILState_Ensure`` on each of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pjsua2 as pj

from agent_app.telephony.audio.frame_access import FrameAccess
from agent_app.telephony.audio.port import BridgePort
from agent_app.telephony.audio.ring import SampleRing


def _port() -> BridgePort:
    return BridgePort(SampleRing(1600), SampleRing(1600), 16000, 160, FrameAccess(pj))


def _on_thread(fn: Callable[[], Any]) -> Any:
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append((fn(), threading.get_native_id())))
    thread.start()
    thread.join(10)
    return box[0]


def test_pin_taken_during_a_call_and_given_back_on_the_same_thread() -> None:
    port = _port()
    barrier = threading.Event()
    done = threading.Event()
    results: list[bool] = []

    def clock() -> None:
        results.append(port._enter(True))  # no call: nothing pinned
        port.in_call = True
        results.append(port._enter(False))  # pins
        results.append(port._enter(True))  # still pinned: nothing to do
        barrier.set()
        done.wait(10)
        results.append(port._enter(True))  # call over: gives it back here

    thread = threading.Thread(target=clock)
    thread.start()
    assert barrier.wait(10)
    assert port._pin is not None
    port.in_call = False
    done.set()
    thread.join(10)
    assert results == [True, True, True, True]
    assert port._pin is None
    assert len(port._pinned_on) == 1
    assert port._released_on == port._pinned_on
    assert port.pins_lost == 0


def test_a_new_clock_thread_does_not_release_the_old_pin() -> None:
    port = _port()
    port.in_call = True
    _, first = _on_thread(lambda: port._enter(True))
    # The first thread ended holding the pin (pjmedia replaced its clock thread): the
    # next callback on another thread must not release it there, only pin its own.
    _, second = _on_thread(lambda: port._enter(True))
    assert port._pinned_on == [first, second]
    assert port._released_on == []
    assert port.pins_lost == 1
    port.in_call = False
    ok, _ = _on_thread(lambda: port._enter(True))
    assert ok
    assert port.pins_lost == 2  # the second thread ended too: again not released elsewhere
    assert port._pin is None


def test_closing_gives_the_pin_back_and_quiets_the_callbacks() -> None:
    port = _port()
    port.in_call = True
    steps: list[bool] = []

    def clock() -> None:
        steps.append(port._enter(True))
        port.closing = True
        steps.append(port._enter(False))  # gathers nothing; not the tick's last call
        assert not port._quiet.is_set()
        steps.append(port._enter(True))

    _on_thread(clock)
    assert steps == [True, False, False]
    assert port._quiet.is_set()
    assert port._released_on == port._pinned_on and len(port._pinned_on) == 1


def test_callbacks_on_a_port_without_state_do_nothing() -> None:
    """A callback reaching an object whose attributes are gone (being destroyed) returns
    quietly instead of raising AttributeError on the clock thread."""
    bare = BridgePort.__new__(BridgePort)
    frame = pj.MediaFrame()
    bare.onFrameReceived(frame)
    bare.onFrameRequested(frame)
    assert len(frame.buf) == 0


def test_closing_port_sends_nothing() -> None:
    mic = SampleRing(1600)
    port = BridgePort(mic, SampleRing(1600), 16000, 160, FrameAccess(pj))
    mic.write(np.full(320, 1000, np.int16))
    port.closing = True
    frame = pj.MediaFrame()
    port.onFrameRequested(frame)
    assert len(frame.buf) == 0
    assert port.frames_sent == 0
