"""The demo caller's voice: a short synthetic, speech-like recording made on the spot.

No recorded speech ships with Pulse. This makes a few seconds of voiced "syllables" (a
glottal pitch with vowel formants and a falling intonation, separated by short pauses), which
sounds like someone talking on the line and exercises the codec and the audio path the way
speech does.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 16_000
"""Samples per second (the wide-band codec's rate; pulse-phone resamples as needed)."""

# First and second formants (Hz) of a handful of vowels: a, e, i, o, u.
_VOWELS = ((730, 1090), (530, 1840), (270, 2290), (570, 840), (300, 870))
# Syllables per word, in the order the "sentence" uses them; a pause follows each word.
_WORDS = (2, 3, 1, 2, 4, 2, 1, 3)
_SYLLABLE_S = 0.19
_PAUSE_S = 0.16


def synthetic_voice(seconds: float = 6.0, seed: int = 17) -> np.ndarray:
    """``seconds`` of mono 16-bit samples at :data:`RATE` (the same for the same ``seed``)."""
    rng = np.random.default_rng(seed)
    total = int(seconds * RATE)
    out = np.zeros(total, dtype=np.float64)
    position = int(0.25 * RATE)  # a breath before the first word
    word = 0
    while position < total:
        syllables = _WORDS[word % len(_WORDS)]
        for index in range(syllables):
            length = int(_SYLLABLE_S * RATE * rng.uniform(0.8, 1.25))
            end = min(position + length, total)
            if end <= position:
                break
            # Intonation falls across a word and a little across each syllable.
            pitch = 185.0 - 35.0 * index / max(syllables - 1, 1) + rng.uniform(-8, 8)
            vowel = _VOWELS[int(rng.integers(len(_VOWELS)))]
            out[position:end] = _syllable(end - position, pitch, vowel)
            position = end + int(0.02 * RATE)
        position += int(_PAUSE_S * RATE * rng.uniform(0.7, 1.6))
        word += 1
    peak = float(np.max(np.abs(out))) or 1.0
    return np.asarray(out / peak * 0.5 * 32767, dtype=np.int16)


def _syllable(length: int, pitch: float, formants: tuple[int, int]) -> np.ndarray:
    t = np.arange(length) / RATE
    f0 = pitch * (1.0 - 0.08 * t / max(t[-1], 1e-9))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    signal = np.zeros(length)
    # Harmonics of the pitch, each as loud as the vowel's formants let it be.
    for k in range(1, int(3400 // pitch) + 1):
        frequency = k * pitch
        gain = sum(1.0 / (1.0 + ((frequency - f) / 90.0) ** 2) for f in formants)
        signal += gain / k**0.5 * np.sin(k * phase)
    envelope = np.sin(np.pi * np.arange(length) / length) ** 0.6
    return np.asarray(signal * envelope)


def write_voice(path: Path, seconds: float = 6.0) -> Path:
    """Write :func:`synthetic_voice` as a WAV file at ``path`` (kept when already there)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(synthetic_voice(seconds).tobytes())
    partial.replace(path)
    return path
