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
        # Phases are truncated, not rounded, to 1 / (2 * phases): the same phase error
        # as rounding to 1 / phases, one numpy call less per block.
        rows = 2 * phases
        frac = np.arange(rows + 1, dtype=np.float64) / rows
        t = offsets[None, :] - frac[:, None]
        window = np.kaiser(2 * half + 1, 8.0)
        # Evaluate the window continuously by interpolating the symmetric Kaiser curve.
        wx = np.linspace(-half, half, 2 * half + 1)
        w = np.interp(t, wx, window, left=0.0, right=0.0)
        table = 2 * cutoff * np.sinc(2 * cutoff * t) * w
        table /= table.sum(axis=1, keepdims=True)  # unity gain at DC for every phase
        self._table = table.astype(np.float32)
        self._rows = rows
        self._ntaps = 2 * half
        # History and pending input live in one preallocated array (``_buf[:_len]``);
        # consumed input is dropped by moving the tail down only once the array is full,
        # so a block costs no allocation beyond its outputs.
        self._buf = np.zeros(max(4096, 8 * self._ntaps), np.float32)
        self._len = half - 1
        self._pos = float(half - 1)
        self._ramp = np.arange(1024, dtype=np.float64)
        self._windows = self._window_view()

    def _window_view(self) -> np.ndarray:
        """Row ``i`` is ``_buf[i : i + taps]`` (a view: no copy)."""
        return np.lib.stride_tricks.as_strided(
            self._buf,
            shape=(len(self._buf) - self._ntaps + 1, self._ntaps),
            strides=(self._buf.strides[0], self._buf.strides[0]),
            writeable=False,
        )

    @property
    def delay_s(self) -> float:
        """Group delay the filter adds, in seconds."""
        return (self._half - 1) / self.in_rate

    @property
    def pending(self) -> int:
        """Input samples held beyond the filter's left context."""
        return max(0, self._len - int(self._pos))

    @property
    def context(self) -> int:
        """Input samples of left context each output needs behind its own position."""
        return self._half - 1

    @property
    def lookahead(self) -> int:
        """Input samples each output needs ahead of its own position."""
        return self._half

    def reset(self, history: np.ndarray | None = None) -> None:
        """Start again; ``history`` (the last samples before the next input, at least
        :attr:`context` of them) is the left context instead of silence, so a stream
        that was passed through unfiltered continues without a seam."""
        ctx = self._half - 1
        if history is None:
            self._buf[:ctx] = 0.0
        else:
            self._buf[:ctx] = history[len(history) - ctx :]
        self._len = ctx
        self._pos = float(ctx)

    def flush_aligned(self) -> np.ndarray | None:
        """When the next output falls on an input sample, hand over the input not yet
        output (each of those outputs would be that very sample, given identity taps at
        phase 0: ``passband=1.0`` at equal rates) and start again empty; else ``None``."""
        whole = round(self._pos)
        if abs(self._pos - whole) > 1e-6 or whole < self._half - 1:
            return None
        pending = self._buf[whole : self._len].copy()
        self.reset(self._buf[: self._len])
        return pending

    def aligning_speed(self, extra_input: int, speed: float) -> tuple[float, int]:
        """A speed near ``speed`` (within ``0.5 / outputs`` of it) whose outputs for
        ``extra_input`` more samples end on a whole input position, and how many outputs
        that is; (``speed``, 0) when too few outputs are due to get there gently."""
        count = self.outputs_available(extra_input, speed)
        if count < 100:
            return speed, 0
        end = round(self._pos + count * self._step * speed)
        aligned = (end - self._pos) / (count * self._step)
        if self.outputs_available(extra_input, aligned) < count:
            return speed, 0
        return aligned, count

    def outputs_available(self, extra_input: int, speed: float = 1.0) -> int:
        """How many outputs :meth:`process` would give after ``extra_input`` more samples."""
        step = self._step * speed
        last = self._len + extra_input - self._half - 1  # largest usable floor(p)
        # Outputs n = 0, 1, ... while floor(pos + n * step) <= last.
        span = last + 1 - self._pos
        return max(0, math.ceil(span / step)) if span > 0 else 0

    def input_needed(self, outputs: int, speed: float = 1.0) -> int:
        """Input samples still missing before :meth:`process` can give ``outputs`` samples."""
        if outputs <= 0:
            return 0
        step = self._step * speed
        last_pos = self._pos + (outputs - 1) * step
        return max(0, math.floor(last_pos) + self._half + 1 - self._len)

    def process(
        self, samples: np.ndarray, speed: float = 1.0, max_out: int | None = None
    ) -> np.ndarray:
        """Feed input samples; return every output sample now computable (float32).

        ``speed`` > 1 consumes the input faster (fewer outputs), < 1 slower. One block is
        a handful of numpy calls whatever its length: the window of input each output
        needs is a strided view, gathered once, and weighted by its phase's taps.
        """
        step = self._step * speed
        if len(samples):
            self._append(samples)
        count = self.outputs_available(0, speed)
        if max_out is not None:
            count = min(count, max_out)
        if count <= 0:
            return np.zeros(0, np.float32)
        if count > len(self._ramp):
            self._ramp = np.arange(count, dtype=np.float64)
        # Each output's position, in table rows: its whole part (divided out) is the
        # first input tap, the rest its phase. Shifted by the left context so that the
        # quotient is the first tap's index (positions never fall below the context).
        rows = self._rows
        scaled = self._ramp[:count] * (step * rows)
        scaled += (self._pos - (self._half - 1)) * rows
        first, phase = np.divmod(scaled.astype(np.intp), rows)
        out: np.ndarray = np.einsum("ij,ij->i", self._windows[first], self._table[phase])
        next_pos = self._pos + count * step
        drop = int(next_pos) - (self._half - 1)
        if drop > len(self._buf) // 4:
            # Consumed input leaves the array now and then, not on every block.
            self._len -= drop
            self._buf[: self._len] = self._buf[drop : drop + self._len]
            next_pos -= drop
        self._pos = next_pos
        return out

    def _append(self, samples: np.ndarray) -> None:
        n = len(samples)
        end = self._len + n
        if end > len(self._buf):
            grown = np.zeros(max(2 * len(self._buf), end), np.float32)
            grown[: self._len] = self._buf[: self._len]
            self._buf = grown
            self._windows = self._window_view()
        self._buf[self._len : end] = samples
        self._len = end


