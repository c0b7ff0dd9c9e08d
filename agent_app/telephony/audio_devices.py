"""Registers the ``devices`` audio bridge (Qt Multimedia headsets and speakers).

Imported by the engine's bridge lookup when ``EngineConfig.audio == "devices"``; the
bridge itself is :mod:`agent_app.telephony.audio`.
"""

from __future__ import annotations

from agent_app.telephony.audio.engine_audio import make_bridge
from agent_app.telephony.call_audio import register_audio_bridge

register_audio_bridge("devices", make_bridge)
