"""A ring buffer of int16 samples between two threads, with underrun/overrun counters.

One producer and one consumer, each on its own thread (pjsua2's media clock thread on one
side, the Qt audio thread on the other). Every operation is a short numpy copy under a
lock, so neither side ever waits for more than a few microseconds.

A ring starts *unprimed*: the consumer gets silence until the fill reaches the priming
level, so start-up is not counted as an underrun. When the consumer then finds fewer
samples than it needs, that is one underrun; the ring goes back to unprimed and refills
to the priming level before playing again (one clean gap instead of a crackle of tiny
ones).
"""

from __future__ import annotations

import threading

import numpy as np


class RingBufferError(ValueError):
    """A ring was asked for something it cannot hold."""


class SampleRing:
    def __init__(self, capacity: int, prime: int = 0) -> None:
        if capacity <= 0:
            raise RingBufferError(f"ring capacity must be positive, got {capacity}")
        if not 0 <= prime <= capacity:
            raise RingBufferError(f"priming level {prime} outside 0..{capacity}")
        self._buf = np.zeros(capacity, np.int16)
        self._bytes = memoryview(self._buf.data).cast("B")
        """The same memory as bytes: a 16-bit mono device's data goes in and out as it is,
        with no numpy call (each costs microseconds on a thread that just woke up)."""
        self._capacity = capacity
        self._prime = prime
        self._read = 0  # index of the oldest sample
        self._fill = 0
        self._primed = prime == 0
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._waiting = 0
        """Consumers blocked in :meth:`wait_for` (the producer signals only when there are)."""
        self.underruns = 0
        self.overruns = 0
        self.dropped = 0
        """Samples thrown away (overruns and trims)."""
        self.written = 0
        self.read_total = 0
        self._low = capacity

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def fill(self) -> int:
        return self._fill

    @property
    def waiting(self) -> int:
        """Consumers blocked in :meth:`wait_for` right now."""
        return self._waiting

    @property
    def primed(self) -> bool:
        return self._primed

    def set_prime(self, prime: int) -> None:
        if not 0 <= prime <= self._capacity:
            raise RingBufferError(f"priming level {prime} outside 0..{self._capacity}")
        self._prime = prime

    def write(self, samples: np.ndarray) -> None:
        """Append ``samples``; when full, the oldest samples are dropped (one overrun)."""
        n = len(samples)
        if n == 0:
            return
        with self._lock:
            if n >= self._capacity:
                samples = samples[-self._capacity :]
                self.dropped += n - self._capacity + self._fill
                self._fill = 0
                self._read = 0
                n = self._capacity
                self.overruns += 1
            elif self._fill + n > self._capacity:
                excess = self._fill + n - self._capacity
                self._read = (self._read + excess) % self._capacity
                self._fill -= excess
                self.dropped += excess
                self.overruns += 1
            start = (self._read + self._fill) % self._capacity
            first = min(n, self._capacity - start)
            self._buf[start : start + first] = samples[:first]
            if first < n:
                self._buf[: n - first] = samples[first:]
            self._fill += n
            self.written += n
            if not self._primed and self._fill >= self._prime:
                self._primed = True
            if self._waiting:
                self._arrived.notify_all()

    def write_bytes(self, raw: bytes | bytearray | memoryview) -> None:
        """Append int16 samples given as native-endian bytes (an odd last byte is ignored);
        otherwise exactly :meth:`write`."""
        n = len(raw) // 2
        if n == 0:
            return
        data = memoryview(raw)
        with self._lock:
            cap = self._capacity
            if n >= cap:
                data = data[2 * (n - cap) : 2 * n]
                self.dropped += n - cap + self._fill
                self._fill = 0
                self._read = 0
                n = cap
                self.overruns += 1
            elif self._fill + n > cap:
                excess = self._fill + n - cap
                self._read = (self._read + excess) % cap
                self._fill -= excess
                self.dropped += excess
                self.overruns += 1
            start = (self._read + self._fill) % cap
            first = min(n, cap - start)
            self._bytes[2 * start : 2 * (start + first)] = data[: 2 * first]
            if first < n:
                self._bytes[: 2 * (n - first)] = data[2 * first : 2 * n]
            self._fill += n
            self.written += n
            if not self._primed and self._fill >= self._prime:
                self._primed = True
            if self._waiting:
                self._arrived.notify_all()

    def read_bytes(self, n: int) -> bytes:
        """``n`` samples as native-endian int16 bytes; otherwise exactly :meth:`read_into`
        (silence while unprimed, and for what is missing: one underrun)."""
        with self._lock:
            if not self._primed:
                return bytes(2 * n)
            self._low = min(self._low, self._fill - n)
            take = min(n, self._fill)
            r = self._read
            first = min(take, self._capacity - r)
            data = self._bytes[2 * r : 2 * (r + first)].tobytes()
            if first < take:
                data += self._bytes[: 2 * (take - first)].tobytes()
            self._read = (r + take) % self._capacity
            self._fill -= take
            self.read_total += take
            if take < n:
                data += bytes(2 * (n - take))
                self.underruns += 1
                self._primed = self._prime == 0
            return data

    def read_into(self, out: np.ndarray) -> int:
        """Fill ``out`` from the ring; returns how many samples were real (rest is silence)."""
        n = len(out)
        with self._lock:
            if not self._primed:
                out[:] = 0
                return 0
            self._low = min(self._low, self._fill - n)
            take = min(n, self._fill)
            first = min(take, self._capacity - self._read)
            out[:first] = self._buf[self._read : self._read + first]
            if first < take:
                out[first:take] = self._buf[: take - first]
            self._read = (self._read + take) % self._capacity
            self._fill -= take
            self.read_total += take
            if take < n:
                out[take:] = 0
                self.underruns += 1
                self._primed = self._prime == 0
            return take

    def wait_for(self, n: int, timeout: float) -> bool:
        """Block until the ring holds ``n`` samples or has been cleared, at most
        ``timeout`` seconds; True unless the time ran out.

        For a consumer that would rather be late than short: the media clock, when the
        microphone's block is a few milliseconds behind.
        """
        with self._lock:
            self._waiting += 1
            try:
                return self._arrived.wait_for(lambda: self._fill >= n or not self._primed, timeout)
            finally:
                self._waiting -= 1

    def take_low_water(self) -> int:
        """The least the ring held beyond a read since the last call (negative: a read
        found it short), then start watching again; ``capacity`` when nothing was read.

        The producer sizes its safety margin from it: how close the consumer came to
        finding the ring empty.
        """
        with self._lock:
            low, self._low = self._low, self._capacity
            return low

    def trim_to(self, level: int) -> int:
        """Drop the oldest samples down to ``level``; returns how many were dropped."""
        with self._lock:
            excess = self._fill - level
            if excess <= 0:
                return 0
            self._read = (self._read + excess) % self._capacity
            self._fill = level
            self.dropped += excess
            return excess

    def clear(self) -> None:
        with self._lock:
            self._fill = 0
            self._read = 0
            self._primed = self._prime == 0
            if self._waiting:
                self._arrived.notify_all()
