"""Device sample formats: bytes <-> float mono for the layouts Qt may hand us."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = [
    # Importing Qt Multimedia probes for PipeWire and logs a warning where it is absent
    # (this machine runs PulseAudio only); it says nothing about the code under test.
    pytest.mark.qt_log_ignore("pipewire"),
]


@pytest.mark.parametrize("fmt_name", ["Int16", "Int32", "Float", "UInt8"])
@pytest.mark.parametrize("channels", [1, 2])
def test_round_trip(fmt_name: str, channels: int) -> None:
    from PySide6.QtMultimedia import QAudioFormat

    from agent_app.telephony.audio.formats import decode, encode

    fmt = QAudioFormat()
    fmt.setSampleRate(48000)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(getattr(QAudioFormat.SampleFormat, fmt_name))
    x = (0.8 * np.sin(np.arange(480) / 7)).astype(np.float32)
    data = encode(x, fmt)
    assert len(data) == 480 * channels * fmt.bytesPerSample()
    y = decode(data, fmt)
    tolerance = 1 / 100 if fmt_name == "UInt8" else 1e-4
    assert np.allclose(x, y, atol=tolerance)


def test_partial_frames_are_ignored() -> None:
    from PySide6.QtMultimedia import QAudioFormat

    from agent_app.telephony.audio.formats import decode

    fmt = QAudioFormat()
    fmt.setSampleRate(48000)
    fmt.setChannelCount(2)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    assert len(decode(b"\x00\x01" * 5, fmt)) == 2


@pytest.mark.parametrize("fmt_name", ["Int16", "Float"])
@pytest.mark.parametrize("channels", [1, 2])
def test_pcm_scale_round_trip(fmt_name: str, channels: int) -> None:
    """The bridge works on the int16 scale; 16-bit mono is a plain conversion."""
    from PySide6.QtMultimedia import QAudioFormat

    from agent_app.telephony.audio.formats import SampleCodec

    fmt = QAudioFormat()
    fmt.setSampleRate(16000)
    fmt.setChannelCount(channels)
    fmt.setSampleFormat(getattr(QAudioFormat.SampleFormat, fmt_name))
    codec = SampleCodec(fmt)
    x = np.rint(20000 * np.sin(np.arange(160) / 5)).astype(np.float32)
    data = codec.encode_pcm(x.copy())
    assert len(data) == 160 * channels * fmt.bytesPerSample()
    assert np.allclose(codec.decode_pcm(data), x, atol=1.0)


def test_pcm_encode_clips_instead_of_wrapping() -> None:
    from PySide6.QtMultimedia import QAudioFormat

    from agent_app.telephony.audio.formats import SampleCodec

    fmt = QAudioFormat()
    fmt.setSampleRate(16000)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    data = SampleCodec(fmt).encode_pcm(np.array([40000.0, -40000.0, 5.0], np.float32))
    assert np.frombuffer(data, "<i2").tolist() == [32767, -32768, 5]


def test_period_frames_are_powers_of_two_covering_the_period() -> None:
    from agent_app.telephony.audio.formats import period_frames

    assert period_frames(16000, 5) == 128
    assert period_frames(48000, 5) == 256
    assert period_frames(44100, 5) == 256
    assert period_frames(8000, 5) == 64
