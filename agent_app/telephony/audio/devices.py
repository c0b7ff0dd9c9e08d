"""The Qt side of the bridge: microphones, speakers and the ringer, on a QThread of their own.

Everything Qt Multimedia lives on the ``pulse-audio`` thread (measured: a stall of the
thread that drives pjsua2 or of a GUI never reaches the devices). Other threads talk to it
only through queued signals (:class:`AudioDevices` wraps them) and read counters.

- Both streams are opened at the call's rate when the device takes it (the sound server
  converts), with a ~5 ms server period so the server's own buffer stays small. At the
  call's rate the samples stay int16 end to end and pass through untouched while the
  clocks agree: the drift controller has a dead band, and only while it steers does a
  :class:`~.resampler.DriftFollower` resample (most pumps are then one copy each way).
- Capture is push mode (QAudioSource pull mode hands PySide6 a ``str``), drained by the
  worker's 10 ms pump rather than on each ``readyRead`` (half the wake-ups); the thread's
  own loop (:class:`~.paced_thread.PacedThread`) wakes once per pump while streams are open.
  Each block is resampled with the drift controller's speed (clock drift only, at the
  call's rate) and written to the microphone ring; the meter samples it at UI rate.
- Playback is push mode from the same pump (Qt 6.12's pull mode stops reading after
  the first fill on PulseAudio): each pump hands the sink everything the speaker ring
  holds, and the drift controller holds ring + sink queue at the target.
- Device choice per role (microphone, speaker, ringer) follows the preference when that
  device is present and the OS default otherwise. ``QMediaDevices`` change signals (and a
  stream error, whichever comes first) re-resolve every open stream: an unplugged
  headset falls back to the default without touching the call, and the call moves back
  when it returns. Each move is reported as an :class:`AudioEvent`.
"""

from __future__ import annotations

import abc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtMultimedia import (
    QAudioDevice,
    QAudioFormat,
    QAudioSink,
    QAudioSource,
    QMediaDevices,
    QtAudio,
)

from agent_app.telephony.audio.drift import DriftController
from agent_app.telephony.audio.margins import AdaptiveTarget, PlayoutClock
from agent_app.telephony.audio.meters import METER_INTERVAL_S, LevelMeter
from agent_app.telephony.audio.paced_thread import PacedThread
from agent_app.telephony.audio.priority import QT_PULSE_THREAD, Promoter
from agent_app.telephony.audio.pulse_presence import PulsePresence
from agent_app.telephony.audio.resampler import DriftFollower, Resampler, pcm16
from agent_app.telephony.audio.ring import SampleRing
from agent_app.telephony.audio.tones import ToneKind, TonePattern

log = logging.getLogger(__name__)

Role = Literal["microphone", "speaker", "ringer"]
ROLES: tuple[Role, ...] = ("microphone", "speaker", "ringer")
EventKind = Literal["fallback", "restored", "switched", "failed"]