def to_float(pcm: np.ndarray) -> np.ndarray:
    return pcm.astype(np.float32) * (1.0 / 32768.0)


def to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(samples * 32768.0), -32768, 32767).astype(np.int16)


def pcm16(samples: np.ndarray) -> np.ndarray:
    """float32 on the int16 scale -> int16, clipped in place (the input is scratch)."""
    return np.clip(samples, -32768.0, 32767.0, out=samples).astype(np.int16)


class DriftFollower:
    """int16 in, int16 out, at one rate: follows clock drift by resampling only while the
    drift controller asks for a speed other than 1.0, and passes samples through untouched
    (one copy, no float) the rest of the time.

    The resampler's table has identity taps at phase 0 (``passband=1.0``: at equal rates
    there is nothing to band-limit), so an output on a whole input position *is* that input
    sample: switching between the two modes leaves no seam. Entering resampling, the
    filter starts from the samples just passed through and holds back its lookahead
    (``lookahead`` samples out later, 0.5 ms at 16 kHz); leaving, the speed is nudged for
    one block (by at most ``0.5 / block`` samples per sample, 0.3 % for 10 ms blocks) so the
    position lands on a whole sample, and the held-back input is handed over.
    """

    def __init__(self, rate: int, *, zero_crossings: int = 12, phases: int = 512) -> None:
        # 12 zero crossings: with the cut-off at Nyquist, 8 left a 6 kHz tone 43 dB clean
        # while resampling, 12 give 57 dB (what the band-limited table gave before).
        self.rate = rate
        self.resampler = Resampler(
            rate, rate, zero_crossings=zero_crossings, phases=phases, passband=1.0
        )
        self._context_bytes = 2 * self.resampler.context
        self._tail = bytes(self._context_bytes)
        """The last samples passed through (int16 bytes): the left context resampling
        starts from."""
        self.resampling = False
        self.blocks_resampled = 0
        self.blocks_passed = 0

    @property
    def resampled_share(self) -> float:
        """Share of the blocks so far that were resampled."""
        blocks = self.blocks_resampled + self.blocks_passed
        return self.blocks_resampled / blocks if blocks else 0.0

    @property
    def delay_s(self) -> float:
        """Average delay the filter added: its lookahead while it resampled, nothing while
        it passed samples through (time-weighted by blocks)."""
        return self.resampled_share * self.resampler.lookahead / self.rate

    def input_needed(self, outputs: int, speed: float = 1.0) -> int:
        """Input samples still missing before :meth:`process` can give ``outputs``."""
        if not self.resampling and speed == 1.0:
            return max(0, outputs)
        if not self.resampling:
            return max(0, outputs) + self.resampler.lookahead
        return self.resampler.input_needed(outputs, speed)

    def passes(self, speed: float) -> bool:
        """True when a block at ``speed`` goes through untouched: the caller may then move
        it as bytes and only report it with :meth:`passed`."""
        return speed == 1.0 and not self.resampling

    def passed(self, raw: bytes | bytearray | memoryview) -> None:
        """A block of int16 bytes went through untouched (see :meth:`passes`)."""
        self.blocks_passed += 1
        self._keep_tail(raw)

    def process(
        self, pcm: np.ndarray, speed: float = 1.0, max_out: int | None = None
    ) -> np.ndarray:
        """Feed int16 samples; returns the int16 samples due, at most ``max_out``.

        Passing through, the result is ``pcm`` itself (no copy): use it before ``pcm``'s
        memory is reused.
        """
        if not self.resampling:
            if speed == 1.0 and (max_out is None or max_out >= len(pcm)):
                self.blocks_passed += 1
                self._remember(pcm)
                return pcm
            self.resampler.reset(np.frombuffer(self._tail, np.int16).astype(np.float32))
            self.resampling = True
        rs = self.resampler
        x = pcm.astype(np.float32)
        flushed = False
        if speed != 1.0:
            out = rs.process(x, speed, max_out)
        else:
            # Asked to stop: land on a whole input position, then pass through again.
            aligned, count = rs.aligning_speed(len(x), 1.0)
            if count and (max_out is None or count <= max_out):
                out = rs.process(x, aligned, count)
                pending = rs.flush_aligned()
                if pending is not None:
                    out = np.concatenate((out, pending))
                    flushed = True
            else:
                out = rs.process(x, 1.0, max_out)
        self.blocks_resampled += 1
        y = np.clip(np.rint(out, out=out), -32768.0, 32767.0, out=out).astype(np.int16)
        if flushed:
            # The held-back input ends the block: its tail is the next left context.
            self.resampling = False
            self._remember(y)
        return y

    def _remember(self, pcm: np.ndarray) -> None:
        self._keep_tail(np.ascontiguousarray(pcm).data.cast("B"))

    def _keep_tail(self, raw: bytes | bytearray | memoryview) -> None:
        """The last samples through (int16 bytes) become the next left context."""
        keep = self._context_bytes
        self._tail = bytes(raw[-keep:]) if len(raw) >= keep else (self._tail + raw)[-keep:]
