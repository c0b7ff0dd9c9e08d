"""Ringtone and call-progress tones, generated as PCM with their cadence.

North American defaults (ANSI T1.401): ringback 440+480 Hz, 2 s on / 4 s off; busy
480+620 Hz, 0.5 s on / 0.5 s off. The ringtone is a softer two-tone warble so the agent
tells an inbound call from their own outbound ringback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class ToneKind(StrEnum):
    RINGTONE = "ringtone"
    RINGBACK = "ringback"
    BUSY = "busy"


@dataclass(frozen=True)
class Cadence:
    freqs: tuple[float, ...]
    on_s: float
    off_s: float
    level: float = 0.25
    """Peak amplitude of the sum, full scale = 1."""


CADENCES: dict[ToneKind, Cadence] = {
    ToneKind.RINGTONE: Cadence((600.0, 750.0), 1.0, 2.0, 0.3),
    ToneKind.RINGBACK: Cadence((440.0, 480.0), 2.0, 4.0, 0.2),
    ToneKind.BUSY: Cadence((480.0, 620.0), 0.5, 0.5, 0.2),
}


def cadence_pcm(cadence: Cadence, rate: int) -> np.ndarray:
    """One period (on + off) of the tone as int16 mono, with 5 ms ramps (no clicks)."""
    on = int(cadence.on_s * rate)
    off = int(cadence.off_s * rate)
    t = np.arange(on) / rate
    wave = sum(np.sin(2 * np.pi * f * t) for f in cadence.freqs) / len(cadence.freqs)
    ramp = min(on // 2, int(0.005 * rate))
    envelope = np.ones(on)
    if ramp:
        envelope[:ramp] = np.linspace(0.0, 1.0, ramp)
        envelope[-ramp:] = np.linspace(1.0, 0.0, ramp)
    pcm = np.zeros(on + off, np.float64)
    pcm[:on] = wave * envelope * cadence.level
    return np.rint(pcm * 32767).astype(np.int16)


class TonePattern:
    """An endless cadence read block by block."""

    def __init__(self, kind: ToneKind, rate: int) -> None:
        self.kind = kind
        self._pcm = cadence_pcm(CADENCES[kind], rate)
        self._pos = 0

    def read(self, n: int) -> np.ndarray:
        out = np.empty(n, np.int16)
        done = 0
        while done < n:
            take = min(n - done, len(self._pcm) - self._pos)
            out[done : done + take] = self._pcm[self._pos : self._pos + take]
            done += take
            self._pos = (self._pos + take) % len(self._pcm)
        return out