CAPTURE_BUFFER_MS = 60
"""Qt's capture buffer; drained every PUMP_MS, so its size adds no delay (10 ms lost data)."""
SINK_BUFFER_MS = 120
"""Room in Qt's ring in front of the sink: never the limit (the pump decides the level)."""
DEVICE_PERIOD_MS = 5
"""Capture period asked of the sound server (``setNativePeriodFrameCount``, rounded up to a
power of two frames): its stream buffer, which is latency we cannot see into, follows it
(PulseAudio: ~5 ms at 16 kHz instead of ~50 ms with Qt's default of 1024 frames)."""
PLAYBACK_PERIOD_MS = 10
"""Playback period: 256 frames at 16 kHz, a 12-16 ms server buffer. Qt's PulseAudio thread
refills that buffer on the server's requests; with the 8 ms buffer a 5 ms period gave, any
hiccup of the sound server or of that thread (measured: each new client connecting to the
server) was an underrun at the server, 5-7 a minute. The queue the pump keeps in front of
it shrinks by as much (``BridgeTuning.speaker_target_ms``), so the path is no longer."""
SPEAKER_MAX_MS = 8
"""The speaker's target grows at most this much above its configured 16 ms: with the
server's 12.5 ms buffer that is the path's 40 ms budget (a larger queue would trade
dropouts for a delay the budget does not allow)."""
CALM_S = 1.0
SPEAKER_STEP_MS = 5
"""The speaker's target grows this much per stall (dropout, ring underrun, late pump)."""
MIC_STEP_MS = 2
MIC_MAX_MS = 6
"""The microphone ring's target grows by MIC_STEP_MS per near miss, at most MIC_MAX_MS
above the configured target (what is left of the path's 40 ms budget)."""
MIC_GUARD_MS = 5
"""The microphone ring's low-water mark (what it held beyond a frame when pjsua2 took
one) under this is a near miss: the margin grows before an underrun rather than after."""
MIC_WATCH_S = 0.1
DRIFT_BAND_MS = 2
"""Ring level error (smoothed) within which an equal-rate stream is not resampled at all:
the level wanders by at most this much (plus the smoothing's overshoot) before the
drift controller steers it back, a tenth of the time for a 300 ppm clock difference."""
TONE_QUEUE_MS = 40
PUMP_MS = 10
EVENTS_EVERY = 5
"""While streams are open the audio thread handles Qt's events before every fifth pump:
requests from other threads (routes, tones, preferences), timers and device changes then
wait at most 50 ms. Nothing in the audio path needs them sooner: the streams' data,
``bytesFree`` and ``processedUSecs`` move without them (measured), and the per-pass cost
of Qt's event handling was about a third of the pump's."""
PRESENCE_POLL_MS = 1000
ROUTE_LINGER_MS = 1500
"""Streams outlive the last call this long, so hold/resume does not reopen devices."""


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    name: str
    is_default: bool


@dataclass(frozen=True)
class AudioEvent:
    """A device change the agent must hear about (the call itself carries on)."""

    kind: EventKind
    role: Role
    device_id: str
    """The device now in use ('' when none could be opened)."""
    device_name: str
    preferred_id: str


def device_id(device: QAudioDevice) -> str:
    return bytes(device.id().data()).decode("utf-8", "replace")


def list_devices() -> dict[str, list[DeviceInfo]]:
    """The present inputs and outputs, as plain values."""
    return {
        "inputs": [
            DeviceInfo(device_id(d), d.description(), d.isDefault())
            for d in QMediaDevices.audioInputs()
        ],
        "outputs": [
            DeviceInfo(device_id(d), d.description(), d.isDefault())
            for d in QMediaDevices.audioOutputs()
        ],
    }


def resolve(
    role: Role, preferred: str, present: tuple[set[str], set[str]] | None = None
) -> QAudioDevice:
    """The preferred device when present, else the OS default (may be null).

    ``present`` — (sink names, source names) from :class:`PulsePresence` — overrides
    Qt's lists, which keep removed PulseAudio devices.
    """
    if role == "microphone":
        listed = QMediaDevices.audioInputs()
        default = QMediaDevices.defaultAudioInput()
        names = present[1] if present is not None else None
    else:
        listed = QMediaDevices.audioOutputs()
        default = QMediaDevices.defaultAudioOutput()
        names = present[0] if present is not None else None
    alive = [d for d in listed if names is None or device_id(d) in names]
    if preferred:
        for device in alive:
            if device_id(device) == preferred:
                return device
    if names is None or (not default.isNull() and device_id(default) in names):
        return default
    for device in alive:
        if device.isDefault():
            return device
    return alive[0] if alive else QAudioDevice()


# -- sample formats ---------------------------------------------------------------------
def choose_format(device: QAudioDevice, rate: int = 0) -> QAudioFormat:
    """Mono 16-bit at ``rate`` (the call's) when the device takes it, else at the device's
    own rate; else its preferred layout.

    At the call's rate the sound server converts (PulseAudio does it in its own process,
    with its SIMD resampler) and the bridge only has to follow clock drift.
    """
    preferred = device.preferredFormat()
    fmt = QAudioFormat()
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    fmt.setChannelCount(1)
    if rate:
        fmt.setSampleRate(rate)
        if device.isFormatSupported(fmt):
            return fmt
    fmt.setSampleRate(preferred.sampleRate() or 48000)
    if device.isFormatSupported(fmt):
        return fmt
    fmt.setChannelCount(max(1, preferred.channelCount()))
    if device.isFormatSupported(fmt):
        return fmt
    return preferred


