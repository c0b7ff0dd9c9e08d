"""Resampler: rates converted, tones kept clean, block sizes irrelevant, speed honoured."""

from __future__ import annotations

import numpy as np
import pytest

from agent_app.telephony.audio.resampler import Resampler, ResamplerError, to_float, to_int16


def sine(freq: float, rate: int, seconds: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def spectrum_peak(x: np.ndarray, rate: int) -> tuple[float, float]:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    k = int(np.argmax(spec))
    return k * rate / len(x), float(spec[max(0, k - 4) : k + 5].sum() / spec.sum())


@pytest.mark.parametrize(
    ("src", "dst", "freq"),
    [
        (48000, 16000, 700),
        (16000, 48000, 1000),
        (44100, 16000, 3000),
        (16000, 44100, 440),
        (48000, 8000, 1000),
    ],
)
def test_tone_survives_conversion(src: int, dst: int, freq: int) -> None:
    r = Resampler(src, dst)
    x = sine(freq, src, 2.0)
    out = np.concatenate([r.process(x[i : i + 441]) for i in range(0, len(x), 441)])
    assert abs(len(out) - 2.0 * dst) < dst * 0.01
    peak, share = spectrum_peak(out[dst // 10 :], dst)
    assert abs(peak - freq) < 3
    assert share > 0.999
    assert 0.48 < np.max(np.abs(out[dst // 10 :])) < 0.52


def test_block_size_does_not_change_the_output() -> None:
    x = sine(1000, 48000, 0.5)
    a, b = Resampler(48000, 16000), Resampler(48000, 16000)
    one = np.concatenate([a.process(x[i : i + 480]) for i in range(0, len(x), 480)])
    other = np.concatenate([b.process(x[i : i + 97]) for i in range(0, len(x), 97)])
    n = min(len(one), len(other))
    assert np.allclose(one[:n], other[:n], atol=1e-5)


def test_speed_changes_the_output_count_without_clicks() -> None:
    r = Resampler(16000, 48000)
    x = sine(500, 16000, 4.0)
    outs = []
    for i, start in enumerate(range(0, len(x), 160)):
        speed = 1.005 if (i // 50) % 2 else 0.995  # swap every half second
        outs.append(r.process(x[start : start + 160], speed))
    out = np.concatenate(outs)
    assert abs(len(out) - 4.0 * 48000) < 48000 * 0.01
    # No discontinuity: sample-to-sample steps stay within a sine's slope at this pitch.
    assert np.max(np.abs(np.diff(out[480:]))) < 0.5 * 2 * np.pi * 500 * 1.01 / 48000 * 1.2


def test_input_needed_gives_exactly_the_outputs_asked() -> None:
    r = Resampler(16000, 48000)
    x = sine(300, 16000, 1.0)
    pos = 0
    for want in (1, 7, 480, 333, 960):
        need = r.input_needed(want, 1.002)
        out = r.process(x[pos : pos + need], 1.002, max_out=want)
        pos += need
        assert len(out) == want


def test_int16_round_trip() -> None:
    pcm = np.array([-32768, -1, 0, 1, 32767], np.int16)
    assert to_int16(to_float(pcm)).tolist() == pcm.tolist()


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ResamplerError, match="positive"):
        Resampler(0, 16000)
