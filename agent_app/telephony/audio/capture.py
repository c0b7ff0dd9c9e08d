"""The microphone stream: a push-mode QAudioSource (pull mode hands PySide6 a ``str``) that
the audio thread's pump drains into the call's ring, drift-controlled."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtMultimedia import QAudioDevice, QAudioSource, QtAudio

from agent_app.telephony.audio.devices import device_id
from agent_app.telephony.audio.drift import DriftController
from agent_app.telephony.audio.drift_resampling import DRIFT_BAND_MS, DriftResampling
from agent_app.telephony.audio.formats import SampleCodec, choose_format, period_frames
from agent_app.telephony.audio.margins import AdaptiveTarget
from agent_app.telephony.audio.meters import METER_INTERVAL_S, LevelMeter
from agent_app.telephony.audio.resampler import DriftFollower, Resampler, pcm16
from agent_app.telephony.audio.ring import SampleRing
from agent_app.telephony.audio.stream_timing import CALM_S

CAPTURE_BUFFER_MS = 60
"""Qt's capture buffer; drained every PUMP_MS, so its size adds no delay (10 ms lost data)."""
DEVICE_PERIOD_MS = 5
"""Capture period asked of the sound server (rounded up to a power of two frames): its
stream buffer follows it (PulseAudio: ~5 ms at 16 kHz, ~50 ms with Qt's default)."""
MIC_STEP_MS = 2
MIC_MAX_MS = 6
"""The microphone ring's target grows by MIC_STEP_MS per near miss, at most MIC_MAX_MS
above the configured target (what is left of the path's 40 ms budget)."""
MIC_GUARD_MS = 5
"""The microphone ring's low-water mark (what it held beyond a frame when pjsua2 took
one) under this is a near miss: the margin grows before an underrun rather than after."""
MIC_WATCH_S = 0.1


class Capture(DriftResampling):
    """One QAudioSource feeding a call-rate ring."""

    def __init__(
        self,
        device: QAudioDevice,
        *,
        ring: SampleRing,
        ring_rate: int,
        target: int,
        meter: LevelMeter,
        on_error: Callable[[], None],
        parent: QObject,
    ) -> None:
        self.device_id = device_id(device)
        self.device_name = device.description()
        self.format = choose_format(device, ring_rate)
        self.rate = self.format.sampleRate()
        self._codec = SampleCodec(self.format)
        self._ring = ring
        self._meter = meter
        self._on_error = on_error
        self.resampler = Resampler(self.rate, ring_rate)
        self.follower = (
            DriftFollower(ring_rate)
            if self.rate == ring_rate and self._codec.is_pcm16_mono
            else None
        )
        band = DRIFT_BAND_MS * ring_rate // 1000 if self.follower is not None else 0
        self.drift = DriftController(ring_rate, target, deadband=band)
        self.block_ms = 0.0
        """Average length of the blocks Qt hands over (a sample waits half of one)."""
        self.margin = AdaptiveTarget.in_ms(
            ring_rate, target, headroom_ms=MIC_MAX_MS, step_ms=MIC_STEP_MS, calm_s=2 * CALM_S
        )
        self._guard = MIC_GUARD_MS * ring_rate // 1000
        self._ring_rate = ring_rate
        self._last = self._metered = self._watched = time.monotonic()
        self.source = QAudioSource(device, self.format, parent)
        self.source.setBufferSize(self.format.bytesForDuration(CAPTURE_BUFFER_MS * 1000))
        self.source.setNativePeriodFrameCount(period_frames(self.rate, DEVICE_PERIOD_MS))
        self.io = self.source.start()

    def pump(self) -> None:
        """Take what Qt captured since the last call (the worker's pump)."""
        raw = self.io.readAll().data()
        if not raw:
            return
        follower = self.follower
        # At the call's rate the device's bytes are the ring's samples: no decoding.
        x = None if follower is not None else self._codec.decode_pcm(raw)
        n = len(raw) // 2 if x is None else len(x)
        self.block_ms += 0.05 * (1000.0 * n / self.rate - self.block_ms)
        now = time.monotonic()
        if now - self._watched >= MIC_WATCH_S:
            self._watched = now
            self._watch_margin(now)
        if now - self._metered >= METER_INTERVAL_S:
            self._meter.note(raw if x is None else x, self.rate, 32768.0, now)
            self._metered = now
        # The ring is watched half a block after this write: the time-averaged fill,
        # which is what a sample waits (the fill right before a write is its low point).
        speed, trim = self.drift.update(
            self._ring.fill + n * self._ring_rate // (2 * self.rate), now - self._last
        )
        self._last = now
        if trim:
            self._ring.trim_to(self.drift.target)
        if follower is not None:
            if follower.passes(speed):
                follower.passed(raw)
                self._ring.write_bytes(raw)
            else:
                self._ring.write(follower.process(np.frombuffer(raw, np.int16, n), speed))
            return
        assert x is not None
        y = self.resampler.process(x, speed)
        if len(y):
            self._ring.write(pcm16(y))

    def _watch_margin(self, now: float) -> None:
        """Grow the ring's target when pjsua2 came close to finding it empty (or did).

        The media clock takes a frame every 10 ms, our pump writes one every 10 ms, and
        either may run late (a scheduling delay, or the clock catching up on missed
        ticks in a burst): the low-water mark says how much of the margin such jitter
        used. The target shrinks back slowly while the margin stays unused.
        """
        margin = self.margin
        if self._ring.take_low_water() < self._guard:
            margin.alarm(now)
        else:
            margin.tick(now)
        if margin.value != self.drift.target:
            self.drift.target = margin.value
            self._ring.set_prime(margin.value)

    def failed(self) -> bool:
        return self.source.error() not in (QtAudio.Error.NoError, QtAudio.Error.UnderrunError)

    def close(self) -> None:
        self.source.stop()
        self.source.deleteLater()
