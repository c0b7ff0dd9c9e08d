"""Input and output level meters for the UI: peak and RMS in dBFS, with a falling peak.

Fed on the audio thread with each block; read from any thread (two floats, replaced
atomically under the GIL).
"""

from __future__ import annotations

import math

import numpy as np

SILENCE_DB = -90.0


def dbfs(value: float) -> float:
    return SILENCE_DB if value <= 10 ** (SILENCE_DB / 20) else 20.0 * math.log10(value)


class LevelMeter:
    def __init__(self, decay_db_per_s: float = 20.0) -> None:
        self._decay = decay_db_per_s
        self.peak_db = SILENCE_DB
        self.rms_db = SILENCE_DB

    def feed(self, samples: np.ndarray, rate: int) -> None:
        """``samples`` as float in [-1, 1] (or int16, scaled here)."""
        if len(samples) == 0:
            return
        x = samples.astype(np.float32)
        if samples.dtype == np.int16:
            x *= 1.0 / 32768.0
        block_peak = dbfs(float(np.max(np.abs(x))))
        block_rms = dbfs(float(np.sqrt(np.mean(x * x))))
        fallen = self.peak_db - self._decay * len(samples) / rate
        self.peak_db = max(block_peak, fallen, SILENCE_DB)
        self.rms_db = block_rms

    def reset(self) -> None:
        self.peak_db = SILENCE_DB
        self.rms_db = SILENCE_DB
