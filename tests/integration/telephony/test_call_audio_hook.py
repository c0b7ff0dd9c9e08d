"""The CallAudio hook with a real bridge (a tone generator as microphone): reconnected on
every media change, muted at the source across hold and resume, stopped before exit."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from testbed.ports import free_port
from tests.helpers.telephony_peers import tone_windows

pytestmark = pytest.mark.integration


def test_bridge_is_rewired_on_each_media_change_and_mute_survives_hold(phone, tmp_path) -> None:
    peer_port = free_port()
    peer_rec, speaker = tmp_path / "peer.wav", tmp_path / "speaker.wav"
    peer = phone("listen", "--port", str(peer_port), "--auto-answer", "--record", str(peer_rec))
    peer.ready()
    run = subprocess.run(
        [sys.executable, "-m", "tests.helpers.telephony_tone_bridge", str(peer_port), str(speaker)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    # answer, hold, resume: three media changes, each followed by a fresh connect
    assert seen["connects"] >= 2 and seen["disconnects"] >= 1
    assert True in seen["mute_calls"] and seen["mute_calls"][-1] is False
    assert seen["stopped"] is True

    tone = [s > 0.8 for s in tone_windows(peer_rec, 900)]
    first_on = tone.index(True)
    after = tone[first_on:]
    first_off = after.index(False)
    back = after.index(True, first_off)
    assert back - first_off >= 6, tone  # muted through hold, resume and 2 s after
    assert all(after[-4:-1]), tone
