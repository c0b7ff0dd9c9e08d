"""The seam between the engine and an audio bridge.

The engine owns calls; an audio bridge (Qt Multimedia devices in the desktop, nothing
in pulse-phone) owns a pjsua2 media port. The engine drives the bridge through this
protocol, always from the engine's pjsua2 thread, so an implementation may call
pjsua2 inside these methods (and only there):

- ``start()`` once, after the library started, before any call;
- ``connect_call(media)`` on EVERY media change of an active call (answer, hold,
  resume, re-INVITE): pjsua2 re-creates the call's conference port each time, so the
  bridge connects its port to ``media`` (a ``pjsua2.AudioMedia``) both ways again;
  while muted it must connect only call → speaker;
- ``disconnect_call(media)`` when the call's media goes away or the call ends;
- ``set_muted(muted)`` mutes at the source: stop (or start again) transmitting the
  microphone into the connected call(s). The engine calls it before every
  ``connect_call`` with the call's mute state, so a mute survives hold and resume;
- ``stop()`` releases every port it created; the engine calls it before
  ``libDestroy()`` (a port alive at that point aborts the process).

The ``media`` objects are valid only for the duration of the call they belong to;
implementations must not keep them past ``disconnect_call``.

Call-progress tones are optional: a bridge that also has ``play_tone(kind)`` (``kind`` is
``"ringtone"``, ``"ringback"`` or ``"busy"``; one tone at a time, a new one replaces the
old) and ``stop_tone()`` (:class:`ToneAudio`) gets them from the engine, which decides
which tone sounds (:mod:`agent_app.telephony.call_tones`). Both are called on the pjsua2
thread and must return at once; a bridge without them (pjsua2's null device, test
bridges) simply plays none.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


class CallAudio(Protocol):
    def start(self) -> None: ...

    def connect_call(self, media: Any) -> None: ...

    def disconnect_call(self, media: Any) -> None: ...

    def set_muted(self, muted: bool) -> None: ...

    def stop(self) -> None: ...


@runtime_checkable
class ToneAudio(Protocol):
    """The optional tone half of a bridge (see the module docstring)."""

    def play_tone(self, kind: str) -> None: ...

    def stop_tone(self) -> None: ...


AudioFactory = Callable[[], CallAudio]

CONFERENCE_FRAME_MS = 10
"""Length of the conference bridge's frames (``medConfig.audioFramePtime``), which the
engine configures and a bridge's port must match (a port with another frame length gets
pjmedia's buffering in front of it: more delay). 10 ms rather than pjsua's 20 halves the
wait a sample has in the bridge's rings in both directions; RTP packets stay 20 ms."""

_BRIDGES: dict[str, AudioFactory] = {}


class UnknownAudioBridge(LookupError):
    """``EngineConfig.audio`` names a bridge nobody registered."""


def register_audio_bridge(name: str, factory: AudioFactory) -> None:
    """Make ``EngineConfig(audio=name)`` use ``factory`` (called on the pjsua2 thread)."""
    _BRIDGES[name] = factory


def resolve_audio_bridge(name: str) -> AudioFactory | None:
    """The factory for ``name``; ``"null"`` means none (pjsua2's null device only).

    A bridge that is not registered yet is looked for in the module
    ``agent_app.telephony.audio_<name>``, which registers itself when imported.
    """
    if name in ("", "null"):
        return None
    if name not in _BRIDGES:
        module = f"agent_app.telephony.audio_{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise  # the bridge exists but something it needs is missing: say so
    if name not in _BRIDGES:
        raise UnknownAudioBridge(f"no audio bridge named '{name}'")
    return _BRIDGES[name]
