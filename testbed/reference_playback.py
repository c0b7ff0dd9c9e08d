"""A control client for the audio benchmark: Qt's own playback stream with no bridge.

Plays silence into a PulseAudio sink through a ``QAudioSink`` opened exactly as the
bridge opens its speaker (the call's 16 kHz mono, the same period, push mode), but keeps
Qt's queue full far ahead of the server's requests, so the stream can only underrun when
the sound server or Qt's own PulseAudio thread is late: the machine, not the bridge.
Qt's PulseAudio thread gets the real-time priority the bridge asks for its own
(``priority.py``), so the control is no weaker than the stream it is compared with.

Run as ``python -m testbed.reference_playback <sink> [rate [period_ms]]`` with the
test server's environment; it plays until terminated. A longer period gives a larger
server buffer: the benchmark also runs one holding more than the bridge's whole 40 ms
budget in the server, to see whether any buffer the budget allows would have covered the
machine's stalls. Silence mixed into the speaker does not change what the benchmark
records there.
"""

from __future__ import annotations

import signal
import sys

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

from agent_app.foundation import qt_compat
from agent_app.telephony.audio.formats import period_frames
from agent_app.telephony.audio.playback import PLAYBACK_PERIOD_MS
from agent_app.telephony.audio.priority import QT_PULSE_THREAD, Promoter

QUEUE_MS = 200
"""Qt's queue in front of the server: far more than any stall the machine shows."""
TOP_UP_MS = 10


def main(argv: list[str]) -> int:
    sink_name = argv[0]
    rate = int(argv[1]) if len(argv) > 1 else 16000
    period_ms = int(argv[2]) if len(argv) > 2 else PLAYBACK_PERIOD_MS
    qt_compat.apply()
    app = QCoreApplication([])
    device = next(
        (d for d in QMediaDevices.audioOutputs() if bytes(d.id().data()).decode() == sink_name),
        None,
    )
    if device is None:
        print(f"reference_playback: no sink {sink_name!r}", file=sys.stderr)
        return 2
    fmt = QAudioFormat()
    fmt.setSampleRate(rate)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    sink = QAudioSink(device, fmt)
    sink.setBufferSize(fmt.bytesForDuration(QUEUE_MS * 1000))
    sink.setNativePeriodFrameCount(period_frames(rate, period_ms))
    io = sink.start()
    promoter = Promoter()
    promoter.request_named(QT_PULSE_THREAD, "Qt PulseAudio")
    silence = bytes(fmt.bytesForDuration(QUEUE_MS * 1000))

    def top_up() -> None:
        free = sink.bytesFree()
        if free > 0:
            io.write(silence[:free])

    top_up()
    timer = QTimer()
    timer.timeout.connect(top_up)
    timer.start(TOP_UP_MS)
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    # A timer that fires lets Python see the signal between Qt's waits.
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    promoter.done.wait(5)
    print("playing", "realtime" if promoter.granted else "normal", flush=True)
    app.exec()
    sink.stop()
    promoter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
