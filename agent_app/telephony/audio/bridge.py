"""``QtCallAudio``: the engine's ``CallAudio`` over Qt Multimedia devices.

The engine calls these methods on its pjsua2 thread (so pjsua2 calls are allowed here and
nowhere else in the bridge):

- :meth:`start` creates the two rings, the :class:`~.port.BridgePort` and the audio
  thread (:class:`~.audio_thread.AudioDevices`);
- :meth:`connect_call` on every media change of a call connects the port both ways to
  the call's (possibly re-created) conference port, and opens the device streams when
  the first call arrives;
- :meth:`disconnect_call` undoes it and closes the streams after the last call;
- :meth:`set_muted` mutes at the source: the port sends silence and the microphone's
  conference link to every call is cut; both survive hold/resume because the engine
  calls ``set_muted`` again after each ``connect_call`` and the port's flag never resets;
- :meth:`stop` disconnects everything, takes the port out of the conference and waits
  until a clock tick has carried that out (giving back the media clock thread's pinned
  thread state on that thread first: :meth:`~.port.BridgePort.leave_conference`), ends
  the audio thread and destroys the port, so nothing of ours is alive at
  ``libDestroy()`` and no tick calls a freed port.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agent_app.telephony.audio.audio_thread import AudioDevices
from agent_app.telephony.audio.priority import Promoter
from agent_app.telephony.audio.ring import SampleRing
from agent_app.telephony.audio.routing import AudioEvent, Role, Route
from agent_app.telephony.audio.tones import ToneKind
from agent_app.telephony.call_audio import CONFERENCE_FRAME_MS

if TYPE_CHECKING:
    from agent_app.telephony.audio.port import PortTeardown

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BridgeTuning:
    """Ring levels in milliseconds, measured on PulseAudio (the figures:
    docs/decisions/0005-ring-buffers-and-level-control.md).

    Both are minimums: each grows by itself when the devices or pumps run late.
    """

    mic_target_ms: int = 20
    speaker_target_ms: int = 16
    capacity_ms: int = 500


@dataclass(frozen=True)
class BridgeStats:
    mic_underruns: int
    mic_overruns: int
    speaker_underruns: int
    speaker_overruns: int
    mic_fill_ms: float
    speaker_fill_ms: float
    mic_trims: int
    speaker_trims: int
    mic_speed: float
    speaker_speed: float
    frames_sent: int
    frames_received: int
    input_peak_db: float
    output_peak_db: float
    microphone: str
    speaker: str
    capture_block_ms: float
    playback_queued_ms: float
    mic_resampler_ms: float
    playback_frames: int
    playback_starvations: int
    playback_queue_target_ms: float
    speaker_resampler_ms: float
    playback_dropouts: int
    """Silences the speaker played (from its played-audio clock): what the agent heard."""
    mic_target_ms: float
    mic_resampled_share: float = 0.0
    """Share of capture blocks resampled (the rest passed through: same rate, clocks agreeing)."""
    speaker_resampled_share: float = 0.0
    mic_late_waits: int = 0
    """Frames the media clock waited for because the microphone ring was short."""
    mic_late_saved: int = 0
    """Of those, frames that were whole in time (each an underrun avoided)."""
    mic_late_wait_ms: float = 0.0
    """Time the media clock spent in those waits, in all."""
    realtime_threads: tuple[str, ...] = ()
    """Roles of the audio threads running at real-time priority (``priority.py``)."""

    @property
    def underruns(self) -> int:
        return self.mic_underruns + self.speaker_underruns + self.playback_dropouts

    @property
    def overruns(self) -> int:
        return self.mic_overruns + self.speaker_overruns


class QtCallAudio:
    """The desktop's audio bridge; see the module docstring for the threading contract."""

    def __init__(
        self,
        preferences: dict[Role, str] | None = None,
        on_event: Callable[[AudioEvent], None] | None = None,
        clock_rate: int = 16000,
        tuning: BridgeTuning | None = None,
        frame_ms: int = CONFERENCE_FRAME_MS,
    ) -> None:
        self._preferences = dict(preferences or {})
        self._on_event = on_event
        self.clock_rate = clock_rate
        self.tuning = tuning or BridgeTuning()
        frame = clock_rate * frame_ms // 1000
        ms = clock_rate // 1000
        t = self.tuning
        self.frame_samples = frame
        self.mic_ring = SampleRing(t.capacity_ms * ms, prime=t.mic_target_ms * ms)
        self.speaker_ring = SampleRing(t.capacity_ms * ms, prime=t.speaker_target_ms * ms)
        self.port: Any = None
        self.devices: AudioDevices | None = None
        self.promoter = Promoter()
        self._connected: list[Any] = []
        self._muted = False
        self.last_teardown: PortTeardown | None = None
        """How the port left the conference at the last :meth:`stop`."""
        ms = clock_rate // 1000
        self._route = Route(
            self.mic_ring,
            self.speaker_ring,
            clock_rate,
            self.tuning.mic_target_ms * ms,
            self.tuning.speaker_target_ms * ms,
        )

    # -- CallAudio ------------------------------------------------------------------------
    def start(self) -> None:
        import pjsua2 as pj

        from agent_app.telephony.audio.frame_access import FrameAccess
        from agent_app.telephony.audio.port import BridgePort

        # The media clock thread needs the GIL 100 times a second; with the default 5 ms
        # switch interval a busy Python thread delays it by up to 5 ms each time, which
        # the rings would have to absorb as extra latency.
        sys.setswitchinterval(0.001)
        access = FrameAccess(pj)
        if not access.direct:
            log.warning("ByteVector layout not recognised: using the slow frame copy")
        self.port = BridgePort(
            self.mic_ring, self.speaker_ring, self.clock_rate, self.frame_samples, access
        )
        self.port.create()
        self.port.on_clock_thread = lambda tid: self.promoter.request(tid, "media clock")
        self.devices = AudioDevices(self._preferences, self._on_event, promoter=self.promoter)
        self.port.nudge = self.devices.nudge
        _freeze_heap()

    def connect_call(self, media: Any) -> None:
        port = self.port
        if port is None:
            raise RuntimeError("the audio bridge is not started")
        # The conference port may have been re-created: drop links to any stale one
        # that compares equal (same slot) before linking again.
        self._forget(media)
        media.startTransmit(port)
        if not self._muted:
            port.startTransmit(media)
        first = not self._connected
        self._connected.append(media)
        port.in_call = True
        if first and self.devices is not None:
            self.devices.open_route(self._route)
            _freeze_heap()

    def disconnect_call(self, media: Any) -> None:
        port = self.port
        if port is None:
            return
        with contextlib.suppress(Exception):
            media.stopTransmit(port)
        with contextlib.suppress(Exception):
            port.stopTransmit(media)
        self._forget(media)
        port.in_call = bool(self._connected)
        if not self._connected and self.devices is not None:
            self.devices.close_route_soon()

    def set_muted(self, muted: bool) -> None:
        self._muted = muted
        port = self.port
        if port is None:
            return
        port.muted = muted
        for media in self._connected:
            with contextlib.suppress(Exception):
                if muted:
                    port.stopTransmit(media)
                else:
                    port.startTransmit(media)

    def stop(self) -> None:
        port = self.port
        try:
            if port is not None:
                for media in list(self._connected):
                    self.disconnect_call(media)
                # Out of the conference before the object goes: pjmedia removes a port
                # at its next tick, while dropping the object frees it at once.
                self.last_teardown = port.leave_conference()
        finally:
            self._connected.clear()
            if self.devices is not None:
                self.devices.close()
                self.devices = None
            self.promoter.close()
            self.port = None
            del port  # the last reference: the SWIG director releases the pjmedia port now

    # -- the rest of the desktop's audio controls -----------------------------------------
    @property
    def muted(self) -> bool:
        return self._muted

    def set_preferences(self, **preferences: str) -> None:
        for role, value in preferences.items():
            if role in ("microphone", "speaker", "ringer"):
                self._preferences[role] = value  # type: ignore[index]
        if self.devices is not None:
            self.devices.set_preferences(**preferences)

    def play_tone(self, kind: ToneKind | str) -> None:
        """Start a tone (replacing any other); only posts to the audio thread."""
        if self.devices is not None:
            self.devices.play_tone(ToneKind(kind))

    def stop_tone(self) -> None:
        if self.devices is not None:
            self.devices.stop_tone()

    def stats(self) -> BridgeStats:
        worker = self.devices.worker if self.devices is not None else None
        capture = worker.capture if worker is not None else None
        playback = worker.playback if worker is not None else None
        reader = getattr(playback, "provider", None)
        ms = self.clock_rate / 1000
        port = self.port
        return BridgeStats(
            mic_underruns=self.mic_ring.underruns,
            mic_overruns=self.mic_ring.overruns,
            speaker_underruns=self.speaker_ring.underruns,
            speaker_overruns=self.speaker_ring.overruns,
            mic_fill_ms=self.mic_ring.fill / ms,
            speaker_fill_ms=self.speaker_ring.fill / ms,
            mic_trims=capture.drift.trims if capture is not None else 0,
            speaker_trims=reader.drift.trims if reader is not None else 0,
            mic_speed=capture.drift.speed if capture is not None else 1.0,
            speaker_speed=reader.drift.speed if reader is not None else 1.0,
            frames_sent=port.frames_sent if port is not None else 0,
            frames_received=port.frames_received if port is not None else 0,
            input_peak_db=worker.input_meter.peak_db if worker is not None else -90.0,
            output_peak_db=worker.output_meter.peak_db if worker is not None else -90.0,
            microphone=capture.device_id if capture is not None else "",
            speaker=playback.device_id if playback is not None else "",
            capture_block_ms=capture.block_ms if capture is not None else 0.0,
            playback_queued_ms=playback.buffered_s() * 1000 if playback is not None else 0.0,
            playback_frames=playback.frames_written if playback is not None else 0,
            playback_starvations=playback.starvations if playback is not None else 0,
            playback_queue_target_ms=playback.queue_ms if playback is not None else 0.0,
            mic_resampler_ms=1000 * capture.delay_s if capture is not None else 0.0,
            speaker_resampler_ms=1000 * reader.delay_s if reader is not None else 0.0,
            playback_dropouts=playback.dropouts if playback is not None else 0,
            mic_target_ms=capture.drift.target / ms if capture is not None else 0.0,
            mic_resampled_share=capture.resampled_share if capture is not None else 0.0,
            speaker_resampled_share=reader.resampled_share if reader is not None else 0.0,
            mic_late_waits=port.late_waits if port is not None else 0,
            mic_late_saved=port.late_saved if port is not None else 0,
            mic_late_wait_ms=port.late_wait_s * 1000 if port is not None else 0.0,
            realtime_threads=tuple(sorted(self.promoter.granted.values())),
        )

    # -- internals ------------------------------------------------------------------------
    def _forget(self, media: Any) -> None:
        slot = _slot(media)
        self._connected = [m for m in self._connected if m is not media and _slot(m) != slot]


def _freeze_heap() -> None:
    """Take every object alive now out of the cyclic collector's reach.

    A full collection walks all of the engine's objects (~40,000: Qt, numpy, pjsua2)
    holding the GIL for 20-65 ms (measured), which stops the media clock and the audio
    thread together: a dropout both ways, a few times a minute. What exists when the
    bridge starts or a call connects lives as long as the engine or the call, and
    reference counting still frees it; later collections only walk what came after.
    """
    gc.freeze()


def _slot(media: Any) -> int:
    try:
        return int(media.getPortId())
    except Exception:  # a media whose call is gone
        return -1