def period_frames(rate: int, ms: int) -> int:
    """The smallest power of two frames lasting at least ``ms`` (what Qt accepts)."""
    want = max(1, rate * ms // 1000)
    return 1 << (want - 1).bit_length()


_DTYPES: dict[Any, tuple[np.dtype[Any], float, float]] = {
    QAudioFormat.SampleFormat.Int16: (np.dtype("<i2"), 32768.0, 0.0),
    QAudioFormat.SampleFormat.Int32: (np.dtype("<i4"), 2147483648.0, 0.0),
    QAudioFormat.SampleFormat.Float: (np.dtype("<f4"), 1.0, 0.0),
    QAudioFormat.SampleFormat.UInt8: (np.dtype("u1"), 128.0, 128.0),
}


class SampleCodec:
    """Device bytes <-> float32 mono for one format, its parameters looked up once."""

    def __init__(self, fmt: QAudioFormat) -> None:
        self.dtype, self.scale, self.offset = _DTYPES[fmt.sampleFormat()]
        self.channels = max(1, fmt.channelCount())
        self.frame_bytes = self.dtype.itemsize * self.channels
        self.is_pcm16_mono = self.dtype == np.dtype("<i2") and self.channels == 1
        """The bridge's own sample format: bytes are the ring's samples as they are."""
        if self.dtype.kind == "f":
            self._lo, self._hi = -1.0, 1.0
        else:
            info = np.iinfo(self.dtype)
            self._lo, self._hi = float(info.min), float(info.max)

    def decode_pcm(self, data: bytes | bytearray | memoryview) -> np.ndarray:
        """Device bytes -> float32 mono on the int16 scale (what the bridge works in).

        16-bit mono, what the bridge asks for, is one conversion and nothing else.
        """
        if self.dtype.itemsize == 2 and self.channels == 1:
            return np.frombuffer(data, self.dtype, len(data) // 2).astype(np.float32)
        x = self.decode(data)
        x *= 32768.0
        return x

    def encode_pcm(self, samples: np.ndarray) -> bytes:
        """float32 mono on the int16 scale -> device bytes (clipped, not wrapped)."""
        if self.dtype.itemsize == 2 and self.channels == 1:
            y = np.clip(samples, -32768.0, 32767.0, out=samples).astype(self.dtype)
            data: bytes = y.tobytes()
            return data
        return self.encode(samples * (1.0 / 32768.0))

    def decode(self, data: bytes | bytearray | memoryview) -> np.ndarray:
        usable = len(data) // self.frame_bytes * self.frame_bytes
        x = np.frombuffer(data, self.dtype, usable // self.dtype.itemsize).astype(np.float32)
        if self.offset:
            x -= self.offset
        x *= 1.0 / self.scale
        if self.channels > 1:
            x = x.reshape(-1, self.channels).mean(axis=1)
        return np.asarray(x, np.float32)

    def encode(self, samples: np.ndarray) -> bytes:
        if self.dtype.kind == "f":
            y = np.clip(samples, -1.0, 1.0).astype(self.dtype)
        else:
            scaled = samples * self.scale
            if self.offset:
                scaled += self.offset
            np.rint(scaled, out=scaled)
            y = np.clip(scaled, self._lo, self._hi).astype(self.dtype)
        if self.channels > 1:
            y = np.repeat(y, self.channels)
        data: bytes = y.tobytes()
        return data


def decode(data: bytes, fmt: QAudioFormat) -> np.ndarray:
    """Device bytes -> float32 mono."""
    return SampleCodec(fmt).decode(data)


def encode(samples: np.ndarray, fmt: QAudioFormat) -> bytes:
    """float32 mono -> device bytes."""
    return SampleCodec(fmt).encode(samples)


# -- streams ----------------------------------------------------------------------------
class _DriftResampling:
    """The resampling side of a drift-controlled stream: a follower at equal rates."""

    resampler: Resampler
    follower: DriftFollower | None

    @property
    def delay_s(self) -> float:
        """Average delay the resampling adds."""
        if self.follower is not None:
            return self.follower.delay_s
        return self.resampler.delay_s

    @property
    def resampled_share(self) -> float:
        """Share of blocks resampled so far (1.0 when the rates differ)."""
        return self.follower.resampled_share if self.follower is not None else 1.0


class _Capture(_DriftResampling):
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


class RingReader(_DriftResampling):
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


class _Playback(abc.ABC):
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


class _CallPlayback(_Playback):
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


class _TonePlayback(_Playback):
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


# -- the worker on the audio thread -----------------------------------------------------
@dataclass(eq=False)
class Route:
    """Where the capture goes and where playback comes from."""

    mic_ring: SampleRing
    speaker_ring: SampleRing
    rate: int
    mic_target: int
    speaker_target: int


class AudioWorker(QObject):
    """Lives on the ``pulse-audio`` thread; only its own slots touch its streams."""

    device_event = Signal(object)

    def __init__(self, preferences: dict[Role, str], promoter: Promoter | None = None) -> None:
        super().__init__()
        self.preferences: dict[Role, str] = dict(preferences)
        self._promoter = promoter
        self.route: Route | None = None
        self.capture: _Capture | None = None
        self.playback: _CallPlayback | None = None
        self.tone: _TonePlayback | None = None
        self.tone_kind: ToneKind | None = None
        self.input_meter = LevelMeter()
        self.output_meter = LevelMeter()
        self._media_devices: QMediaDevices | None = None
        self._recheck: QTimer | None = None
        self._closing: QTimer | None = None
        self._present: tuple[set[str], set[str]] | None = None
        self.last_error = ""
        self._stopping = False

    # driven by the PacedThread ------------------------------------------------------------
    def boot(self) -> None:
        if self._promoter is not None:
            self._promoter.request_current("audio")
        self._media_devices = QMediaDevices(self)
        self._media_devices.audioInputsChanged.connect(self._devices_changed)
        self._media_devices.audioOutputsChanged.connect(self._devices_changed)
        self._recheck = QTimer(self)
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(250)
        self._recheck.timeout.connect(self._devices_changed)
        self._closing = QTimer(self)
        self._closing.setSingleShot(True)
        self._closing.setInterval(ROUTE_LINGER_MS)
        self._closing.timeout.connect(self.close_route)
        # QAudioSink/QAudioSource.stateChanged cannot reach a Python slot in PySide6 6.12
        # (QAudio::State is not convertible), so stream errors are polled.
        self._health = QTimer(self)
        self._health.setInterval(200)
        self._health.timeout.connect(self._check_health)
        self._health.start()
        self._presence = PulsePresence()
        self._present = self._presence.present()
        self._presence_timer = QTimer(self)
        self._presence_timer.setInterval(PRESENCE_POLL_MS)
        self._presence_timer.timeout.connect(self._poll_presence)
        self._presence_timer.start()

    def streaming(self) -> bool:
        return self.capture is not None or self.playback is not None or self.tone is not None

    def pump(self) -> None:
        """Move one tick's audio (every PUMP_MS while streaming): all streams in one pass,
        fewer wake-ups than a readyRead per Qt block plus a timer per sink."""
        if self.capture is not None:
            self.capture.pump()
        if self.playback is not None:
            self.playback.pump()
        if self.tone is not None:
            self.tone.pump()

    def stopping(self) -> bool:
        return self._stopping

    # slots (queued from other threads) --------------------------------------------------
    @Slot(object)
    def set_preferences(self, preferences: dict[Role, str]) -> None:
        self.preferences.update(preferences)
        self._devices_changed()

    @Slot(object)
    def open_route(self, route: Route) -> None:
        if route is self.route:
            # A hold/resume re-creates the call's conference port: the engine disconnects
            # and reconnects within milliseconds; keep the device streams running.
            if self._closing is not None:
                self._closing.stop()
            return
        self.close_route()
        route.mic_ring.clear()
        route.speaker_ring.clear()
        self.route = route
        self._open_capture(self._resolve("microphone"))
        self._open_playback(self._resolve("speaker"))

    @Slot()
    def close_route_soon(self) -> None:
        if self._closing is not None and self.route is not None:
            self._closing.start()

    @Slot()
    def close_route(self) -> None:
        if self._closing is not None:
            self._closing.stop()
        if self.capture is not None:
            self.capture.close()
            self.capture = None
        if self.playback is not None:
            self.playback.close()
            self.playback = None
        self.route = None
        self.input_meter.reset()
        self.output_meter.reset()

    @Slot(str)
    def play_tone(self, kind: str) -> None:
        self.stop_tone()
        tone = ToneKind(kind)
        role: Role = "ringer" if tone is ToneKind.RINGTONE else "speaker"
        device = self._resolve(role)
        if device.isNull():
            self._report("failed", role, device, self.preferences[role])
            return
        self.tone_kind = tone
        self.tone = _TonePlayback(
            device,
            kind=tone,
            queue_ms=TONE_QUEUE_MS,
            on_error=self._schedule_recheck,
            parent=self,
        )

    @Slot()
    def stop_tone(self) -> None:
        if self.tone is not None:
            self.tone.close()
            self.tone = None
        self.tone_kind = None

    @Slot()
    def shutdown(self) -> None:
        self.stop_tone()
        self.close_route()
        if self._recheck is not None:
            self._recheck.stop()
            self._health.stop()
            self._presence_timer.stop()
            self._presence.close()
        self._stopping = True

    # internals ---------------------------------------------------------------------------
    def _open_capture(self, device: QAudioDevice) -> None:
        route = self.route
        assert route is not None
        if device.isNull():
            self._report("failed", "microphone", device, self.preferences["microphone"])
            return
        self.capture = _Capture(
            device,
            ring=route.mic_ring,
            ring_rate=route.rate,
            target=route.mic_target,
            meter=self.input_meter,
            on_error=self._schedule_recheck,
            parent=self,
        )
        self._promote_qt_thread()

    def _open_playback(self, device: QAudioDevice) -> None:
        route = self.route
        assert route is not None
        if device.isNull():
            self._report("failed", "speaker", device, self.preferences["speaker"])
            return
        self.playback = _CallPlayback(
            device,
            ring=route.speaker_ring,
            ring_rate=route.rate,
            target=route.speaker_target,
            meter=self.output_meter,
            on_error=self._schedule_recheck,
            parent=self,
        )
        self._promote_qt_thread()

    def _promote_qt_thread(self) -> None:
        """Qt's PulseAudio thread exists once a stream is open; it answers the server's
        requests for playback data, which holds only ~12 ms (``priority.py``)."""
        if self._promoter is not None:
            self._promoter.request_named(QT_PULSE_THREAD, "Qt PulseAudio")

    def _resolve(self, role: Role) -> QAudioDevice:
        return resolve(role, self.preferences[role], self._present)

    @Slot()
    def _poll_presence(self) -> None:
        present = self._presence.present()
        if present is not None and present != self._present:
            self._present = present
            self._devices_changed()

    @Slot()
    def _check_health(self) -> None:
        streams = (self.capture, self.playback, self.tone)
        if any(stream is not None and stream.failed() for stream in streams):
            self._schedule_recheck()

    def _schedule_recheck(self) -> None:
        if self._recheck is not None and not self._recheck.isActive():
            self._recheck.start()

    def _report(self, kind: EventKind, role: Role, device: QAudioDevice, preferred: str) -> None:
        now_id = "" if device.isNull() else device_id(device)
        name = "" if device.isNull() else device.description()
        log.info("audio %s: %s now on device %r (preferred %r)", kind, role, now_id, preferred)
        self.device_event.emit(AudioEvent(kind, role, now_id, name, preferred))

    @Slot()
    def _devices_changed(self) -> None:
        if self.route is not None:
            if self.capture is None or self._needs_move("microphone", self.capture):
                self._move("microphone")
            if self.playback is None or self._needs_move("speaker", self.playback):
                self._move("speaker")
        if self.tone is not None and self.tone_kind is not None:
            role: Role = "ringer" if self.tone_kind is ToneKind.RINGTONE else "speaker"
            if self._needs_move(role, self.tone):
                self.play_tone(self.tone_kind.value)

    def _needs_move(self, role: Role, stream: _Capture | _Playback) -> bool:
        wanted = self._resolve(role)
        if wanted.isNull():
            return False
        return stream.failed() or device_id(wanted) != stream.device_id

    def _move(self, role: Role) -> None:
        preferred = self.preferences[role]
        wanted = self._resolve(role)
        if role == "microphone":
            if self.capture is not None:
                self.capture.close()
                self.capture = None
            self._open_capture(wanted)
        else:
            if self.playback is not None:
                self.playback.close()
                self.playback = None
            self._open_playback(wanted)
        if wanted.isNull():
            return
        if preferred and device_id(wanted) == preferred:
            self._report("restored", role, wanted, preferred)
        elif preferred:
            self._report("fallback", role, wanted, preferred)
        else:
            self._report("switched", role, wanted, preferred)


class _Requests(QObject):
    """Signals emitted from any thread, delivered queued on the audio thread."""

    set_preferences = Signal(object)
    open_route = Signal(object)
    close_route = Signal()
    close_route_soon = Signal()
    play_tone = Signal(str)
    stop_tone = Signal()
    shutdown = Signal()


class AudioDevices:
    """Thread-safe handle on the audio thread: open/close the call route, tones, prefs.

    ``on_event`` receives :class:`AudioEvent` values on the audio thread; it must be quick
    and thread-safe (the engine forwards them as its own events).
    """

    def __init__(
        self,
        preferences: dict[Role, str] | None = None,
        on_event: Callable[[AudioEvent], None] | None = None,
        promoter: Promoter | None = None,
    ) -> None:
        prefs: dict[Role, str] = {"microphone": "", "speaker": "", "ringer": ""}
        prefs.update(preferences or {})
        self.worker = AudioWorker(prefs, promoter)
        self._thread = PacedThread(
            self.worker, name="pulse-audio", period_s=PUMP_MS / 1000, events_every=EVENTS_EVERY
        )
        self.worker.moveToThread(self._thread)
        self._requests = _Requests()
        r, w = self._requests, self.worker
        r.set_preferences.connect(w.set_preferences)
        r.open_route.connect(w.open_route)
        r.close_route.connect(w.close_route)
        r.close_route_soon.connect(w.close_route_soon)
        r.play_tone.connect(w.play_tone)
        r.stop_tone.connect(w.stop_tone)
        r.shutdown.connect(w.shutdown)
        if on_event is not None:
            w.device_event.connect(on_event, Qt.ConnectionType.DirectConnection)
        self._thread.start()

    def nudge(self) -> None:
        """Have the audio thread pump now (any thread): see :meth:`PacedThread.nudge`."""
        self._thread.nudge()

    def set_preferences(self, **preferences: str) -> None:
        unknown = set(preferences) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown audio role(s): {', '.join(sorted(unknown))}")
        self._requests.set_preferences.emit(preferences)

    def open_route(self, route: Route) -> None:
        self._requests.open_route.emit(route)

    def close_route(self) -> None:
        self._requests.close_route.emit()

    def close_route_soon(self) -> None:
        """Close the streams unless a route is opened again within ROUTE_LINGER_MS."""
        self._requests.close_route_soon.emit()

    def play_tone(self, kind: ToneKind) -> None:
        self._requests.play_tone.emit(kind.value)

    def stop_tone(self) -> None:
        self._requests.stop_tone.emit()

    def close(self, timeout_ms: int = 5000) -> None:
        """Stop every stream and end the audio thread (waits for it)."""
        if self._thread.isRunning():
            self._requests.shutdown.emit()
            self._thread.wait(timeout_ms)
