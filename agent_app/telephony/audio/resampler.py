"""A streaming windowed-sinc resampler whose ratio may change on every call.

Devices run at 44.1 or 48 kHz, calls at 8 or 16 kHz, and the two clocks drift apart by a
few hundred parts per million. The resampler converts between the nominal rates and lets
the drift controller nudge the ratio (``speed``) a little from block to block, so the ring
buffers neither fill up nor run dry over a long call, without clicks.

Polyphase table: the Kaiser-windowed sinc is sampled at ``phases`` fractional offsets;
each output sample takes the nearest phase (1/512 of a sample: phase error below -60 dB
for speech frequencies). The cut-off sits under the lower of the two Nyquist rates.
"""

from __future__ import annotations

import math

import numpy as np


class ResamplerError(ValueError):
    """A resampler was configured with rates it cannot convert."""


class Resampler:
    def __init__(
        self,
        in_rate: int,
        out_rate: int,
        *,
        zero_crossings: int = 8,
        phases: int = 512,
        passband: float = 0.9,
    ) -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise ResamplerError(f"sample rates must be positive, got {in_rate} -> {out_rate}")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._step = in_rate / out_rate
        # Cut-off in cycles per input sample, below the lower Nyquist frequency.
        cutoff = 0.5 * min(1.0, out_rate / in_rate) * passband
        half = math.ceil(zero_crossings / (2 * cutoff))
        self._half = half
        offsets = np.arange(-half + 1, half + 1, dtype=np.float64)  # taps relative to floor(p)
        frac = np.arange(phases + 1, dtype=np.float64) / phases
        t = offsets[None, :] - frac[:, None]
        window = np.kaiser(2 * half + 1, 8.0)
        # Evaluate the window continuously by interpolating the symmetric Kaiser curve.
        wx = np.linspace(-half, half, 2 * half + 1)
        w = np.interp(t, wx, window, left=0.0, right=0.0)
        table = 2 * cutoff * np.sinc(2 * cutoff * t) * w
        table /= table.sum(axis=1, keepdims=True)  # unity gain at DC for every phase
        self._table = table.astype(np.float32)
        self._phases = phases
        self._taps = np.arange(-half + 1, half + 1)
        self._buf = np.zeros(half - 1, np.float32)
        self._pos = float(half - 1)

    @property
    def delay_s(self) -> float:
        """Group delay the filter adds, in seconds."""
        return (self._half - 1) / self.in_rate

    @property
    def pending(self) -> int:
        """Input samples held beyond the filter's left context."""
        return max(0, len(self._buf) - int(self._pos))

    def reset(self) -> None:
        self._buf = np.zeros(self._half - 1, np.float32)
        self._pos = float(self._half - 1)

    def outputs_available(self, extra_input: int, speed: float = 1.0) -> int:
        """How many outputs :meth:`process` would give after ``extra_input`` more samples."""
        step = self._step * speed
        last = len(self._buf) + extra_input - self._half - 1  # largest usable floor(p)
        # Outputs n = 0, 1, ... while floor(pos + n * step) <= last.
        span = last + 1 - self._pos
        return max(0, math.ceil(span / step)) if span > 0 else 0

    def input_needed(self, outputs: int, speed: float = 1.0) -> int:
        """Input samples still missing before :meth:`process` can give ``outputs`` samples."""
        if outputs <= 0:
            return 0
        step = self._step * speed
        last_pos = self._pos + (outputs - 1) * step
        return max(0, math.floor(last_pos) + self._half + 1 - len(self._buf))

    def process(
        self, samples: np.ndarray, speed: float = 1.0, max_out: int | None = None
    ) -> np.ndarray:
        """Feed input samples; return every output sample now computable (float32).

        ``speed`` > 1 consumes the input faster (fewer outputs), < 1 slower.
        """
        step = self._step * speed
        if len(samples):
            self._buf = np.concatenate((self._buf, samples.astype(np.float32, copy=False)))
        count = self.outputs_available(0, speed)
        if max_out is not None:
            count = min(count, max_out)
        if count <= 0:
            return np.zeros(0, np.float32)
        positions = self._pos + step * np.arange(count)
        base = np.floor(positions).astype(np.int64)
        phase = np.rint((positions - base) * self._phases).astype(np.int64)
        idx = base[:, None] + self._taps[None, :]
        out = np.einsum("ij,ij->i", self._buf[idx], self._table[phase])
        next_pos = float(positions[-1] + step)
        drop = int(next_pos) - (self._half - 1)
        if drop > 0:
            self._buf = self._buf[drop:]
            next_pos -= drop
        self._pos = next_pos
        return np.asarray(out, np.float32)


def to_float(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) * (1.0 / 32768.0)


def to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(samples * 32768.0), -32768, 32767).astype(np.int16)
