"""Call-progress tones driven by call events in the real engine process: while an
incoming call rings, the ringtone comes out of the ringer device; once the agent
answers, the ringer falls silent."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from agent_app.telephony import protocol as p
from agent_app.telephony.client import EngineClient
from testbed.audio_server import LISTEN_POLL_S, AudioServer, tone_share
from testbed.ports import free_port
from testbed.timing import wait_until
from tests.helpers.telephony_peers import EventLog

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]


def _add_account(client: EngineClient, events: EventLog, account_id: str) -> None:
    """Add a local account and wait until the engine has it (it runs commands in order)."""
    client.send(
        p.AddAccount(
            account=p.AccountSpec(
                account_id=account_id, username=account_id, domain="127.0.0.1", register=False
            )
        )
    )
    client.send(p.Ping(seq=7))
    events.wait_type(p.Pong, seq=7)


def test_incoming_call_rings_on_the_ringer_until_answered(
    pulse_server: AudioServer, pulse_home: Path
) -> None:
    server = pulse_server
    server.add_speaker("desk_ringer")
    config = pulse_home / "config" / "pulse.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[audio]\nmicrophone = "headset_mic"\nspeaker = "headset_speaker"\nringer = "desk_ringer"\n'
    )
    ringer = server.record("desk_ringer")

    def ringtone_share() -> float:
        x = ringer.samples()[-48000:]
        return tone_share(x, 48000, 600) + tone_share(x, 48000, 750)

    def ringer_peak(seconds: float) -> float:
        x = ringer.samples()[-int(48000 * seconds) :]
        return float(np.max(np.abs(x))) if len(x) else 0.0

    env = {**os.environ, **server.env}
    agent_events, caller_events = EventLog(), EventLog()
    agent = EngineClient(agent_events.put, env=env)
    caller = EngineClient(caller_events.put, env=env)
    agent_port = free_port()
    try:
        agent.start(
            p.EngineConfig(bind_address="127.0.0.1", local_port=agent_port, audio="devices")
        )
        caller.start(p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), audio="null"))
        agent_events.wait_type(p.EngineReady)
        caller_events.wait_type(p.EngineReady)
        _add_account(agent, agent_events, "agent")
        _add_account(caller, caller_events, "caller")
        # Nothing has rung yet: the ringer carries silence.
        assert ringer_peak(0.5) < 1e-3

        caller.send(
            p.Dial(call_id="out", account_id="caller", target=f"sip:agent@127.0.0.1:{agent_port}")
        )
        incoming = agent_events.wait_type(p.IncomingCall, timeout=20)
        assert not incoming.waiting
        caller_events.wait_type(p.CallStateChanged, call_id="out", state="early", timeout=20)
        wait_until(
            lambda: ringtone_share() > 0.9,
            20,
            LISTEN_POLL_S,
            what="the ringtone on the ringer while the call rings",
        )

        agent.send(p.Answer(call_id=incoming.call_id))
        agent_events.wait_type(
            p.CallStateChanged, call_id=incoming.call_id, state="confirmed", timeout=20
        )
        # Silent for longer than one whole cadence (1 s on, 2 s off): the ringtone stopped.
        wait_until(
            lambda: ringer_peak(3.5) < 1e-3,
            20,
            LISTEN_POLL_S,
            what="the ringtone to stop once the call was answered",
        )
        assert not agent_events.of_type(p.CallEnded)

        caller.send(p.Hangup(call_id="out"))
        agent_events.wait_type(p.CallEnded, call_id=incoming.call_id, timeout=20)
        assert ringer_peak(0.5) < 1e-3
    finally:
        agent.stop()
        caller.stop()
        ringer.stop()


def test_outgoing_call_rings_back_then_plays_busy_on_the_headset(
    pulse_server: AudioServer, pulse_home: Path
) -> None:
    server = pulse_server
    headset = server.record("headset_speaker")

    def share(seconds: float, *freqs: int) -> float:
        x = headset.samples()[-int(48000 * seconds) :]
        return sum(tone_share(x, 48000, f) for f in freqs)

    def peak(seconds: float) -> float:
        x = headset.samples()[-int(48000 * seconds) :]
        return float(np.max(np.abs(x))) if len(x) else 0.0

    env = {**os.environ, **server.env}
    agent_events, callee_events = EventLog(), EventLog()
    agent = EngineClient(agent_events.put, env=env)
    callee = EngineClient(callee_events.put, env=env)
    callee_port = free_port()
    try:
        agent.start(
            p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), audio="devices")
        )
        callee.start(p.EngineConfig(bind_address="127.0.0.1", local_port=callee_port, audio="null"))
        agent_events.wait_type(p.EngineReady)
        callee_events.wait_type(p.EngineReady)
        _add_account(agent, agent_events, "agent")
        _add_account(callee, callee_events, "callee")

        agent.send(
            p.Dial(call_id="out", account_id="agent", target=f"sip:callee@127.0.0.1:{callee_port}")
        )
        agent_events.wait_type(p.CallStateChanged, call_id="out", state="early", timeout=20)
        incoming = callee_events.wait_type(p.IncomingCall, timeout=20)
        wait_until(
            lambda: share(1.0, 440, 480) > 0.9,
            20,
            LISTEN_POLL_S,
            what="ringback on the headset while the callee rings",
        )

        callee.send(p.Decline(call_id=incoming.call_id, code=486))
        ended = agent_events.wait_type(p.CallEnded, call_id="out", timeout=20)
        assert ended.code == 486
        # Polled faster: the busy tone lasts only about two seconds.
        wait_until(
            lambda: min(share(0.5, 480), share(0.5, 620)) > 0.3,
            10,
            0.1,
            what="the busy tone after 486 Busy Here",
        )
        # The busy tone stops by itself after about two seconds.
        wait_until(
            lambda: peak(1.5) < 1e-3, 20, LISTEN_POLL_S, what="the busy tone to stop by itself"
        )
    finally:
        agent.stop()
        callee.stop()
        headset.stop()
