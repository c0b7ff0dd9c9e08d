"""How the audio benchmark reads the sound server's log and the threads' CPU."""

from __future__ import annotations

import os

from benchmarks.audio_bridge import server_underruns, thread_cpu

LOG = """\
D: [null-sink] protocol-native.c: Implicit underrun of 'QtmPulseStream-12-34'
D: [null-sink] protocol-native.c: Requesting rewind due to end of underrun.
D: [null-sink] protocol-native.c: Implicit underrun of 'pacat'
D: [null-sink] protocol-native.c: Actual underrun of 'QtmPulseStream-12-34'
I: [pulseaudio] client.c: Freed 3 "pactl"
"""


def test_server_underruns_count_only_qt_playback_streams() -> None:
    # The test's own pacat feeders and the rewind notes are not the bridge's underruns.
    assert server_underruns(LOG) == 2
    assert server_underruns("") == 0


def test_thread_cpu_names_this_process_threads() -> None:
    cpu = thread_cpu(os.getpid())
    assert cpu
    assert all(seconds >= 0.0 for seconds in cpu.values())
