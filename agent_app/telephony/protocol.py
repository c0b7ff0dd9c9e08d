"""Typed commands and events of the telephony engine, and their JSON-lines form.

Everything that crosses the engine boundary is one of the frozen dataclasses below:
the desktop process sends *commands* to the engine process and receives *events*.
On the wire each message is one JSON object on one line::

    {"v": 1, "kind": "command", "type": "dial", "call_id": "c1", ...}

``encode`` / ``decode`` convert both ways; a malformed line raises
:class:`ProtocolError` naming what is wrong (never the offending value, which may
hold a phone number). The same classes are the in-process API of
:class:`agent_app.telephony.engine.core.Engine`, so pulse-phone and the engine server share
one vocabulary.
"""

from __future__ import annotations

import dataclasses
import json
import time
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Union, get_args, get_origin, get_type_hints

VERSION = 1

Transport = Literal["udp", "tcp", "tls"]
SrtpMode = Literal["off", "optional", "mandatory"]


class ProtocolError(ValueError):
    """A line that is not a valid message of this protocol version."""


def _now() -> float:
    return time.monotonic()


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class EngineConfig:
    """What the engine needs before any account exists (transports, media, security)."""

    transports: tuple[Transport, ...] = ("udp",)
    bind_address: str = "0.0.0.0"  # noqa: S104 - a softphone listens on the LAN
    local_port: int = 0
    """SIP port for UDP and TCP; 0 lets the system choose."""
    tls_port: int = 0
    """SIP port for TLS; 0 lets the system choose."""
    tls_ca_file: str = ""
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_verify_server: bool = True
    tls_pin_sha256: str = ""
    """Hex SHA-256 of the server certificate (DER); a TLS peer with another one is dropped."""
    srtp: SrtpMode = "optional"
    codecs: tuple[str, ...] = ("G722/16000", "PCMA/8000", "PCMU/8000")
    stun_server: str = ""
    ice: bool = False
    keepalive_s: int = 15
    media_timeout_s: float = 0.0
    """Hang up a call whose RTP stopped arriving for this long (0 = never)."""
    stats_interval_s: float = 0.0
    """Emit :class:`MediaStats` for each active call this often (0 = never)."""
    session_timer_s: int = 0
    """SIP session timer (RFC 4028) expiry; 0 keeps the library default."""
    user_agent: str = "Pulse"
    log_level: int = 0
    audio: str = "null"
    """Audio bridge: "null" (pjsua2's null device) or a name registered with
    :func:`agent_app.telephony.call_audio.register_audio_bridge`."""


@dataclass(frozen=True)
class AccountSpec:
    """One SIP account; ``register=False`` gives a local account for direct calls."""

    account_id: str
    username: str
    domain: str
    registrar: str = ""
    transport: Transport = "udp"
    password: str = field(default="", repr=False)
    auth_username: str = ""
    display_name: str = ""
    outbound_proxy: str = ""
    fallback_registrar: str = ""
    register: bool = True
    expiry_s: int = 300
    retry_first_s: int = 2
    retry_s: int = 30


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command:
    type: ClassVar[str] = ""


@dataclass(frozen=True)
class StartEngine(Command):
    type: ClassVar[str] = "start_engine"
    config: EngineConfig = EngineConfig()


@dataclass(frozen=True)
class AddAccount(Command):
    type: ClassVar[str] = "add_account"
    account: AccountSpec


@dataclass(frozen=True)
class RemoveAccount(Command):
    type: ClassVar[str] = "remove_account"
    account_id: str


@dataclass(frozen=True)
class Dial(Command):
    type: ClassVar[str] = "dial"
    call_id: str
    account_id: str
    target: str


@dataclass(frozen=True)
class Answer(Command):
    type: ClassVar[str] = "answer"
    call_id: str


@dataclass(frozen=True)
class Decline(Command):
    type: ClassVar[str] = "decline"
    call_id: str
    code: Literal[486, 603] = 486


@dataclass(frozen=True)
class Hangup(Command):
    type: ClassVar[str] = "hangup"
    call_id: str


@dataclass(frozen=True)
class Hold(Command):
    type: ClassVar[str] = "hold"
    call_id: str


@dataclass(frozen=True)
class Resume(Command):
    type: ClassVar[str] = "resume"
    call_id: str


@dataclass(frozen=True)
class Mute(Command):
    type: ClassVar[str] = "mute"
    call_id: str
    muted: bool


@dataclass(frozen=True)
class SendDtmf(Command):
    type: ClassVar[str] = "send_dtmf"
    call_id: str
    digits: str
    method: Literal["rfc2833", "info"] = "rfc2833"


@dataclass(frozen=True)
class BlindTransfer(Command):
    type: ClassVar[str] = "blind_transfer"
    call_id: str
    target: str


@dataclass(frozen=True)
class AttendedTransfer(Command):
    type: ClassVar[str] = "attended_transfer"
    call_id: str
    consult_call_id: str


@dataclass(frozen=True)
class Conference(Command):
    type: ClassVar[str] = "conference"
    call_ids: tuple[str, ...]


@dataclass(frozen=True)
class PlayFile(Command):
    """Send a WAV file into a call (a test tone, a prompt); it loops until the call ends."""

    type: ClassVar[str] = "play_file"
    call_id: str
    path: str


