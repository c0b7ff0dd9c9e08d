"""How the engine process gets its audio bridge.

``PULSE_ENGINE_AUDIO=devices`` in the engine's environment (the desktop app sets it
when it starts the engine) makes the engine use :class:`QtCallAudio` with the devices
chosen in the ``[audio]`` settings; without it the engine stays on pjsua2's null device
(pulse-phone, and tests that need no sound card). Device changes become
:class:`~agent_app.telephony.protocol.AudioDeviceChanged` events.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from agent_app.telephony import protocol as p
from agent_app.telephony.call_audio import CallAudio

AUDIO_ENV = "PULSE_ENGINE_AUDIO"


def audio_factory_from_environment(
    emit: Callable[[p.Event], None],
) -> Callable[[], CallAudio] | None:
    if os.environ.get(AUDIO_ENV, "") != "devices":
        return None

    def factory() -> CallAudio:
        from agent_app.config import load_settings
        from agent_app.telephony.audio.bridge import QtCallAudio
        from agent_app.telephony.audio.devices import AudioEvent

        audio = load_settings().settings.audio

        def forward(event: AudioEvent) -> None:
            emit(
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

    return factory
