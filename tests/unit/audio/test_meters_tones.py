"""Level meters and the generated tones (frequencies, cadence, no clicks)."""

from __future__ import annotations

import numpy as np

from agent_app.telephony.audio.meters import SILENCE_DB, LevelMeter
from agent_app.telephony.audio.tones import CADENCES, ToneKind, TonePattern, cadence_pcm


def test_meter_reads_a_half_scale_sine() -> None:
    meter = LevelMeter()
    t = np.arange(4800) / 48000
    meter.feed((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), 48000)
    assert abs(meter.peak_db - (-6.02)) < 0.1
    assert abs(meter.rms_db - (-9.03)) < 0.1


def test_meter_peak_falls_back_on_silence() -> None:
    meter = LevelMeter(decay_db_per_s=20)
    meter.feed(np.full(480, 16384, np.int16), 48000)
    assert abs(meter.peak_db - (-6.02)) < 0.1
    meter.feed(np.zeros(48000, np.int16), 48000)  # one second of silence
    assert abs(meter.peak_db - (-26.02)) < 0.1
    assert meter.rms_db == SILENCE_DB


def test_busy_tone_cadence_and_frequencies() -> None:
    rate = 16000
    pattern = TonePattern(ToneKind.BUSY, rate)
    x = pattern.read(rate * 2).astype(np.float64)
    on = np.abs(x).reshape(-1, rate // 10).max(axis=1) > 1000  # 100 ms windows
    assert on.tolist() == ([True] * 5 + [False] * 5) * 2
    spec = np.abs(np.fft.rfft(x[: rate // 2]))
    freqs = np.fft.rfftfreq(rate // 2, 1 / rate)
    top = sorted(freqs[np.argsort(spec)[-2:]].round())
    assert top == [480.0, 620.0]


def test_tones_start_and_end_without_a_click() -> None:
    for kind, cadence in CADENCES.items():
        pcm = cadence_pcm(cadence, 48000)
        assert abs(int(pcm[0])) < 200 and abs(int(pcm[int(cadence.on_s * 48000) - 1])) < 200, kind


def test_meter_fed_at_ui_rate_falls_by_elapsed_time() -> None:
    meter = LevelMeter(decay_db_per_s=20)
    loud = np.full(160, 16384.0, np.float32)  # int16 scale, as the bridge works
    meter.feed(loud, 16000, full_scale=32768.0)
    assert abs(meter.peak_db - (-6.02)) < 0.1
    meter.feed(np.zeros(160, np.float32), 16000, elapsed_s=0.5, full_scale=32768.0)
    assert abs(meter.peak_db - (-16.02)) < 0.1


def test_noted_block_is_measured_when_read() -> None:
    meter = LevelMeter()
    loud = np.full(160, 16384, np.int16)
    meter.note(loud.tobytes(), 16000, 32768.0, now=10.0)
    assert abs(meter.peak_db - (-6.02)) < 0.1
    assert abs(meter.rms_db - (-6.02)) < 0.1


def test_only_the_latest_noted_block_counts_and_the_peak_falls_by_noted_time() -> None:
    meter = LevelMeter(decay_db_per_s=20)
    meter.note(np.full(160, 16384, np.int16).tobytes(), 16000, 32768.0, now=1.0)
    assert abs(meter.peak_db - (-6.02)) < 0.1
    # Two blocks noted before the next read: the first is never measured.
    meter.note(np.full(160, 32000, np.int16).tobytes(), 16000, 32768.0, now=1.2)
    meter.note(np.zeros(160, np.int16).tobytes(), 16000, 32768.0, now=1.5)
    # The peak held from the first read falls for the 0.5 s between the noted blocks.
    assert abs(meter.peak_db - (-16.02)) < 0.1
    assert meter.rms_db == SILENCE_DB
    # Reading again without a new block changes nothing.
    assert abs(meter.peak_db - (-16.02)) < 0.1


def test_noting_arrays_on_the_int16_scale_and_reset() -> None:
    meter = LevelMeter()
    meter.note(np.full(160, 16384.0, np.float32), 16000, 32768.0, now=2.0)
    assert abs(meter.peak_db - (-6.02)) < 0.1
    meter.note(np.full(160, 16384.0, np.float32), 16000, 32768.0, now=2.05)
    meter.reset()
    assert meter.peak_db == SILENCE_DB
    assert meter.rms_db == SILENCE_DB
