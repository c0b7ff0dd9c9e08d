"""``pulse-phone audio-test`` on a real audio server: the device list, and the echo test
carrying a tone from the microphone to the speaker (heard on the speaker's monitor)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testbed.audio_call import ROOT
from testbed.audio_server import AudioServer, stop_playing, tone, tone_share

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def pulse_phone(server: AudioServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_app.telephony.phone_cli", "audio-test", *args],
        cwd=ROOT,
        env={**server.env, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def events(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_lists_the_devices(pulse_server: AudioServer) -> None:
    result = pulse_phone(pulse_server, "--list")
    assert result.returncode == 0, result.stderr
    found = {(e["direction"], e["id"]) for e in events(result.stdout)}
    assert ("input", "headset_mic") in found
    assert ("output", "headset_speaker") in found


def test_echo_test_plays_the_microphone_back(pulse_server: AudioServer, tmp_path: Path) -> None:
    speaker = pulse_server.record("headset_speaker")
    player = pulse_server.play("headset_mic_feed", tone(600, 30))
    try:
        result = pulse_phone(pulse_server, "--seconds", "6", "--delay-ms", "200")
        heard = speaker.samples()
    finally:
        stop_playing(player)
        speaker.stop()
    assert result.returncode == 0, result.stderr
    final = events(result.stdout)[-1]
    assert final["event"] == "audio_test_result" and final["ok"] is True
    assert final["microphone"] == "headset_mic" and final["speaker"] == "headset_speaker"
    assert any(e["event"] == "audio_levels" for e in events(result.stdout))
    best = max(
        tone_share(heard[i : i + 48000], 48000, 600) for i in range(0, len(heard) - 48000, 24000)
    )
    assert best > 0.9, "the echo never reached the speaker"


def test_silent_microphone_is_reported(pulse_server: AudioServer) -> None:
    result = pulse_phone(pulse_server, "--seconds", "3")
    assert result.returncode == 1
    final = events(result.stdout)[-1]
    assert final["ok"] is False
    assert "no sound from the microphone" in str(final["problem"])
