"""A 300 ms stall of the desktop process (sleeping, or a C call holding the GIL) while a
call runs in the engine process: SIP (incoming DTMF) and RTP carry on untouched.

The desktop side here is this test process with an EngineClient; the engine process
stamps each event with its own monotonic clock (the same clock for every process on
the machine), so we can see what it handled while we were stalled.
"""

from __future__ import annotations

import gc
import json
import threading
import time

import pytest

from agent_app.telephony import protocol as p
from testbed.ports import free_port

pytestmark = pytest.mark.integration

STALL_S = 0.3


def _gil_holding_payload(target_s: float) -> str:
    """A JSON text whose json.loads (C code, GIL held throughout) takes >= target_s."""
    n = 100_000
    while True:
        text = "[" + ",".join(['{"a":[1,2,3],"b":"xyzxyz"}'] * n) + "]"
        took = min(_timed_loads(text) for _ in range(2))
        if took >= target_s * 2.0:  # margin: a busy machine makes it vary
            return text
        n = int(n * max(1.5, min(8.0, target_s * 2.5 / max(took, 1e-3))))


def _timed_loads(text: str) -> float:
    gc.disable()  # measured as the stall below runs it: without the collector
    try:
        t0 = time.perf_counter()
        json.loads(text)
        return time.perf_counter() - t0
    finally:
        gc.enable()


class _Ticker:
    """A thread of this process that notes how long it was kept from running."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self.gap_start = 0.0
        self.gap_end = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.is_set():
            time.sleep(0.005)
            now = time.monotonic()
            if now - last > self.max_gap:
                self.max_gap, self.gap_start, self.gap_end = now - last, last, now
            last = now

    def __enter__(self) -> _Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _check_window(eng, start: float, end: float) -> None:
    digits = [e for e in eng.events.of_type(p.DtmfReceived) if start <= e.at <= end]
    assert digits, f"no DTMF handled by the engine during the stall [{start:.3f}, {end:.3f}]"
    stats = [e for e in eng.events.of_type(p.MediaStats) if start <= e.at <= end]
    assert len(stats) >= 2, "no media statistics produced during the stall"
    rate = (stats[-1].rx_packets - stats[0].rx_packets) / (stats[-1].at - stats[0].at)
    assert rate > 35, f"RTP slowed to {rate:.0f} packets/s during the stall (50 expected)"


def test_gui_stall_leaves_sip_and_media_untouched(start_engine, phone, tones) -> None:
    payload = _gil_holding_payload(STALL_S)
    peer_port = free_port()
    peer = phone(
        "listen",
        "--port",
        str(peer_port),
        "--auto-answer",
        "--play",
        str(tones[1000]),
        "--commands-stdin",
    )
    peer.ready()
    eng = start_engine(
        p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), stats_interval_s=0.05)
    )
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:p@127.0.0.1:{peer_port}"))
    eng.events.wait_type(p.MediaChanged, call_id="c1", state="active")
    incoming = peer.events.wait_type(p.IncomingCall)
    peer.events.wait_type(p.MediaChanged, call_id=incoming.call_id, state="active")
    # RTP in steady flow before the stall: half a second of the peer's packets arrived.
    eng.events.wait_for(
        lambda e: isinstance(e, p.MediaStats) and e.rx_packets >= 25, what="the peer's RTP"
    )

    with _Ticker() as ticker:
        # 1) the GUI thread sleeps while the peer sends digits
        peer.send(p.SendDtmf(call_id=incoming.call_id, digits="1234"))
        sleep_start = time.monotonic()
        time.sleep(STALL_S)  # the stall under test
        sleep_end = time.monotonic()
        eng.events.wait_type(p.DtmfReceived, digit="4")  # the first digits are through
        # 2) the GUI process holds the GIL in C code while the peer sends digits
        peer.send(p.SendDtmf(call_id=incoming.call_id, digits="5678"))
        # With the collector off, no finalizer can run Python code mid-parse and let
        # another thread take the GIL: the parse holds it from start to end.
        gc.disable()
        try:
            gil_start = time.monotonic()
            json.loads(payload)
            gil_end = time.monotonic()
        finally:
            gc.enable()
    # The parse is called through a few Python frames, where another thread may take the
    # GIL first on a busy machine; the window this process was provably frozen is the
    # ticker's longest gap within the parse, and it has to last the stall.
    frozen_start, frozen_end = max(ticker.gap_start, gil_start), min(ticker.gap_end, gil_end)
    assert frozen_end - frozen_start >= STALL_S * 0.9, "the GIL was not held for the whole stall"

    eng.events.wait_type(p.DtmfReceived, digit="8")
    # Everything the engine reported during the stall has reached us.
    eng.events.wait_for(
        lambda e: isinstance(e, p.MediaStats) and e.at > frozen_end,
        what="media statistics from after the stall",
    )
    _check_window(eng, sleep_start, sleep_end)
    _check_window(eng, frozen_start, frozen_end)
    eng.send(p.Hangup(call_id="c1"))
    eng.events.wait_type(p.CallEnded, call_id="c1")
