"""The JSON-lines form of the messages: one object per line, strictly checked on the way in."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from agent_app.telephony.protocol.commands import (
    AddAccount,
    Answer,
    AttendedTransfer,
    BlindTransfer,
    Command,
    Conference,
    Decline,
    Dial,
    DropMessage,
    HandleIpChange,
    Hangup,
    Hold,
    Mute,
    Ping,
    PlayFile,
    QueryState,
    RecordFile,
    RemoveAccount,
    Resume,
    SendDtmf,
    Shutdown,
    StartEngine,
)
from agent_app.telephony.protocol.events import (
    AudioDeviceChanged,
    CallEnded,
    CallReplaced,
    CallStateChanged,
    CommandFailed,
    DtmfReceived,
    EngineReady,
    EngineRestarted,
    EngineState,
    EngineStopped,
    Event,
    IncomingCall,
    MediaChanged,
    MediaStats,
    Pong,
    RegistrationChanged,
    SecureMediaRefused,
    TransferProgress,
    TransferRequested,
    TransportProblem,
)

VERSION = 1


class ProtocolError(ValueError):
    """A line that is not a valid message of this protocol version."""


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
        DropMessage,
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
