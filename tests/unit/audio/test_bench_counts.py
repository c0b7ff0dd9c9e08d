"""How the audio benchmark reads the sound server's log and the threads' CPU."""

from __future__ import annotations

import math
import os

from benchmarks.audio_bridge import (
    outside_stalls,
    pactl_ends,
    shared_with,
    thread_cpu,
    underrun_times,
)

LOG = """\
D: [null-sink] protocol-native.c: Implicit underrun of 'QtmPulseStream-12-34'
D: [null-sink] protocol-native.c: Requesting rewind due to end of underrun.
D: [null-sink] protocol-native.c: Implicit underrun of 'pacat'
D: [null-sink] protocol-native.c: Actual underrun of 'QtmPulseStream-12-34'
I: [pulseaudio] client.c: Freed 3 "pactl"
"""


def test_server_underruns_count_only_qt_playback_streams() -> None:
    # The test's own pacat feeders and the rewind notes are not the bridge's underruns.
    assert len(underrun_times(LOG)) == 2
    assert len(underrun_times("")) == 0


STAMPED = """\
(  10.250|   0.000) D: [null-sink] sink-input.c: Implicit underrun of 'QtmPulseStream-12-34'
(  10.251|   0.001) D: [null-sink] sink-input.c: Implicit underrun of 'QtmPulseStream-77-9'
(  11.500|   1.249) I: [pulseaudio] client.c: Freed 3 "pactl"
(  12.000|   0.500) D: [null-sink] sink-input.c: Actual underrun of 'QtmPulseStream-12-34'
(  13.125|   1.125) I: [pulseaudio] client.c: Freed 4 "pactl"
"""


def test_underruns_are_told_apart_by_process() -> None:
    # The bridge's stream and the control stream share a sink; the pid in the name
    # says whose underrun it was.
    assert underrun_times(STAMPED, 12) == [10.25, 12.0]
    assert underrun_times(STAMPED, 77) == [10.251]
    assert len(underrun_times(STAMPED)) == 3
    assert len(underrun_times(STAMPED, 99)) == 0


def test_unstamped_lines_still_count() -> None:
    times = underrun_times(LOG, 12)
    assert len(times) == 2 and all(math.isnan(t) for t in times)


def test_shared_with_counts_only_near_ones() -> None:
    assert shared_with([10.25, 12.0], [10.251], 0.05) == 1
    assert shared_with([10.25, 12.0], [], 0.05) == 0
    assert shared_with([1.0, 2.0, 3.0], [0.96, 3.04], 0.05) == 2
    assert shared_with([1.0], [1.2], 0.05) == 0


def test_log_clock_anchors_are_the_pactl_clients_freed() -> None:
    assert pactl_ends(STAMPED) == [11.5, 13.125]
    assert pactl_ends(LOG) == []  # no time stamps: no anchor


def test_outside_stalls_skips_stalled_windows_and_their_neighbours() -> None:
    counts = [1, 2, 0, 3, 0, 0, 4]
    stalled = [False, False, False, False, True, False, False]
    # Window 3 and 5 neighbour the stall in 4: only windows 0, 1 and 6 count.
    assert outside_stalls(counts, stalled) == 1 + 2 + 4
    assert outside_stalls(counts, [False] * 7) == 10
    assert outside_stalls([], []) == 0


def test_thread_cpu_names_this_process_threads() -> None:
    cpu = thread_cpu(os.getpid())
    assert cpu
    assert all(seconds >= 0.0 for seconds in cpu.values())
