"""What the engine keeps per call and per account, next to the pjsua2 object it owns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent_app.telephony import protocol as p
from agent_app.telephony.engine.pj_subclasses import EngineAccount, EngineCall


@dataclass
class CallRecord:
    call: EngineCall
    account_id: str
    direction: str  # "incoming" / "outgoing"
    muted: bool = False
    hangup_requested: bool = False
    ended_by: p.EndedBy | None = None
    end_reason: str = ""
    media: Any = None  # the current pj.AudioMedia, or None
    media_state: p.MediaStateName = "none"
    players: list[Any] = field(default_factory=list)
    recorders: list[Any] = field(default_factory=list)
    bridged: bool = False
    last_rx: int = -1
    last_rx_change: float = 0.0
    connected_at: float = 0.0
    message_ends_at: float | None = None
    """A voicemail drop is playing: the engine hangs up at this monotonic time."""

    def media_state_hold(self) -> bool:
        return self.media_state in ("local_hold", "remote_hold")


@dataclass
class AccountRecord:
    account: EngineAccount
    spec: p.AccountSpec
    on_fallback: bool = False
    failures: int = 0
    last_state: str = ""