@dataclass(frozen=True)
class RecordFile(Command):
    type: ClassVar[str] = "record_file"
    call_id: str
    path: str


@dataclass(frozen=True)
class HandleIpChange(Command):
    type: ClassVar[str] = "handle_ip_change"


@dataclass(frozen=True)
class Ping(Command):
    type: ClassVar[str] = "ping"
    seq: int = 0


@dataclass(frozen=True)
class QueryState(Command):
    """Ask for an :class:`EngineState` snapshot (after a reconnect, or to check consistency)."""

    type: ClassVar[str] = "query_state"


@dataclass(frozen=True)
class Shutdown(Command):
    type: ClassVar[str] = "shutdown"


# ---------------------------------------------------------------- events


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


# ---------------------------------------------------------------- encoding

COMMANDS: dict[str, type[Command]] = {
    cls.type: cls
    for cls in (
        StartEngine,
        AddAccount,
        RemoveAccount,
        Dial,
        Answer,
        Decline,
        Hangup,
        Hold,
        Resume,
        Mute,
        SendDtmf,
        BlindTransfer,
        AttendedTransfer,
        Conference,
        PlayFile,
        RecordFile,
        HandleIpChange,
        Ping,
        QueryState,
        Shutdown,
    )
}

EVENTS: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        EngineReady,
        EngineStopped,
        EngineRestarted,
        CommandFailed,
        RegistrationChanged,
        IncomingCall,
        CallStateChanged,
        MediaChanged,
        CallEnded,
        CallReplaced,
        TransferRequested,
        DtmfReceived,
        TransferProgress,
        SecureMediaRefused,
        TransportProblem,
        MediaStats,
        EngineState,
        AudioDeviceChanged,
        Pong,
    )
}

Message = Command | Event


def to_dict(message: Message) -> dict[str, Any]:
    """The JSON-ready form of a message (passwords included: the socket is local)."""
    kind = "command" if isinstance(message, Command) else "event"
    body: dict[str, Any] = {"v": VERSION, "kind": kind, "type": message.type}
    for f in dataclasses.fields(message):
        body[f.name] = _plain(getattr(message, f.name))
    return body


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def encode(message: Message) -> bytes:
    """One line of UTF-8 JSON, newline included."""
    return json.dumps(to_dict(message), separators=(",", ":")).encode() + b"\n"


def decode(line: bytes | str) -> Message:
    """Parse one line; raises :class:`ProtocolError` on anything malformed."""
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON: {exc.__class__.__name__} at position {_pos(exc)}") from None
    return from_dict(data)


def _pos(exc: Exception) -> int:
    return int(getattr(exc, "pos", getattr(exc, "start", -1)))


def from_dict(data: Any) -> Message:
    if not isinstance(data, dict):
        raise ProtocolError("a message must be a JSON object")
    version = data.get("v")
    if version != VERSION:
        raise ProtocolError(
            f"unsupported protocol version {version!r} (this side speaks {VERSION})"
        )
    kind = data.get("kind")
    registry: dict[str, type[Any]]
    if kind == "command":
        registry = COMMANDS
    elif kind == "event":
        registry = EVENTS
    else:
        raise ProtocolError("'kind' must be 'command' or 'event'")
    name = data.get("type")
    if not isinstance(name, str) or name not in registry:
        raise ProtocolError(f"unknown {kind} type {name!r}")
    body = {k: v for k, v in data.items() if k not in ("v", "kind", "type")}
    result: Message = _build(registry[name], body, name)
    return result


def _build(cls: type[Any], body: Any, where: str) -> Any:
    if not isinstance(body, dict):
        raise ProtocolError(f"{where}: expected an object")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise ProtocolError(f"{where}: unknown field(s) {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for fname, f in fields.items():
        if fname not in body:
            has_default = (
                f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            )
            if not has_default:
                raise ProtocolError(f"{where}: missing field '{fname}'")
            continue
        kwargs[fname] = _coerce(hints[fname], body[fname], f"{where}.{fname}")
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, where: str) -> Any:  # noqa: PLR0911, PLR0912
    origin = get_origin(hint)
    if origin is Literal:
        if value not in get_args(hint) or isinstance(value, bool) != any(
            isinstance(a, bool) for a in get_args(hint)
        ):
            allowed = ", ".join(repr(a) for a in get_args(hint))
            raise ProtocolError(f"{where}: not one of {allowed}")
        return value
    if origin in (Union, types.UnionType):
        for option in get_args(hint):
            try:
                return _coerce(option, value, where)
            except ProtocolError:
                continue
        raise ProtocolError(f"{where}: wrong type")
    if origin is tuple:
        if not isinstance(value, list):
            raise ProtocolError(f"{where}: expected a list")
        (item,) = get_args(hint)[:1]
        return tuple(_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if hint is type(None):
        if value is not None:
            raise ProtocolError(f"{where}: expected null")
        return None
    if hint is bool:
        if not isinstance(value, bool):
            raise ProtocolError(f"{where}: expected true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtocolError(f"{where}: expected an integer")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProtocolError(f"{where}: expected a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ProtocolError(f"{where}: expected a string")
        return value
    if dataclasses.is_dataclass(hint):
        return _build(typing.cast(type[Any], hint), value, where)
    raise ProtocolError(f"{where}: unsupported type")  # pragma: no cover - a bug in this module
