"""The phone line as the status bar shows it: registration, security and whether audio flows.

:class:`LineMonitor` reads the engine's events (registration, media changes, the periodic
:class:`~agent_app.telephony.protocol.MediaStats` packet counters) and answers
:meth:`LineMonitor.status` for the call the agent is on. The rules kept here: a call's
audio is *stalled* in a direction once its packet counter has not moved for
``stall_after_s`` (a held call is on hold, not stalled); an account without a registrar
takes direct calls and counts as ready at once; a restarted engine registers again.
Plain Python, driven from one thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from agent_app.telephony import protocol as p


class PhoneState(StrEnum):
    NOT_CONFIGURED = "not_configured"
    """No SIP account is set up on this workstation (or its password is missing)."""
    STARTING = "starting"
    REGISTERING = "registering"
    REGISTERED = "registered"
    DIRECT = "direct"
    """An account without a registrar: the phone takes calls sent to its own address."""
    FAILED = "failed"
    """The registrar refused or did not answer; the engine keeps retrying."""
    UNREGISTERED = "unregistered"
    ENGINE_DOWN = "engine_down"
    """The engine process is not running (restarting, or given up)."""


READY_STATES = frozenset({PhoneState.REGISTERED, PhoneState.DIRECT})


class AudioQuality(StrEnum):
    NO_CALL = "no_call"
    STARTING = "starting"
    """The call's media is up and no packet count has come in yet."""
    GOOD = "good"
    NO_INCOMING = "no_incoming"
    """Nothing arrives from the far end."""
    NO_OUTGOING = "no_outgoing"
    """Nothing leaves for the far end."""
    STALLED = "stalled"
    """Nothing moves in either direction."""
    ON_HOLD = "on_hold"


@dataclass(frozen=True)
class LineStatus:
    phone: PhoneState
    detail: str = ""
    """Why (a registration failure's reason and code, the engine's exit); no patient data."""
    registrar: str = ""
    tls: bool = False
    """Signalling to the PBX is encrypted (TLS transport)."""
    srtp: bool | None = None
    """The current call's audio is encrypted (None: no call audio)."""
    codec: str = ""
    audio: AudioQuality = AudioQuality.NO_CALL
    silent_s: float = 0.0
    """For a stalled direction: how long nothing has moved."""

    @property
    def ready(self) -> bool:
        return self.phone in READY_STATES


@dataclass
class _Media:
    state: str = ""
    codec: str = ""
    srtp: bool = False
    rx: int = -1
    tx: int = -1
    rx_moved: float = 0.0
    tx_moved: float = 0.0
    sampled: bool = False


@dataclass
class LineMonitor:
    """See the module docstring. ``direct``: the account has no registrar."""

    tls: bool = False
    direct: bool = False
    stall_after_s: float = 2.5
    clock: Callable[[], float] = time.monotonic
    phone: PhoneState = PhoneState.STARTING
    detail: str = ""
    registrar: str = ""
    _media: dict[str, _Media] = field(default_factory=dict)

    def not_configured(self, reason: str) -> None:
        self.phone, self.detail = PhoneState.NOT_CONFIGURED, reason

    def starting(self) -> None:
        """The engine is being started (again, after a failed start)."""
        self.phone, self.detail = PhoneState.STARTING, ""

    def engine_down(self, reason: str) -> None:
        self.phone, self.detail = PhoneState.ENGINE_DOWN, reason
        self._media.clear()

    def handle(self, event: p.Event) -> bool:  # noqa: PLR0911 - one branch per event
        """Take one engine event; True when the status may have changed."""
        now = self.clock()
        if isinstance(event, p.RegistrationChanged):
            self.phone = PhoneState(event.state)
            self.registrar = event.registrar or self.registrar
            reason = f"{event.code} {event.reason}".strip() if event.code else event.reason
            self.detail = reason if event.state in ("failed", "unregistered") else ""
            return True
        if isinstance(event, p.EngineReady):
            if self.direct:
                self.phone, self.detail = PhoneState.DIRECT, ""
            return True
        if isinstance(event, p.EngineRestarted):
            self._media.clear()
            self.phone = PhoneState.DIRECT if self.direct else PhoneState.REGISTERING
            self.detail = event.reason
            return True
        if isinstance(event, p.EngineStopped):
            self.engine_down("the phone was stopped")
            return True
        if isinstance(event, p.CommandFailed) and event.command == "engine":
            self.engine_down(event.message)
            return True
        if isinstance(event, p.MediaChanged):
            media = self._media.setdefault(event.call_id, _Media())
            media.state, media.codec, media.srtp = event.state, event.codec, event.srtp
            # A re-INVITE builds new streams: their counters start again.
            media.rx = media.tx = -1
            media.rx_moved = media.tx_moved = now
            media.sampled = False
            return True
        if isinstance(event, p.MediaStats):
            media = self._media.setdefault(event.call_id, _Media(state="active"))
            if event.rx_packets != media.rx:
                media.rx, media.rx_moved = event.rx_packets, now
            if event.tx_packets != media.tx:
                media.tx, media.tx_moved = event.tx_packets, now
            media.sampled = True
            return True
        if isinstance(event, p.CallEnded):
            return self._media.pop(event.call_id, None) is not None
        if isinstance(event, p.TransportProblem | p.SecureMediaRefused):
            self.detail = event.message if isinstance(event, p.TransportProblem) else event.reason
            return True
        return False

    def status(self, call_id: str | None = None) -> LineStatus:
        """The line now, with the audio of ``call_id`` (the call the agent is on)."""
        base = LineStatus(self.phone, self.detail, self.registrar, self.tls)
        media = None if call_id is None else self._media.get(call_id)
        if call_id is None:
            return base
        if media is None or media.state in ("", "none"):
            return replace(base, audio=AudioQuality.STARTING)
        audio, silent = self._quality(media)
        return replace(
            base, srtp=media.srtp, codec=media.codec, audio=audio, silent_s=round(silent, 1)
        )

    def _quality(self, media: _Media) -> tuple[AudioQuality, float]:  # noqa: PLR0911
        if media.state in ("local_hold", "remote_hold"):
            return AudioQuality.ON_HOLD, 0.0
        if media.state == "error":
            return AudioQuality.STALLED, 0.0
        now = self.clock()
        rx_silent, tx_silent = now - media.rx_moved, now - media.tx_moved
        if not media.sampled and max(rx_silent, tx_silent) < self.stall_after_s:
            return AudioQuality.STARTING, 0.0
        no_rx, no_tx = rx_silent >= self.stall_after_s, tx_silent >= self.stall_after_s
        if no_rx and no_tx:
            return AudioQuality.STALLED, min(rx_silent, tx_silent)
        if no_rx:
            return AudioQuality.NO_INCOMING, rx_silent
        if no_tx:
            return AudioQuality.NO_OUTGOING, tx_silent
        return AudioQuality.GOOD, 0.0
