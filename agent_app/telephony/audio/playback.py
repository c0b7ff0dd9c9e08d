"""The speaker and tone streams: a push-mode QAudioSink fed by the audio thread's pump, from
the call's ring (:class:`CallPlayback`) or a tone generator (:class:`TonePlayback`)."""

from __future__ import annotations

import abc
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtMultimedia import QAudioDevice, QAudioSink, QtAudio

from agent_app.telephony.audio.devices import device_id
from agent_app.telephony.audio.formats import SampleCodec, choose_format, period_frames
from agent_app.telephony.audio.margins import AdaptiveTarget, PlayoutClock
from agent_app.telephony.audio.meters import METER_INTERVAL_S, LevelMeter
from agent_app.telephony.audio.ring import SampleRing
from agent_app.telephony.audio.ring_reader import RingReader
from agent_app.telephony.audio.stream_timing import CALM_S, PUMP_MS
from agent_app.telephony.audio.tones import ToneKind, TonePattern

SINK_BUFFER_MS = 120
"""Room in Qt's ring in front of the sink: never the limit (the pump decides the level)."""
PLAYBACK_PERIOD_MS = 10
"""Playback period: 256 frames at 16 kHz, a 12-16 ms server buffer (a 5 ms period's 8 ms one
underran at every hiccup of the server or of Qt's PulseAudio thread)."""
SPEAKER_MAX_MS = 8
"""The speaker's target grows at most this much above its configured 16 ms: with the
server's 12.5 ms buffer that is the path's 40 ms budget (a larger queue would trade
dropouts for a delay the budget does not allow)."""
SPEAKER_STEP_MS = 5
"""The speaker's target grows this much per stall (dropout, ring underrun, late pump)."""


class Playback(abc.ABC):
    """One QAudioSink in push mode, fed from the audio thread's pump.

    Qt 6.12's pull mode stops asking after the first fill on PulseAudio, so the sink is
    fed from the audio thread's 10 ms pump instead.
    """

    def __init__(
        self,
        device: QAudioDevice,
        *,
        call_rate: int,
        meter: LevelMeter | None,
        on_error: Callable[[], None],
        parent: QObject,
    ) -> None:
        self.device_id = device_id(device)
        self.device_name = device.description()
        self.format = choose_format(device, call_rate)
        self.rate = self.format.sampleRate()
        self._codec = SampleCodec(self.format)
        self._frame_bytes = self._codec.frame_bytes
        self._meter = meter
        self._on_error = on_error
        self.starvations = 0
        """Times the sink was found empty: the server played silence (a glitch)."""
        self._playing = False
        self._calm_since = self._metered = time.monotonic()
        self.writes = 0
        self.frames_written = 0
        self.sink = QAudioSink(device, self.format, parent)
        self.sink.setBufferSize(self.format.bytesForDuration(SINK_BUFFER_MS * 1000))
        self.sink.setNativePeriodFrameCount(period_frames(self.rate, PLAYBACK_PERIOD_MS))
        self._buffer_bytes = self.sink.bufferSize()
        self.io = self.sink.start()
        self._last = time.monotonic()

    @abc.abstractmethod
    def pump(self) -> None:
        """Feed the sink (the worker's pump)."""

    def _write(self, y: np.ndarray | bytes) -> None:
        """Hand ``y`` to the sink: int16 samples (as bytes, or an array), or float32 on the
        int16 scale (used as scratch)."""
        if isinstance(y, bytes):
            frames = len(y) // 2
            self._meter_block(y, frames)
            if self._codec.is_pcm16_mono:
                self.io.write(y)
            else:
                pcm = np.frombuffer(y, np.int16).astype(np.float32)
                self.io.write(self._codec.encode_pcm(pcm))
        else:
            frames = len(y)
            self._meter_block(y, frames)
            if y.dtype == np.int16 and self._codec.is_pcm16_mono:
                self.io.write(y.tobytes())
            else:
                self.io.write(self._codec.encode_pcm(y.astype(np.float32, copy=False)))
        self.writes += 1
        self.frames_written += frames

    def _meter_block(self, y: np.ndarray | bytes, frames: int) -> None:
        """Feed the level meter at the UI's rate (not every block)."""
        if self._meter is None:
            return
        now = time.monotonic()
        if now - self._metered >= METER_INTERVAL_S:
            # An array may be the resampler's scratch, overwritten by the next block.
            self._meter.note(
                y if isinstance(y, bytes) else y[:frames].copy(), self.rate, 32768.0, now
            )
            self._metered = now

    def _started(self, queued: int, now: float) -> bool:
        """True once the device plays (PulseAudio takes up to a second to start)."""
        if not self._playing:
            if queued == 0 or self.sink.processedUSecs() < 200_000:
                return False
            self._playing = True
            self._calm_since = now
        return True

    @property
    @abc.abstractmethod
    def queue_ms(self) -> float:
        """Audio this playback aims to keep queued, in milliseconds."""

    def failed(self) -> bool:
        return self.sink.error() not in (QtAudio.Error.NoError, QtAudio.Error.UnderrunError)

    def buffered_s(self) -> float:
        """Audio handed to Qt and not yet played (the sink's own buffer)."""
        size, free = self._buffer_bytes, self.sink.bytesFree()
        return max(0, size - free) / self._frame_bytes / self.rate

    def close(self) -> None:
        self.sink.stop()
        self.sink.deleteLater()


