"""The ``devices`` audio bridge of the engine process.

``EngineConfig(audio="devices")`` (the desktop app sends it with ``StartEngine``) makes
the engine build :class:`QtCallAudio` with the devices chosen in the ``[audio]``
settings; ``"null"`` keeps pjsua2's null device (pulse-phone, tests without a sound
card). The registration lives in :mod:`agent_app.telephony.audio_devices`, where the
engine's bridge lookup finds it. Device moves become
:class:`~agent_app.telephony.protocol.AudioDeviceChanged` events through the sink the
engine process installs with :func:`set_event_sink`.
"""

from __future__ import annotations

from collections.abc import Callable

from agent_app.telephony import protocol as p
from agent_app.telephony.call_audio import CallAudio

_event_sink: Callable[[p.Event], None] | None = None
_devices: p.AudioDevices | None = None


def set_event_sink(emit: Callable[[p.Event], None] | None) -> None:
    """Where device events go (thread-safe callable; called on the audio thread)."""
    global _event_sink  # noqa: PLW0603 - one engine per process, set once at start-up
    _event_sink = emit


def set_devices(devices: p.AudioDevices | None) -> None:
    """The devices the desk chose (``EngineConfig.audio_devices``); None: read the settings."""
    global _devices  # noqa: PLW0603 - one engine per process, set before each start
    _devices = devices


def _chosen_devices() -> p.AudioDevices:
    if _devices is not None:
        return _devices
    # Only when the desk sent none (pulse-phone): the settings' validation is heavy.
    from agent_app.foundation.config import load_settings

    audio = load_settings().settings.audio
    return p.AudioDevices(microphone=audio.microphone, speaker=audio.speaker, ringer=audio.ringer)


def make_bridge() -> CallAudio:
    from agent_app.telephony.audio.bridge import QtCallAudio
    from agent_app.telephony.audio.routing import AudioEvent

    audio = _chosen_devices()

    def forward(event: AudioEvent) -> None:
        sink = _event_sink
        if sink is not None:
            sink(
                p.AudioDeviceChanged(
                    change=event.kind,
                    role=event.role,
                    device_id=event.device_id,
                    device_name=event.device_name,
                    preferred_id=event.preferred_id,
                )
            )

    return QtCallAudio(
        preferences={
            "microphone": audio.microphone,
            "speaker": audio.speaker,
            "ringer": audio.ringer,
        },
        on_event=forward,
    )
