"""The audio devices present, as plain values, and the id each device is known by."""

from __future__ import annotations

from dataclasses import dataclass

<<<<<<< HEAD
import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtMultimedia import (
    QAudioDevice,
    QAudioFormat,
    QAudioSink,
    QAudioSource,
    QMediaDevices,
    QtAudio,
)

from agent_app.telephony.audio.drift import DriftController
from agent_app.telephony.audio.margins import AdaptiveTarget, PlayoutClock
from agent_app.telephony.audio.meters import METER_INTERVAL_S, LevelMeter
from agent_app.telephony.audio.paced_thread import PacedThread
from agent_app.telephony.audio.priority import QT_PULSE_THREAD, Promoter
from agent_app.telephony.audio.pulse_presence import PulsePresence
from agent_app.telephony.audio.resampler import DriftFollower, Resampler, pcm16
from agent_app.telephony.audio.ring import SampleRing
from agent_app.telephony.audio.tones import ToneKind, TonePattern

log = logging.getLogger(__name__)

Role = Literal["microphone", "speaker", "ringer"]
ROLES: tuple[Role, ...] = ("microphone", "speaker", "ringer")
EventKind = Literal["fallback", "restored", "switched", "failed"]

CAPTURE_BUFFER_MS = 60
"""Qt's capture buffer; drained every PUMP_MS, so its size adds no delay (10 ms lost data)."""
SINK_BUFFER_MS = 120
"""Room in Qt's ring in front of the sink: never the limit (the pump decides the level)."""
DEVICE_PERIOD_MS = 5
"""Capture period asked of the sound server (``setNativePeriodFrameCount``, rounded up to a
power of two frames): its stream buffer, which is latency we cannot see into, follows it
(PulseAudio: ~5 ms at 16 kHz instead of ~50 ms with Qt's default of 1024 frames)."""
PLAYBACK_PERIOD_MS = 10
"""Playback period: 256 frames at 16 kHz, a 12-16 ms server buffer. Qt's PulseAudio thread
refills that buffer on the server's requests; with the 8 ms buffer a 5 ms period gave, any
hiccup of the sound server or of that thread (measured: each new client connecting to the
server) was an underrun at the server, 5-7 a minute. The queue the pump keeps in front of
it shrinks by as much (``BridgeTuning.speaker_target_ms``), so the path is no longer."""
SPEAKER_MAX_MS = 8
"""The speaker's target grows at most this much above its configured 16 ms: with the
server's 12.5 ms buffer that is the path's 40 ms budget (a larger queue would trade
dropouts for a delay the budget does not allow)."""
CALM_S = 1.0
SPEAKER_STEP_MS = 5
"""The speaker's target grows this much per stall (dropout, ring underrun, late pump)."""
MIC_STEP_MS = 2
MIC_MAX_MS = 6
"""The microphone ring's target grows by MIC_STEP_MS per near miss, at most MIC_MAX_MS
above the configured target (what is left of the path's 40 ms budget)."""
MIC_GUARD_MS = 5
"""The microphone ring's low-water mark (what it held beyond a frame when pjsua2 took
one) under this is a near miss: the margin grows before an underrun rather than after."""
MIC_WATCH_S = 0.1
DRIFT_BAND_MS = 2
"""Ring level error (smoothed) within which an equal-rate stream is not resampled at all:
the level wanders by at most this much (plus the smoothing's overshoot) before the
drift controller steers it back, a tenth of the time for a 300 ppm clock difference."""
TONE_QUEUE_MS = 40
PUMP_MS = 10
EVENTS_EVERY = 5
"""While streams are open the audio thread handles Qt's events before every fifth pump:
requests from other threads (routes, tones, preferences), timers and device changes then
wait at most 50 ms. Nothing in the audio path needs them sooner: the streams' data,
``bytesFree`` and ``processedUSecs`` move without them (measured), and the per-pass cost
of Qt's event handling was about a third of the pump's."""
PRESENCE_POLL_MS = 1000
ROUTE_LINGER_MS = 1500
"""Streams outlive the last call this long, so hold/resume does not reopen devices."""
=======
from PySide6.QtMultimedia import QAudioDevice, QMediaDevices
>>>>>>> devices-split


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
