"""Faults: a peer that vanishes without BYE, hostile SIP input, a burst of 100 INVITEs.

The burst runs at 25 INVITEs/s (100 in 4 s): much faster and pjlib's ioqueue (64 slots,
freed 500 ms after close) aborts the engine; see docs/architecture.md.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent_app.telephony import protocol as p
from testbed.ports import free_port
from testbed.timing import wait_until
from tests.helpers.telephony_peers import DATA, sipp

pytestmark = pytest.mark.integration


def test_peer_killed_mid_call_ends_by_media_timeout(start_engine, phone, tones) -> None:
    peer_port = free_port()
    peer = phone("listen", "--port", str(peer_port), "--auto-answer", "--play", str(tones[1000]))
    peer.ready()
    eng = start_engine(
        p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), media_timeout_s=2.0)
    )
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:x@127.0.0.1:{peer_port}"))
    eng.events.wait_type(p.MediaChanged, call_id="c1", state="active")
    time.sleep(0.5)  # RTP flows for a moment before the peer vanishes
    peer.kill()  # SIGKILL: no BYE, no more RTP
    killed_at = time.monotonic()
    ended = eng.events.wait_type(p.CallEnded, call_id="c1", timeout=20)
    assert ended.ended_by == "media_timeout"
    assert "no audio" in ended.reason
    assert 1.5 <= ended.at - killed_at < 10


def _query(eng) -> p.EngineState:
    asked = time.monotonic()
    eng.send(p.QueryState())
    state: p.EngineState = eng.events.wait_for(
        lambda e: isinstance(e, p.EngineState) and e.at >= asked, what="engine state"
    )
    return state


def _engine_is_consistent(eng) -> None:
    """Every call the engine still holds was announced and not ended; declined, they go."""
    eng.send(p.Ping(seq=7))
    eng.events.wait_type(p.Pong, seq=7)
    time.sleep(1.0)  # the burst's last transactions settle: no single event marks their end
    announced = {e.call_id for e in eng.events.of_type(p.IncomingCall)}
    ended = {e.call_id for e in eng.events.of_type(p.CallEnded)}
    state = _query(eng)
    assert set(state.calls) <= announced - ended
    assert state.accounts == ("agent",)
    for call_id in state.calls:  # still ringing (nobody cancelled them): the agent declines
        eng.send(p.Decline(call_id=call_id, code=603))
    wait_until(lambda: not _query(eng).calls, 40, 0.5, what="the declined calls to go")


def test_hostile_input_and_invite_burst_leave_the_engine_working(
    start_engine, phone, tmp_path: Path
) -> None:
    eng = start_engine()
    hostile = tmp_path / "hostile.xml"
    hostile.write_text((DATA / "sipp_hostile.xml").read_text().replace("OVERSIZED", "x" * 3000))
    target = f"127.0.0.1:{eng.port}"
    run = sipp(
        tmp_path,
        "-sf",
        str(hostile),
        "-i",
        "127.0.0.1",
        "-p",
        str(free_port()),
        "-m",
        "1",
        "-nostdin",
        target,
        name="sipp-hostile",
    )
    assert run.proc.wait(30) is not None
    run.stop()

    burst = sipp(
        tmp_path,
        "-sf",
        str(DATA / "sipp_invite_burst.xml"),
        "-i",
        "127.0.0.1",
        "-p",
        str(free_port()),
        "-m",
        "100",
        "-r",
        "25",
        "-l",
        "100",
        "-nostdin",
        "-timeout",
        "60",
        target,
        name="sipp-burst",
    )
    try:
        burst.proc.wait(60)
    finally:
        burst.stop()
    incoming = [i for i in eng.events.of_type(p.IncomingCall) if i.number == "burst"]
    assert len(incoming) >= 50
    assert {i.display_name for i in incoming} == {"Burst"}
    _engine_is_consistent(eng)

    # ... and it still places a normal call.
    peer_port = free_port()
    peer = phone("listen", "--port", str(peer_port), "--auto-answer")
    peer.ready()
    eng.send(p.Dial(call_id="after", account_id="agent", target=f"sip:x@127.0.0.1:{peer_port}"))
    eng.events.wait_type(p.CallStateChanged, call_id="after", state="confirmed")
    eng.send(p.Hangup(call_id="after"))
    eng.events.wait_type(p.CallEnded, call_id="after")
