"""Input and output level meters for the UI: peak and RMS in dBFS, with a falling peak.

The audio thread only *notes* a block at the UI's rate (:data:`METER_INTERVAL_S`; a meter
that moves 20 times a second looks live): it keeps a reference to the block, nothing
more. The levels are worked out when they are read, on the reader's thread, from the
latest block noted, so the audio thread never runs the numpy work (measured: metering
both directions cost it ~0.3 % of a core at 20 Hz), and a meter nobody displays costs
nothing. :meth:`LevelMeter.feed` computes at once (tests, one-off blocks).
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np

SILENCE_DB = -90.0
Block = bytes | bytearray | memoryview | np.ndarray
"""A block of samples handed to :meth:`LevelMeter.note`: int16 bytes, or an array."""
METER_INTERVAL_S = 0.05


def dbfs(value: float) -> float:
    return SILENCE_DB if value <= 10 ** (SILENCE_DB / 20) else 20.0 * math.log10(value)


class LevelMeter:
    def __init__(self, decay_db_per_s: float = 20.0) -> None:
        self._decay = decay_db_per_s
        self._peak_db = SILENCE_DB
        self._rms_db = SILENCE_DB
        self._noted: tuple[Block, int, float, float] | None = None
        """The latest block noted by the audio thread and not yet read: samples, rate,
        full scale, monotonic time (replaced as a whole: one assignment under the GIL)."""
        self._noted_at: float | None = None
        self._lock = threading.Lock()
        """Serialises readers (the UI, stats, the echo test); the audio thread never takes it."""

    def note(self, block: Block, rate: int, full_scale: float, now: float | None = None) -> None:
        """Audio thread: remember ``block`` (int16 bytes, or an array) as the latest; the
        levels are computed when read. The caller must not write to it afterwards."""
        self._noted = (block, rate, full_scale, time.monotonic() if now is None else now)

    @property
    def peak_db(self) -> float:
        self._settle()
        return self._peak_db

    @property
    def rms_db(self) -> float:
        self._settle()
        return self._rms_db

    def _settle(self) -> None:
        noted = self._noted
        if noted is None:
            return
        with self._lock:
            if self._noted is not noted:
                return  # another reader took it, or a newer one came: read that next time
            self._noted = None
            block, rate, full_scale, at = noted
            samples = block if isinstance(block, np.ndarray) else np.frombuffer(block, np.int16)
            elapsed = None if self._noted_at is None else at - self._noted_at
            self._noted_at = at
            self.feed(samples, rate, elapsed, full_scale=full_scale)

    def feed(
        self,
        samples: np.ndarray,
        rate: int,
        elapsed_s: float | None = None,
        full_scale: float | None = None,
    ) -> None:
        """``samples`` as float in [-1, 1] (or int16, or float on ``full_scale``).

        Fed one block per read (the latest block noted), not every block; ``elapsed_s``
        (time since the previous block fed) then sets how far the held peak falls.
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
        fallen = self._peak_db - self._decay * (n / rate if elapsed_s is None else elapsed_s)
        self._peak_db = max(dbfs(peak), fallen, SILENCE_DB)
        self._rms_db = dbfs(rms)

    def reset(self) -> None:
        with self._lock:
            self._noted = None
            self._noted_at = None
            self._peak_db = SILENCE_DB
            self._rms_db = SILENCE_DB
