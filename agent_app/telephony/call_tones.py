"""Which call-progress tone should sound now, decided from call events (pure Python).

The engine feeds every call event to one :class:`ToneDecider` and asks :meth:`wanted`
which tone the audio bridge should play; it starts or stops the bridge's tone only when
the answer changes. The rules:

- an incoming call that is not call waiting rings (``"ringtone"``, on the ringer device)
  until it is answered, declined or ends. A *waiting* call (another call is up) plays
  nothing: the agent is talking on the headset and the desktop shows the waiting call;
  a ringer going off next to them mid-conversation would only disturb the call;
- an outgoing call plays ``"ringback"`` (on the headset) from 180 Ringing, or 183
  Session Progress, until it is connected or ends; whenever the peer's early media is
  active the agent hears the peer's own progress audio instead, so the ringback stops;
- an outgoing call that ends with 486 Busy Here or 600 Busy Everywhere plays ``"busy"``
  for :data:`BUSY_SECONDS`.

When several calls want a tone the most recent one wins; a call's tone always wins over
the busy tone of a call that already ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ToneName = Literal["ringtone", "ringback", "busy"]
Direction = Literal["incoming", "outgoing"]

BUSY_SECONDS = 2.0
BUSY_CODES = (486, 600)
_PROGRESS_CODES = (180, 183)
_SETTLED_STATES = ("connecting", "confirmed", "disconnected")


@dataclass
class _CallTone:
    direction: Direction
    tone: ToneName | None = None
    early_media: bool = False


class ToneDecider:
    """Tracks calls by id; not thread-safe (the engine uses it on its pjsua2 thread)."""

    def __init__(self, busy_seconds: float = BUSY_SECONDS) -> None:
        self._busy_seconds = busy_seconds
        self._calls: dict[str, _CallTone] = {}
        self._busy_until = 0.0

    def incoming(self, call_id: str, waiting: bool) -> None:
        """A new inbound call rings (or waits, when another call is up)."""
        self._calls[call_id] = _CallTone("incoming", None if waiting else "ringtone")

    def outgoing(self, call_id: str) -> None:
        """A new outbound call was placed (no tone until the peer reports progress)."""
        self._calls[call_id] = _CallTone("outgoing")

    def call_state(self, call_id: str, state: str, code: int, now: float) -> None:
        """The call's invite state (engine names: calling, early, confirmed ...) changed."""
        call = self._calls.get(call_id)
        if call is None:
            return
        if state == "disconnected":
            del self._calls[call_id]
            if call.direction == "outgoing" and code in BUSY_CODES:
                self._busy_until = now + self._busy_seconds
            return
        if state in _SETTLED_STATES:
            call.tone = None
        elif state == "early" and call.direction == "outgoing" and code in _PROGRESS_CODES:
            call.tone = None if call.early_media else "ringback"

    def media(self, call_id: str, active: bool) -> None:
        """The call's audio media became active (or went away)."""
        call = self._calls.get(call_id)
        if call is None:
            return
        call.early_media = active
        if active and call.tone == "ringback":
            call.tone = None

    def settled(self, call_id: str) -> None:
        """The agent answered or declined: stop this call's tone without waiting for SIP."""
        call = self._calls.get(call_id)
        if call is not None:
            call.tone = None

    def forget(self, call_id: str) -> None:
        self._calls.pop(call_id, None)

    def wanted(self, now: float) -> ToneName | None:
        """The tone that should sound at ``now`` (None: silence)."""
        for call in reversed(self._calls.values()):
            if call.tone is not None:
                return call.tone
        if now < self._busy_until:
            return "busy"
        return None

    def clear(self) -> None:
        self._calls.clear()
        self._busy_until = 0.0
