"""The speaker's side of the call's ring: device-rate samples out of it, with ring plus
device queue held at the target (pure: no Qt)."""

from __future__ import annotations

import time

import numpy as np

from agent_app.telephony.audio.drift import DriftController
from agent_app.telephony.audio.drift_resampling import DRIFT_BAND_MS, DriftResampling
from agent_app.telephony.audio.resampler import DriftFollower, Resampler
from agent_app.telephony.audio.ring import SampleRing


class RingReader(DriftResampling):
    """Device-rate samples out of a call-rate ring, drift-controlled.

    :meth:`drain` hands over everything the ring holds at once and holds the level of
    ring *plus* the device queue at ``target``, so a frame waits in one queue only.
    """

    def __init__(self, ring: SampleRing, ring_rate: int, device_rate: int, target: int) -> None:
        self._ring = ring
        self._ring_rate = ring_rate
        self._device_rate = device_rate
        self.resampler = Resampler(ring_rate, device_rate)
        self.follower = DriftFollower(ring_rate) if ring_rate == device_rate else None
        """At equal rates the ring's int16 samples go out as they are (see :meth:`drain`)."""
        band = DRIFT_BAND_MS * ring_rate // 1000 if self.follower is not None else 0
        self.drift = DriftController(ring_rate, target, deadband=band)
        self._last = time.monotonic()
        self._pcm = np.zeros(ring.capacity, np.int16)

    @property
    def target(self) -> int:
        return self.drift.target

    @target.setter
    def target(self, samples: int) -> None:
        self.drift.target = samples

    def drain(self, queued: int, room: int) -> np.ndarray | bytes:
        """Everything the ring holds, resampled (at most ``room`` device samples).

        ``queued`` is what the device still holds (device samples); the drift controller
        steers ring + device queue towards the target, so the device clock is followed
        and a stall's excess is trimmed from the ring. At equal rates the result is int16:
        the ring's own bytes while they pass through untouched, an int16 array while the
        :class:`DriftFollower` resamples; else float32 on the int16 scale.
        """
        now = time.monotonic()
        level = self._ring.fill + queued * self._ring_rate // self._device_rate
        speed, trim = self.drift.update(level, now - self._last)
        self._last = now
        if trim:
            self._ring.trim_to(max(0, self._ring.fill - trim))
        if not self._ring.primed:
            return np.zeros(0, np.float32)
        follower = self.follower
        if follower is not None:
            take = min(self._ring.fill, follower.input_needed(room, speed))
            if take <= 0:
                return b""
            if follower.passes(speed) and take <= room:
                raw = self._ring.read_bytes(take)
                follower.passed(raw)
                return raw
            pcm = self._pcm[:take]
            self._ring.read_into(pcm)
            return follower.process(pcm, speed, max_out=room)
        take = min(self._ring.fill, self.resampler.input_needed(room, speed))
        pcm = self._pcm[:take]
        if take:
            self._ring.read_into(pcm)
        return self.resampler.process(pcm.astype(np.float32), speed, max_out=room)
