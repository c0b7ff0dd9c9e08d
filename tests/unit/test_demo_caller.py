"""The demo caller's parts that need no process: the cases it cycles through, the pulse-phone
command for each, and the synthetic voice it plays."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from agent_app.demo.desk import CASE_TITLES
from agent_app.demo.recording import RATE, synthetic_voice, write_voice
from agent_app.demo.ringer import DemoCase, DemoRinger, read_cases
from server.seed import DEMO_CASES

CASES = (
    DemoCase("known", "a known patient (one match)", "+19795550101"),
    DemoCase("household", "a household number (two patients)", "+19795550102"),
)


def _ringer(tmp_path: Path, cases: tuple[DemoCase, ...] = CASES) -> DemoRinger:
    return DemoRinger(registrar="127.0.0.1:5999", extension="1001", cases=cases, directory=tmp_path)


def test_the_cases_are_read_from_the_hand_over_and_malformed_ones_left_out() -> None:
    raw = [
        {"key": "known", "title": "a known patient (one match)", "number": "+19795550101"},
        {"key": "broken", "number": "+19795550109"},
        "not a case",
        {
            "key": "household",
            "title": "a household number (two patients)",
            "number": "+19795550102",
        },
    ]

    assert read_cases(raw) == CASES
    assert read_cases(None) == ()


def test_every_case_title_the_server_hands_over_is_marked_for_translation() -> None:
    assert [case.title for case in DEMO_CASES] == list(CASE_TITLES)


def test_the_cases_come_in_turn_and_start_over(tmp_path: Path) -> None:
    ringer = _ringer(tmp_path)

    seen = []
    for calls in range(5):
        ringer.calls = calls
        case = ringer.next_case
        assert case is not None
        seen.append(case.key)

    assert seen == ["known", "household", "known", "household", "known"]
    assert _ringer(tmp_path, ()).next_case is None
    assert _ringer(tmp_path, ()).call_next() is None


def test_each_call_comes_from_the_case_number_to_the_extension_with_the_voice(
    tmp_path: Path,
) -> None:
    voice = tmp_path / "voice.wav"

    command = _ringer(tmp_path).command(CASES[1], voice)

    assert command[command.index("call") + 1 :][:4] == [
        "--username", "+19795550102", "--domain", "127.0.0.1",
    ]  # fmt: skip
    assert command[command.index("--play") + 1] == str(voice)
    assert command[-1] == "sip:1001@127.0.0.1:5999"
    assert "--registrar" not in command  # a caller from outside needs no account at the PBX


def test_the_voice_is_speech_like_and_the_same_every_time(tmp_path: Path) -> None:
    samples = synthetic_voice(3.0)

    assert len(samples) == 3 * RATE and samples.dtype == np.int16
    assert np.array_equal(samples, synthetic_voice(3.0))
    # Syllables and pauses: loud stretches and silent ones, not one steady tone.
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160).astype(np.float64)
    loudness = np.sqrt((frames**2).mean(axis=1))
    assert (loudness > 1000).mean() > 0.4
    assert (loudness < 50).mean() > 0.1
    # Most of its energy where a voice's is, inside the telephone band.
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    frequencies = np.fft.rfftfreq(len(samples), 1 / RATE)
    band = spectrum[(frequencies > 100) & (frequencies < 3400)].sum()
    assert band / spectrum.sum() > 0.9

    path = write_voice(tmp_path / "voice.wav", seconds=3.0)
    with wave.open(str(path)) as written:
        assert (written.getnchannels(), written.getsampwidth(), written.getframerate()) == (
            1,
            2,
            RATE,
        )
        assert written.getnframes() == 3 * RATE
    assert write_voice(path, seconds=1.0).stat().st_size == path.stat().st_size  # kept
