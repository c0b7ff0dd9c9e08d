"""Where audio goes: the device each role uses (the preferred one when present, else the OS
default), the call's :class:`Route`, and the :class:`AudioEvent` a device move reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtMultimedia import QAudioDevice, QMediaDevices

from agent_app.telephony.audio.devices import device_id
from agent_app.telephony.audio.ring import SampleRing

Role = Literal["microphone", "speaker", "ringer"]
ROLES: tuple[Role, ...] = ("microphone", "speaker", "ringer")
EventKind = Literal["fallback", "restored", "switched", "failed"]


@dataclass(frozen=True)
class AudioEvent:
    """A device change the agent must hear about (the call itself carries on)."""

    kind: EventKind
    role: Role
    device_id: str
    """The device now in use ('' when none could be opened)."""
    device_name: str
    preferred_id: str


@dataclass(eq=False)
class Route:
    """Where the capture goes and where playback comes from."""

    mic_ring: SampleRing
    speaker_ring: SampleRing
    rate: int
    mic_target: int
    speaker_target: int


def resolve(
    role: Role, preferred: str, present: tuple[set[str], set[str]] | None = None
) -> QAudioDevice:
    """The preferred device when present, else the OS default (may be null).

    ``present`` — (sink names, source names) from
    :class:`~.pulse_presence.PulsePresence` — overrides Qt's lists, which keep removed
    PulseAudio devices.
    """
    if role == "microphone":
        listed = QMediaDevices.audioInputs()
        default = QMediaDevices.defaultAudioInput()
        names = present[1] if present is not None else None
    else:
        listed = QMediaDevices.audioOutputs()
        default = QMediaDevices.defaultAudioOutput()
        names = present[0] if present is not None else None
    alive = [d for d in listed if names is None or device_id(d) in names]
    if preferred:
        for device in alive:
            if device_id(device) == preferred:
                return device
    if names is None or (not default.isNull() and device_id(default) in names):
        return default
    for device in alive:
        if device.isDefault():
            return device
    return alive[0] if alive else QAudioDevice()
