"""End to end through real devices: a PulseAudio server, Qt Multimedia, pjsua2 on loopback.

Pulse's side (the bridge under test) calls a pjsua2 peer. A 700 Hz tone played into the
virtual microphone must arrive in the peer's recording; the peer's 1 kHz tone must come
out of the virtual speaker (captured from its monitor). Each check hears its tone.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from testbed.audio_call import audio_call, wav_tail
from testbed.audio_server import LISTEN_POLL_S, AudioServer, stop_playing, tone, tone_share
from testbed.timing import holds_for, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(180)]

MIC_TONE = 700
PEER_TONE = 1000


def may_set_realtime() -> bool:
    """Whether this process may give a thread real-time priority by itself (as root in CI);
    elsewhere the bridge falls back to RealtimeKit or normal priority, both fine."""
    result: list[bool] = []

    def probe() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))
            result.append(True)
        except (OSError, AttributeError):
            result.append(False)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(10)
    return bool(result and result[0])


def peer_hears(record: Path, freq: int, seconds: float = 1.0) -> float:
    if not record.exists():
        return 0.0
    return tone_share(wav_tail(record, seconds), 16000, freq)


def test_tone_crosses_the_bridge_both_ways(pulse_server: AudioServer, tmp_path: Path) -> None:
    speaker = pulse_server.record("headset_speaker")
    player = pulse_server.play("headset_mic_feed", tone(MIC_TONE, 60))
    try:
        with audio_call(pulse_server, tmp_path, peer_tone=PEER_TONE) as (pulse, record):
            wait_until(
                lambda: peer_hears(record, MIC_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what="the microphone's tone at the peer",
            )
            wait_until(
                lambda: tone_share(speaker.samples()[-48000:], 48000, PEER_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what="the peer's tone from the speaker",
            )
            stats = pulse.stats()
            assert stats["microphone"] == "headset_mic"
            assert stats["speaker"] == "headset_speaker"
            assert stats["frames_sent"] > 50 and stats["frames_received"] > 50
            assert stats["input_peak_db"] > -20, "the input meter did not see the tone"
            assert stats["output_peak_db"] > -20, "the output meter did not see the tone"
            if may_set_realtime():
                # The three threads that carry the call's audio asked for and got it.
                assert {"Qt PulseAudio", "audio", "media clock"} <= set(
                    stats["realtime_threads"]
                ), stats["realtime_threads"]
            # Steady state: from here on no underrun or overrun may appear.
            before = pulse.stats()
            wait_until(
                lambda: peer_hears(record, MIC_TONE, 3.0) > 0.9,
                10,
                LISTEN_POLL_S,
                what="three seconds of the microphone's tone at the peer",
            )
            after = pulse.stats()
            for key in ("mic_underruns", "speaker_underruns", "mic_overruns", "speaker_overruns"):
                assert after[key] == before[key], f"{key} grew in steady state: {before} {after}"
            assert pulse.qt_warnings() == []
    finally:
        stop_playing(player)
        speaker.stop()


def test_mute_holds_across_hold_and_resume(pulse_server: AudioServer, tmp_path: Path) -> None:
    player = pulse_server.play("headset_mic_feed", tone(MIC_TONE, 90))
    try:
        with audio_call(pulse_server, tmp_path) as (pulse, record):
            wait_until(
                lambda: peer_hears(record, MIC_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what="the microphone's tone at the peer",
            )
            pulse.send(cmd="mute", on=True)
            wait_until(
                lambda: peer_hears(record, MIC_TONE) < 0.05,
                interval=LISTEN_POLL_S,
                what="silence at the peer after mute",
            )

            pulse.send(cmd="hold")
            pulse.wait_for(lambda e: e.get("event") == "media" and not e.get("active"))
            pulse.send(cmd="resume")
            n = len(pulse.find(lambda e: e.get("event") == "media" and e.get("active")))
            wait_until(
                lambda: (
                    len(pulse.find(lambda e: e.get("event") == "media" and e.get("active"))) > n
                ),
                what="media active again after resume",
            )
            # Re-created conference port: still muted after resume, for 4 s of listening.
            holds_for(
                lambda: peer_hears(record, MIC_TONE) <= 0.5,
                4,
                LISTEN_POLL_S,
                what="silence at the peer after resume (muted)",
            )

            pulse.send(cmd="mute", on=False)
            wait_until(
                lambda: peer_hears(record, MIC_TONE) > 0.9,
                interval=LISTEN_POLL_S,
                what="the microphone's tone at the peer after unmute on the re-created port",
            )
            assert pulse.qt_warnings() == []
    finally:
        stop_playing(player)
