"""The audio devices present, as plain values, and the id each device is known by."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtMultimedia import QAudioDevice, QMediaDevices


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    name: str
    is_default: bool


def device_id(device: QAudioDevice) -> str:
    return bytes(device.id().data()).decode("utf-8", "replace")


def list_devices() -> dict[str, list[DeviceInfo]]:
    """The present inputs and outputs, as plain values."""
    return {
        "inputs": [
            DeviceInfo(device_id(d), d.description(), d.isDefault())
            for d in QMediaDevices.audioInputs()
        ],
        "outputs": [
            DeviceInfo(device_id(d), d.description(), d.isDefault())
            for d in QMediaDevices.audioOutputs()
        ],
    }
