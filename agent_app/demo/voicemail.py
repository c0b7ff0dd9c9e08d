"""The demo campaigns' voicemail message: a synthetic chime written into the desk's
``messages`` folder on the demo's first run.

No recorded voice ships with Pulse, so the demo's approved message is a placeholder: three
soft bell tones and a pause, the same bytes on every run. A centre records its own message
and names it in its campaigns (``voicemail_message``); the demo server's campaigns name
:data:`DEMO_MESSAGE`.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

DEMO_MESSAGE = "pulse-demo-voicemail.wav"
"""The file name the demo server's campaigns give as their approved message."""
RATE = 8_000
"""Samples per second: telephone band, the rate the message is played into a call at."""

# A rising major triad (C5, E5, G5), one tone every 0.45 s, each ringing out for 1.2 s.
_NOTES_HZ = (523.25, 659.25, 783.99)
_NOTE_EVERY_S = 0.45
_RING_S = 1.2
_PAUSE_S = 1.0
"""Silence after the chime, before the engine hangs up."""
# A bell's partials (ratio to the note, loudness) and how fast each dies away (per second).
_PARTIALS = ((1.0, 1.0, 3.0), (2.0, 0.35, 5.0), (3.0, 0.12, 8.0))


def chime() -> np.ndarray:
    """The message as mono 16-bit samples at :data:`RATE` (about 3.1 s, always the same)."""
    length = int((_NOTE_EVERY_S * (len(_NOTES_HZ) - 1) + _RING_S + _PAUSE_S) * RATE)
    out = np.zeros(length, dtype=np.float64)
    t = np.arange(int(_RING_S * RATE)) / RATE
    # A 10 ms onset and a 200 ms release: no click where a tone starts or is cut.
    envelope = np.minimum(t / 0.01, 1.0) * np.minimum((_RING_S - t) / 0.2, 1.0)
    for index, note in enumerate(_NOTES_HZ):
        tone = sum(
            gain * np.exp(-decay * t) * np.sin(2 * np.pi * note * ratio * t)
            for ratio, gain, decay in _PARTIALS
        )
        start = int(index * _NOTE_EVERY_S * RATE)
        out[start : start + len(t)] += envelope * tone
    peak = float(np.max(np.abs(out))) or 1.0
    return np.asarray(np.round(out / peak * 0.4 * 32767), dtype=np.int16)


def install_demo_message(folder: Path) -> Path:
    """Write :func:`chime` as ``folder``/:data:`DEMO_MESSAGE` (kept when already there)."""
    path = folder / DEMO_MESSAGE
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(chime().tobytes())
    partial.replace(path)
    return path
