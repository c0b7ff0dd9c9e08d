"""Typed commands and events of the telephony engine, and their JSON-lines form.

Everything that crosses the engine boundary is a frozen dataclass: the desktop process
sends *commands* (:mod:`.commands`, with the settings of :mod:`.config`) to the engine
process and receives *events* (:mod:`.events`). On the wire each message is one JSON
object on one line (:mod:`.codec`)::

    {"v": 1, "kind": "command", "type": "dial", "call_id": "c1", ...}

``encode`` / ``decode`` convert both ways; a malformed line raises
:class:`ProtocolError` naming what is wrong (never the offending value, which may
hold a phone number). The same classes are the in-process API of
:class:`agent_app.telephony.engine.core.Engine`, so pulse-phone and the engine server share
one vocabulary. This package re-exports all of it: ``protocol as p`` and ``p.Dial`` are
how the rest of the code names a message.
"""

from __future__ import annotations

from agent_app.telephony.protocol.codec import (
    COMMANDS,
    EVENTS,
    VERSION,
    Message,
    ProtocolError,
    decode,
    encode,
    from_dict,
    to_dict,
)
from agent_app.telephony.protocol.commands import (
    AddAccount,
    Answer,
    AttendedTransfer,
    BlindTransfer,
    Command,
    Conference,
    Decline,
    Dial,
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
from agent_app.telephony.protocol.config import (
    AccountSpec,
    AudioDevices,
    EngineConfig,
    SrtpMode,
    Transport,
)
from agent_app.telephony.protocol.events import (
    AudioDeviceChanged,
    CallEnded,
    CallReplaced,
    CallStateChanged,
    CallStateName,
    CommandFailed,
    DtmfReceived,
    EndedBy,
    EngineReady,
    EngineRestarted,
    EngineState,
    EngineStopped,
    Event,
    IncomingCall,
    MediaChanged,
    MediaStateName,
    MediaStats,
    Pong,
    RegistrationChanged,
    RegState,
    SecureMediaRefused,
    TransferProgress,
    TransferRequested,
    TransportProblem,
)

__all__ = [
    "COMMANDS",
    "EVENTS",
    "VERSION",
    "AccountSpec",
    "AddAccount",
    "Answer",
    "AttendedTransfer",
    "AudioDeviceChanged",
    "AudioDevices",
    "BlindTransfer",
    "CallEnded",
    "CallReplaced",
    "CallStateChanged",
    "CallStateName",
    "Command",
    "CommandFailed",
    "Conference",
    "Decline",
    "Dial",
    "DtmfReceived",
    "EndedBy",
    "EngineConfig",
    "EngineReady",
    "EngineRestarted",
    "EngineState",
    "EngineStopped",
    "Event",
    "HandleIpChange",
    "Hangup",
    "Hold",
    "IncomingCall",
    "MediaChanged",
    "MediaStateName",
    "MediaStats",
    "Message",
    "Mute",
    "Ping",
    "PlayFile",
    "Pong",
    "ProtocolError",
    "QueryState",
    "RecordFile",
    "RegState",
    "RegistrationChanged",
    "RemoveAccount",
    "Resume",
    "SecureMediaRefused",
    "SendDtmf",
    "Shutdown",
    "SrtpMode",
    "StartEngine",
    "TransferProgress",
    "TransferRequested",
    "Transport",
    "TransportProblem",
    "decode",
    "encode",
    "from_dict",
    "to_dict",
]
