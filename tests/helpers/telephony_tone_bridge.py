"""A real CallAudio bridge for tests, run as a script in its own process.

"Microphone": a pjsua2 ToneGenerator (900 Hz); "speaker": a WAV recorder. The script
runs an Engine with this bridge, calls the pulse-phone at ``argv[1]``, then mutes, holds,
resumes, waits muted, unmutes and hangs up; it prints one JSON line with what the
bridge saw (connect/disconnect counts, mute calls, whether stop() released its ports).

    python -m tests.helpers.telephony_tone_bridge PORT SPEAKER_WAV
"""

from __future__ import annotations

import json
import queue
import sys
import time
from typing import Any

import pjsua2 as pj

from agent_app.telephony import protocol as p
from agent_app.telephony.call_audio import register_audio_bridge
from agent_app.telephony.engine.core import Engine

MIC_HZ = 900


class ToneBridge:
    def __init__(self, speaker_path: str) -> None:
        self.speaker_path = speaker_path
        self.mic: Any = None
        self.speaker: Any = None
        self.muted = False
        self.media: Any = None
        self.connects = 0
        self.disconnects = 0
        self.mute_calls: list[bool] = []
        self.stopped = False

    def start(self) -> None:
        self.mic = pj.ToneGenerator()
        self.mic.createToneGenerator(16000, 1)
        tone = pj.ToneDesc()
        tone.freq1, tone.freq2, tone.on_msec, tone.off_msec, tone.volume = MIC_HZ, 0, 1000, 0, 0
        tones = pj.ToneDescVector()
        tones.append(tone)
        self.mic.play(tones, True)
        self.speaker = pj.AudioMediaRecorder()
        self.speaker.createRecorder(self.speaker_path)

    def connect_call(self, media: Any) -> None:
        self.connects += 1
        self.media = media
        media.startTransmit(self.speaker)
        if not self.muted:
            self.mic.startTransmit(media)

    def disconnect_call(self, media: Any) -> None:
        self.disconnects += 1
        self.media = None

    def set_muted(self, muted: bool) -> None:
        self.mute_calls.append(muted)
        self.muted = muted
        if self.media is not None:
            if muted:
                self.mic.stopTransmit(self.media)
            else:
                self.mic.startTransmit(self.media)

    def stop(self) -> None:
        self.media = None
        self.mic = None
        self.speaker = None
        self.stopped = True


def main() -> int:
    port, speaker = int(sys.argv[1]), sys.argv[2]
    bridge = ToneBridge(speaker)
    register_audio_bridge("test-tone", lambda: bridge)
    events: queue.Queue[p.Event] = queue.Queue()
    engine = Engine(events.put)
    engine.start(p.EngineConfig(bind_address="127.0.0.1", audio="test-tone"))
    seen: list[p.Event] = []

    def wait(pred: Any, timeout: float = 15) -> p.Event:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                event = events.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(event)
            if pred(event):
                return event
        raise SystemExit(f"timed out; saw {[e.type for e in seen]}")

    def media(state: str) -> p.Event:
        return wait(lambda e: isinstance(e, p.MediaChanged) and e.state == state)

    engine.run_sync(p.AddAccount(p.AccountSpec("a", "agent", "127.0.0.1", register=False)))
    engine.run_sync(p.Dial(call_id="c", account_id="a", target=f"sip:x@127.0.0.1:{port}"))
    media("active")
    marks = {"unmuted_start": time.monotonic()}
    time.sleep(1.0)
    engine.run_sync(p.Mute(call_id="c", muted=True))
    engine.run_sync(p.Hold(call_id="c"))
    media("local_hold")
    engine.run_sync(p.Resume(call_id="c"))
    media("active")
    time.sleep(2.0)
    engine.run_sync(p.Mute(call_id="c", muted=False))
    time.sleep(1.5)
    engine.run_sync(p.Hangup(call_id="c"))
    wait(lambda e: isinstance(e, p.CallEnded))
    engine.stop()
    print(
        json.dumps(
            {
                "connects": bridge.connects,
                "disconnects": bridge.disconnects,
                "mute_calls": bridge.mute_calls,
                "stopped": bridge.stopped,
                "marks": marks,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
