"""The ``pulse-audio`` thread, where every Qt Multimedia object lives, and :class:`AudioDevices`,
the thread-safe handle through which other threads drive it (queued signals only)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal

from agent_app.telephony.audio.device_worker import AudioWorker
from agent_app.telephony.audio.paced_thread import PacedThread
from agent_app.telephony.audio.priority import Promoter
from agent_app.telephony.audio.routing import ROLES, AudioEvent, Role, Route
from agent_app.telephony.audio.stream_timing import PUMP_MS
from agent_app.telephony.audio.tones import ToneKind

EVENTS_EVERY = 5
"""While streams are open the audio thread handles Qt's events before every fifth pump only:
requests then wait up to 50 ms, and the streams' data moves without them (measured)."""


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
