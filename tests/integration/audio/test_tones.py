"""Ringtone on the ringer device, call-progress tones on the headset, through real devices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from testbed.audio_call import audio_call
from testbed.audio_server import LISTEN_POLL_S, AudioServer, tone_share
from testbed.timing import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(180)]


def share(recording: object, *freqs: int) -> float:
    x = recording.samples()[-48000:]  # type: ignore[attr-defined]
    return sum(tone_share(x, 48000, f) for f in freqs)


def test_ringtone_on_the_ringer_and_busy_on_the_headset(
    pulse_server: AudioServer, tmp_path: Path
) -> None:
    pulse_server.add_speaker("desk_ringer")
    ringer = pulse_server.record("desk_ringer")
    headset = pulse_server.record("headset_speaker")
    try:
        with audio_call(pulse_server, tmp_path, ringer="desk_ringer") as (pulse, _record):
            pulse.send(cmd="tone", kind="ringtone")
            wait_until(
                lambda: share(ringer, 600, 750) > 0.9,
                interval=LISTEN_POLL_S,
                what="the ringtone on the ringer",
            )
            assert share(headset, 480) < 0.01 and share(headset, 620) < 0.01
            pulse.send(cmd="tone", kind="busy")
            # Mixed with the call's own 1 kHz on the headset: both busy components present.
            wait_until(
                lambda: min(share(headset, 480), share(headset, 620)) > 0.05,
                interval=LISTEN_POLL_S,
                what="the busy tone on the headset",
            )
            pulse.send(cmd="tone", kind="")
            wait_until(
                lambda: float(np.max(np.abs(ringer.samples()[-24000:]))) < 1e-3,
                interval=LISTEN_POLL_S,
                what="silence on the ringer",
            )
            assert pulse.qt_warnings() == []
    finally:
        ringer.stop()
        headset.stop()
