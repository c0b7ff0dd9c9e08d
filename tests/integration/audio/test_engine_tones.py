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
from tests.helpers.audio_call import free_udp_port, wait_until
from tests.helpers.audio_server import AudioServer, tone_share
from tests.helpers.telephony_peers import EventLog

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(120)]


def _account(account_id: str) -> p.AddAccount:
    return p.AddAccount(
        account=p.AccountSpec(
            account_id=account_id, username=account_id, domain="127.0.0.1", register=False
        )
    )


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
    agent_port = free_udp_port()
    try:
        agent.start(
            p.EngineConfig(bind_address="127.0.0.1", local_port=agent_port, audio="devices")
        )
        caller.start(
            p.EngineConfig(bind_address="127.0.0.1", local_port=free_udp_port(), audio="null")
        )
        agent_events.wait_type(p.EngineReady)
        caller_events.wait_type(p.EngineReady)
        agent.send(_account("agent"))
        caller.send(_account("caller"))
        # Nothing has rung yet: the ringer carries silence.
        assert ringer_peak(0.5) < 1e-3

        caller.send(
            p.Dial(call_id="out", account_id="caller", target=f"sip:agent@127.0.0.1:{agent_port}")
        )
        incoming = agent_events.wait_type(p.IncomingCall, timeout=20)
        assert not incoming.waiting
        caller_events.wait_type(p.CallStateChanged, call_id="out", state="early", timeout=20)
        assert wait_until(lambda: ringtone_share() > 0.9, timeout=20), (
            "no ringtone on the ringer while the call rang"
        )

        agent.send(p.Answer(call_id=incoming.call_id))
        agent_events.wait_type(
            p.CallStateChanged, call_id=incoming.call_id, state="confirmed", timeout=20
        )
        # Silent for longer than one whole cadence (1 s on, 2 s off): the ringtone stopped.
        assert wait_until(lambda: ringer_peak(3.5) < 1e-3, timeout=20), (
            "the ringtone went on after the call was answered"
        )
        assert not agent_events.of_type(p.CallEnded)

        caller.send(p.Hangup(call_id="out"))
        agent_events.wait_type(p.CallEnded, call_id=incoming.call_id, timeout=20)
        assert ringer_peak(0.5) < 1e-3
    finally:
        agent.stop()
        caller.stop()
        ringer.stop()
