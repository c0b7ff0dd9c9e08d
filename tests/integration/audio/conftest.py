"""A private PulseAudio server per test, with a virtual headset as the default devices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.audio_server import AudioServer, audio_server


@pytest.fixture
def pulse_server(tmp_path: Path) -> Iterator[AudioServer]:
    with audio_server(tmp_path / "pulse") as server:
        server.add_speaker("headset_speaker")
        server.add_microphone("headset_mic")
        server.set_defaults("headset_speaker", "headset_mic")
        yield server
