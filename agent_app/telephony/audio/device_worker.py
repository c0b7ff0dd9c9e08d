"""The :class:`AudioWorker` on the ``pulse-audio`` thread: opens and pumps the call's streams
and tones, and moves them when a device goes or comes back (the call carries on)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtMultimedia import QAudioDevice, QMediaDevices

from agent_app.telephony.audio.capture import Capture
from agent_app.telephony.audio.devices import device_id
from agent_app.telephony.audio.meters import LevelMeter
from agent_app.telephony.audio.playback import CallPlayback, Playback, TonePlayback
from agent_app.telephony.audio.priority import QT_PULSE_THREAD, Promoter
from agent_app.telephony.audio.pulse_presence import PulsePresence
from agent_app.telephony.audio.routing import AudioEvent, EventKind, Role, Route, resolve
from agent_app.telephony.audio.tones import ToneKind

log = logging.getLogger(__name__)

TONE_QUEUE_MS = 40
PRESENCE_POLL_MS = 1000
ROUTE_LINGER_MS = 1500
"""Streams outlive the last call this long, so hold/resume does not reopen devices."""


class AudioWorker(QObject):
    """Lives on the ``pulse-audio`` thread; only its own slots touch its streams."""

    device_event = Signal(object)

    def __init__(self, preferences: dict[Role, str], promoter: Promoter | None = None) -> None:
        super().__init__()
        self.preferences: dict[Role, str] = dict(preferences)
        self._promoter = promoter
        self.route: Route | None = None
        self.capture: Capture | None = None
        self.playback: CallPlayback | None = None
        self.tone: TonePlayback | None = None
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
        self.tone = TonePlayback(
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
        self.capture = Capture(
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
        self.playback = CallPlayback(
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

    def _needs_move(self, role: Role, stream: Capture | Playback) -> bool:
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