class CallPlayback(Playback):
    """The call's speaker: each pump hands the sink everything the speaker ring holds.

    A frame from the call then waits in one queue (Qt's, in front of the sound server)
    rather than two, and the drift controller of the :class:`RingReader` holds the sum
    of ring and sink queue at the target. The target adapts like a jitter buffer
    (:class:`~.margins.AdaptiveTarget`), driven by what the device did rather than by
    what the pump happens to see: a dropout found by the sink's played-audio clock
    (:class:`~.margins.PlayoutClock`; Qt pads silence when its queue runs dry, and the
    pump rarely catches the queue empty — the server drains it in request-sized bites),
    a speaker-ring underrun, or a pump later than the queue lasts. It grows by 5 ms per
    stall, at most SPEAKER_MAX_MS above its base, and gives 1 ms back after each calm
    CALM_S (a lone stall costs seconds of extra delay, not minutes).
    """

    def __init__(
        self,
        device: QAudioDevice,
        *,
        ring: SampleRing,
        ring_rate: int,
        target: int,
        meter: LevelMeter | None,
        on_error: Callable[[], None],
        parent: QObject,
    ) -> None:
        super().__init__(device, call_rate=ring_rate, meter=meter, on_error=on_error, parent=parent)
        self._ring_rate = ring_rate
        self._ring = ring
        self.margin = AdaptiveTarget.in_ms(
            ring_rate, target, headroom_ms=SPEAKER_MAX_MS, step_ms=SPEAKER_STEP_MS, calm_s=CALM_S
        )
        self.clock = PlayoutClock()
        self.provider = RingReader(ring, ring_rate, self.rate, target)
        self._ring_underruns = ring.underruns
        self._pumped = time.monotonic()
        self._processed = self.sink.processedUSecs

    @property
    def dropouts(self) -> int:
        """Dropouts the device played (silence Qt padded in), since the stream opened."""
        return self.clock.dropouts

    def pump(self) -> None:
        now = time.monotonic()
        free = self.sink.bytesFree()
        queued = (self._buffer_bytes - free) // self._frame_bytes
        self._adapt(queued, now)
        # The sink holds at most two targets' worth (the server takes its own buffer out
        # of it when it starts); what the ring has beyond that waits there, where the
        # drift controller trims it, instead of becoming seconds of slow catch-up in Qt's.
        cap = 2 * self.provider.target * self.rate // self._ring_rate
        room = min(free // self._frame_bytes, cap - queued)
        y = self.provider.drain(queued, max(0, room))
        if len(y):
            self._write(y)

    def _adapt(self, queued: int, now: float) -> None:
        gap = now - self._pumped
        self._pumped = now
        if not self._started(queued, now):
            return
        if queued == 0:
            self.starvations += 1
        margin = self.margin
        target_s = margin.value / self._ring_rate
        trouble = self.clock.update(now, self._processed() * 1e-6) > 0.0
        if gap > PUMP_MS / 1000 + 0.75 * target_s:
            trouble = True  # later than the queue lasts: a dropout is all but certain
        underruns = self._ring.underruns
        if underruns != self._ring_underruns:
            self._ring_underruns = underruns
            trouble = True
        if trouble:
            margin.alarm(now)
        else:
            margin.tick(now)
        self.provider.target = margin.value

    @property
    def queue_ms(self) -> float:
        """The current target of ring plus sink queue."""
        return self.provider.target * 1000 / self._ring_rate


class TonePlayback(Playback):
    """A generated tone: the elapsed time says how much the sink played (feed-forward),
    and the smoothed queue level corrects slowly towards ``queue_ms``.

    ``bytesFree`` moves in the server's request-sized steps, so topping up to a level
    would starve the stream now and then.
    """

    def __init__(
        self,
        device: QAudioDevice,
        *,
        kind: ToneKind,
        queue_ms: int,
        on_error: Callable[[], None],
        parent: QObject,
    ) -> None:
        super().__init__(device, call_rate=0, meter=None, on_error=on_error, parent=parent)
        self._pattern = TonePattern(kind, self.rate)
        self._queue_bytes = self.format.bytesForDuration(queue_ms * 1000)
        self._avg_queued = float(self._queue_bytes)
        self._carry = 0.0
        # Start with the queue full, then follow the clock.
        self._write(self._read(self._queue_bytes // self._frame_bytes))

    def _read(self, n: int) -> np.ndarray:
        return self._pattern.read(n).astype(np.float32)

    def pump(self) -> None:
        now = time.monotonic()
        elapsed = min(now - self._last, 0.1)
        self._last = now
        free = self.sink.bytesFree()
        queued = self._buffer_bytes - free
        if self._started(queued, now) and queued == 0:
            self.starvations += 1
        self._avg_queued += 0.05 * (queued - self._avg_queued)
        error = (self._queue_bytes - self._avg_queued) / self._frame_bytes
        frames = self.rate * elapsed + 0.1 * error + self._carry
        want = int(frames)
        self._carry = frames - want if want > 0 else 0.0
        want = min(want, free // self._frame_bytes)
        if want > 0:
            self._write(self._read(want))

    @property
    def queue_ms(self) -> float:
        return self._queue_bytes / self._frame_bytes / self.rate * 1000
