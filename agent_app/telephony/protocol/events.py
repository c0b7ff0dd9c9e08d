"""The events the engine reports, one frozen dataclass each, stamped with a monotonic time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import ClassVar, Literal


def _now() -> float:
    return time.monotonic()


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = ""


@dataclass(frozen=True)
class EngineReady(Event):
    type: ClassVar[str] = "engine_ready"
    pjsip_version: str
    ports: tuple[str, ...] = ()
    """``transport:port`` of each listening transport."""
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class EngineStopped(Event):
    type: ClassVar[str] = "engine_stopped"
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class EngineRestarted(Event):
    """The engine process died and was started again; every call it held is gone."""

    type: ClassVar[str] = "engine_restarted"
    reason: str
    exit_code: int
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class CommandFailed(Event):
    type: ClassVar[str] = "command_failed"
    command: str
    message: str
    call_id: str = ""
    at: float = field(default_factory=_now)


RegState = Literal["registering", "registered", "failed", "unregistered"]


@dataclass(frozen=True)
class RegistrationChanged(Event):
    type: ClassVar[str] = "registration_changed"
    account_id: str
    state: RegState
    code: int = 0
    reason: str = ""
    registrar: str = ""
    expires_s: int = 0
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class IncomingCall(Event):
    type: ClassVar[str] = "incoming_call"
    call_id: str
    account_id: str
    number: str
    display_name: str
    remote_uri: str
    waiting: bool = False
    """Another call is already in progress: offer this one as call waiting."""
    at: float = field(default_factory=_now)


CallStateName = Literal["calling", "ringing", "early", "connecting", "confirmed", "disconnected"]


@dataclass(frozen=True)
class CallStateChanged(Event):
    type: ClassVar[str] = "call_state"
    call_id: str
    state: CallStateName
    code: int = 0
    reason: str = ""
    at: float = field(default_factory=_now)


MediaStateName = Literal["active", "local_hold", "remote_hold", "none", "error"]


@dataclass(frozen=True)
class MediaChanged(Event):
    type: ClassVar[str] = "media_changed"
    call_id: str
    state: MediaStateName
    codec: str = ""
    srtp: bool = False
    at: float = field(default_factory=_now)


EndedBy = Literal["local", "remote", "media_timeout", "error", "replaced", "transferred"]


@dataclass(frozen=True)
class CallEnded(Event):
    type: ClassVar[str] = "call_ended"
    call_id: str
    code: int
    reason: str
    ended_by: EndedBy
    duration_s: float = 0.0
    """Connected time (0 for a call never answered)."""
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class CallReplaced(Event):
    """An attended transfer replaced this call by a new one from another party."""

    type: ClassVar[str] = "call_replaced"
    call_id: str
    new_call_id: str
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class TransferRequested(Event):
    """The peer of ``call_id`` asked us (REFER) to call ``target``; ``new_call_id`` is that call."""

    type: ClassVar[str] = "transfer_requested"
    call_id: str
    new_call_id: str
    target: str
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class DtmfReceived(Event):
    type: ClassVar[str] = "dtmf_received"
    call_id: str
    digit: str
    method: Literal["rfc2833", "info", "other"]
    duration_ms: int = 0
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class TransferProgress(Event):
    type: ClassVar[str] = "transfer_progress"
    call_id: str
    code: int
    reason: str
    final: bool
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class SecureMediaRefused(Event):
    """SRTP is mandatory and the peer offered or accepted only plain RTP."""

    type: ClassVar[str] = "secure_media_refused"
    direction: Literal["incoming", "outgoing"]
    code: int
    reason: str
    call_id: str = ""
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class TransportProblem(Event):
    type: ClassVar[str] = "transport_problem"
    message: str
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class MediaStats(Event):
    type: ClassVar[str] = "media_stats"
    call_id: str
    rx_packets: int
    tx_packets: int
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class EngineState(Event):
    type: ClassVar[str] = "engine_state"
    calls: tuple[str, ...]
    """Ids of the calls the engine holds (not yet disconnected)."""
    accounts: tuple[str, ...]
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class AudioDeviceChanged(Event):
    """The audio bridge moved a stream: headset unplugged (``fallback`` to the OS
    default), plugged back (``restored``), default changed (``switched``), or no device
    could be opened (``failed``): ``change`` says which. The call itself carries on."""

    type: ClassVar[str] = "audio_device_changed"
    change: str
    role: str
    device_id: str
    device_name: str
    preferred_id: str
    at: float = field(default_factory=_now)


@dataclass(frozen=True)
class Pong(Event):
    type: ClassVar[str] = "pong"
    seq: int
    at: float = field(default_factory=_now)
