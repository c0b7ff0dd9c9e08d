"""What every part of the engine shares: its tables of accounts and calls, the event sink,
the tone in play; the parts are mixins on :class:`EngineBase`."""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from agent_app.telephony import protocol as p
from agent_app.telephony.call_audio import CallAudio, ToneAudio
from agent_app.telephony.call_tones import ToneDecider, ToneName
from agent_app.telephony.engine.errors import EngineError
from agent_app.telephony.engine.pj_subclasses import EngineEndpoint
from agent_app.telephony.engine.records import AccountRecord, CallRecord

log = logging.getLogger(__name__)

# The SIP codes with which a peer refuses an offer it cannot accept.
NOT_ACCEPTABLE = (488, 606)


class EngineBase:
    """The state the engine's parts share, and the helpers they all use."""

    def __init__(
        self,
        on_event: Callable[[p.Event], None],
        audio_factory: Callable[[], CallAudio] | None = None,
    ) -> None:
        self._on_event = on_event
        self._audio_factory = audio_factory
        self._audio: CallAudio | None = None
        self._tone_audio: ToneAudio | None = None
        self._tones = ToneDecider()
        self._tone_playing: ToneName | None = None
        self._commands: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any] | None]] = (
            queue.SimpleQueue()
        )
        self._ep: EngineEndpoint | None = None
        self._config = p.EngineConfig()
        self._transports: dict[str, int] = {}
        self._ports: dict[str, int] = {}
        self._accounts: dict[str, AccountRecord] = {}
        self._calls: dict[str, CallRecord] = {}
        self._conferences: list[set[str]] = []
        self._next_auto_id = 0
        self._last_stats = 0.0

    # ------------------------------------------------------------ events

    def _sync_tone(self, now: float) -> None:
        """Start, change or stop the bridge's tone when the wanted one changed."""
        audio = self._tone_audio
        if audio is None:
            return
        wanted = self._tones.wanted(now)
        if wanted == self._tone_playing:
            return
        self._tone_playing = wanted
        try:
            if wanted is None:
                audio.stop_tone()
            else:
                audio.play_tone(wanted)
        except Exception:  # a tone is a nicety: never let it break call handling
            log.exception("the audio bridge could not play the %s tone", wanted or "no")

    def _emit(self, event: p.Event) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("event handler failed for %s", event.type)

    # ------------------------------------------------------------ for the commands

    def _record(self, call_id: str) -> CallRecord:
        record = self._calls.get(call_id)
        if record is None:
            raise EngineError(f"no call '{call_id}'")
        return record
