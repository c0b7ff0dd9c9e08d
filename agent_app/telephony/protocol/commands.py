"""The commands the desktop sends to the engine, one frozen dataclass each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from agent_app.telephony.protocol.config import AccountSpec, EngineConfig


@dataclass(frozen=True)
class Command:
    type: ClassVar[str] = ""


@dataclass(frozen=True)
class StartEngine(Command):
    type: ClassVar[str] = "start_engine"
    config: EngineConfig = EngineConfig()  # noqa: RUF009 - frozen: one shared default is safe


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
class DropMessage(Command):
    """Leave a recorded message (a voicemail drop): the agent's audio leaves the call, the
    WAV is played into it once, and the engine hangs up when it has played."""

    type: ClassVar[str] = "drop_message"
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
