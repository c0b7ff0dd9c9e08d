"""The pjsua2 side of the bridge: an ``AudioMediaPort`` that only moves bytes.

Its two callbacks run on pjsua2's media clock thread, 50 times a second each. They
touch nothing but the two ring buffers (no Qt object, no pjsua2 call, no allocation
beyond one small array), so a busy Qt or Python side can never stall the conference
bridge. Resampling and device handling happen on the Qt audio thread.

Mute is applied here, at the source: while muted the port sends silence into the
conference whatever the call's (re-created) conference port looks like.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pjsua2 as pj

from agent_app.telephony.audio.frame_access import FrameAccess
from agent_app.telephony.audio.ring import SampleRing


class BridgePort(pj.AudioMediaPort):  # type: ignore[misc]
    def __init__(
        self,
        mic_ring: SampleRing,
        speaker_ring: SampleRing,
        clock_rate: int,
        frame_samples: int,
        access: FrameAccess,
    ) -> None:
        super().__init__()
        self._mic = mic_ring
        self._speaker = speaker_ring
        self._access = access
        self._out = np.zeros(frame_samples, np.int16)
        self._in = np.zeros(frame_samples, np.int16)
        self.clock_rate = clock_rate
        self.frame_samples = frame_samples
        self.muted = False
        self.in_call = False
        """Set by the bridge while a call is connected (silence then keeps the clock fed)."""
        self.frames_sent = 0
        self.frames_received = 0
        self.last_callback = 0.0
        self.probe: Any = None
        """Benchmark hook ``probe(direction, samples, monotonic_time)``; None in use."""

    def create(self, name: str = "pulse-bridge") -> None:
        fmt = pj.MediaFormatAudio()
        fmt.init(
            pj.PJMEDIA_FORMAT_PCM,
            self.clock_rate,
            1,
            int(self.frame_samples * 1_000_000 / self.clock_rate),
            16,
        )
        self.createPort(name, fmt)

    # -- media clock thread -------------------------------------------------------------
    def onFrameRequested(self, frame: Any) -> None:  # microphone -> call
        out = self._out
        self._mic.read_into(out)
        if self.muted:
            out[:] = 0
        self._access.write(frame, out)
        frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        self.frames_sent += 1
        self.last_callback = now = time.monotonic()
        if self.probe is not None:
            self.probe("mic_to_rtp", out, now)

    def onFrameReceived(self, frame: Any) -> None:  # call -> speaker
        n = self._access.read_into(frame.buf, self._in)
        if n == 0 and not self.in_call:
            return
        if n == 0:
            # No audio from the conference (no call connected): keep the speaker's clock
            # fed with silence so that only real starvation counts as an underrun.
            self._in[:] = 0
            n = len(self._in)
        self._speaker.write(self._in[:n])
        self.frames_received += 1
        self.last_callback = now = time.monotonic()
        if self.probe is not None:
            self.probe("rtp_to_speaker", self._in[:n], now)
