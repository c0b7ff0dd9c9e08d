"""Hot-plug during a call: the headset goes away, audio falls back to the OS default
devices without dropping the call (and the agent is told), and it moves back when the
headset returns. Devices are removed and restored by unloading and loading the
PulseAudio modules behind them, as a USB unplug would."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.audio_call import audio_call, wav_tail
from testbed.audio_server import (
    LISTEN_POLL_S,
    AudioServer,
    dominant_frequency,
    stop_playing,
    tone,
    tone_share,
)
from testbed.timing import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

HEADSET_MIC_TONE = 700
DESK_MIC_TONE = 500
PEER_TONE = 1000


def peer_hears(record: Path, freq: int) -> float:
    return tone_share(wav_tail(record, 1.0), 16000, freq) if record.exists() else 0.0


def hears(recording: object, freq: int) -> float:
    return tone_share(recording.samples()[-48000:], 48000, freq)  # type: ignore[attr-defined]


def test_headset_unplugged_mid_call_falls_back_and_returns(
    pulse_server: AudioServer, tmp_path: Path
) -> None:
    server = pulse_server
    server.add_speaker("desk_speaker")
    server.add_microphone("desk_mic")
    server.set_defaults("desk_speaker", "desk_mic")
    players = [
        server.play("headset_mic_feed", tone(HEADSET_MIC_TONE, 120)),
        server.play("desk_mic_feed", tone(DESK_MIC_TONE, 120)),
    ]
    recordings = [server.record("headset_speaker"), server.record("desk_speaker")]
    headset_out, desk_out = recordings
    try:
        with audio_call(
            server,
            tmp_path,
            peer_tone=PEER_TONE,
            microphone="headset_mic",
            speaker="headset_speaker",
        ) as (pulse, record):
            wait_until(
                lambda: peer_hears(record, HEADSET_MIC_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what="the headset microphone at the peer",
            )
            wait_until(
                lambda: hears(headset_out, PEER_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what="the peer on the headset speaker",
            )

            # Unplug the headset. (Its feeding player is stopped first: PulseAudio would
            # move it onto the desk speaker and mask the tone we listen for there.)
            stop_playing(players[0])
            server.remove("headset_speaker")
            server.remove("headset_mic")
            for role, device in (("speaker", "desk_speaker"), ("microphone", "desk_mic")):
                event = pulse.wait_for(
                    lambda e, r=role: (
                        e.get("event") == "audio"
                        and e.get("kind") == "fallback"
                        and e.get("role") == r
                    )
                )
                assert event["device_id"] == device
            wait_until(
                lambda: peer_hears(record, DESK_MIC_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what="the desk microphone to take over",
            )
            wait_until(
                lambda: hears(desk_out, PEER_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what=lambda: (
                    "the desk speaker to take over (dominant frequency, share: "
                    f"{dominant_frequency(desk_out.samples()[-48000:], 48000)})"
                ),
            )
            assert not pulse.find(lambda e: e.get("event") == "call_state" and e["state"] == 6)

            # Plug it back in: the call returns to it.
            server.add_speaker("headset_speaker")
            server.add_microphone("headset_mic")
            headset_back = server.record("headset_speaker")
            recordings.append(headset_back)
            players.append(server.play("headset_mic_feed", tone(HEADSET_MIC_TONE, 60)))
            for role, device in (("speaker", "headset_speaker"), ("microphone", "headset_mic")):
                event = pulse.wait_for(
                    lambda e, r=role: (
                        e.get("event") == "audio"
                        and e.get("kind") == "restored"
                        and e.get("role") == r
                    )
                )
                assert event["device_id"] == device
            wait_until(
                lambda: peer_hears(record, HEADSET_MIC_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what="the headset microphone at the peer again",
            )
            wait_until(
                lambda: hears(headset_back, PEER_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what="the peer on the headset speaker again",
            )
            assert not pulse.find(lambda e: e.get("event") == "call_state" and e["state"] == 6)
            assert pulse.qt_warnings() == []
    finally:
        for player in players:
            stop_playing(player)
        for recording in recordings:
            recording.stop()
