"""Input and output level meters for the UI: peak and RMS in dBFS, with a falling peak.

Fed on the audio thread at the UI's rate (:data:`METER_INTERVAL_S`; a meter that moves
20 times a second looks live, and metering every 10 ms block cost as much as resampling
it); read from any thread (two floats, replaced atomically under the GIL).
"""

from __future__ import annotations

import math

import numpy as np

SILENCE_DB = -90.0
METER_INTERVAL_S = 0.05


def dbfs(value: float) -> float:
    return SILENCE_DB if value <= 10 ** (SILENCE_DB / 20) else 20.0 * math.log10(value)


class LevelMeter:
    def __init__(self, decay_db_per_s: float = 20.0) -> None:
        self._decay = decay_db_per_s
        self.peak_db = SILENCE_DB
        self.rms_db = SILENCE_DB

    def feed(
        self,
        samples: np.ndarray,
        rate: int,
        elapsed_s: float | None = None,
        full_scale: float | None = None,
    ) -> None:
        """``samples`` as float in [-1, 1] (or int16, or float on ``full_scale``).

        The audio thread feeds one block per UI refresh, not every block; ``elapsed_s``
        (time since the previous feed) then sets how far the held peak falls.
        """
        n = len(samples)
        if n == 0:
            return
        if full_scale is None:
            full_scale = 32768.0 if samples.dtype == np.int16 else 1.0
        scale = 1.0 / full_scale
        peak = max(float(samples.max()), -float(samples.min())) * scale
        x = samples.astype(np.float32) if samples.dtype != np.float32 else samples
        rms = math.sqrt(float(np.dot(x, x)) / n) * scale
        fallen = self.peak_db - self._decay * (n / rate if elapsed_s is None else elapsed_s)
        self.peak_db = max(dbfs(peak), fallen, SILENCE_DB)
        self.rms_db = dbfs(rms)

    def reset(self) -> None:
        self.peak_db = SILENCE_DB
        self.rms_db = SILENCE_DB
