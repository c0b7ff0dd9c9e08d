"""The real engine process with its audio bridge (``EngineConfig(audio="devices")``): a call
from the engine to a pjsua2 peer carries the virtual headset's audio both ways, and an
unplugged headset reaches the desktop as an ``AudioDeviceChanged`` event while the call
stays up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent_app.telephony import protocol as p
from agent_app.telephony.client import EngineClient
from testbed.audio_call import HarnessProcess
from testbed.audio_server import AudioServer, stop_playing, tone
from testbed.ports import free_port
from tests.helpers.engine_headset_call import call_heard_both_ways
from tests.helpers.telephony_peers import EventLog

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(180)]


def test_engine_call_uses_the_headset_and_reports_unplug(
    pulse_server: AudioServer, tmp_path: Path, pulse_home: Path
) -> None:
    server = pulse_server
    server.add_speaker("desk_speaker")
    server.add_microphone("desk_mic")
    server.set_defaults("desk_speaker", "desk_mic")
    config = pulse_home / "config" / "pulse.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[audio]\nmicrophone = "headset_mic"\nspeaker = "headset_speaker"\n')

    peer_port = free_port()
    record = tmp_path / "peer.wav"
    peer = HarnessProcess(
        ["peer", "--port", str(peer_port), "--tone", "1000", "--record", str(record)],
        server.env,
        tmp_path / "peer.log",
    )
    player = server.play("headset_mic_feed", tone(700, 90))
    headset_out = server.record("headset_speaker")
    events = EventLog()
    env = {**os.environ, **server.env}
    client = EngineClient(events.put, env=env)
    try:
        peer.wait_for(lambda e: e.get("event") == "ready")
        client.start(
            p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), audio="devices")
        )
        events.wait_type(p.EngineReady)
        call_heard_both_ways(client, events, peer_port, record, headset_out, "the engine")
        # The audio above went through Qt Multimedia without its FFmpeg media backend,
        # which the engine process does not load (it costs it ~14 MiB).
        assert client.pid is not None
        mapped = Path(f"/proc/{client.pid}/maps").read_text()
        assert "libffmpegmediaplugin" not in mapped
        assert "libavcodec" not in mapped

        stop_playing(player)
        server.remove("headset_speaker")
        moved = events.wait_type(
            p.AudioDeviceChanged, change="fallback", role="speaker", timeout=20
        )
        assert moved.device_id == "desk_speaker"
        assert not events.of_type(p.CallEnded)
        client.send(p.Hangup(call_id="c1"))
        events.wait_type(p.CallEnded, call_id="c1")
    finally:
        client.stop()
        stop_playing(player)
        headset_out.stop()
        peer.close(command=False)
