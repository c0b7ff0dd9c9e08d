"""Latency, underruns, overruns and CPU of the audio bridge over a long call.

A private PulseAudio server gives Pulse a virtual headset; Pulse's side (the bridge, Qt
Multimedia, pjsua2) calls a pjsua2 peer on loopback; a tone plays into the microphone
and the peer sends one back. Runs 10 minutes (``--quick``: 1 minute).

Latency is measured as the sum of the delays each stage adds, each one measured while
the call runs (not configured values):

- ``mic_to_rtp_ms`` = PulseAudio's buffer latency of Qt's capture stream (``pactl``)
  + half a capture block (Qt hands over blocks; a sample waits half of one on average)
  + resampler group delay + the microphone ring's time-averaged fill (a sample waits
  for everything ahead of it to be sent, 20 ms frame granularity included).
- ``rtp_to_speaker_ms`` = the speaker ring's time-averaged fill + resampler group delay
  + audio queued in the QAudioSink (time-averaged) + PulseAudio's buffer latency of
  Qt's playback stream.

The device's own latency (a sound card's, here the null sink's) is not the bridge's and is
left out. The PulseAudio buffer latencies are read with ``pactl`` just before and just
after the counted window (they follow from the streams' fixed buffer attributes): every
``pactl`` client that leaves the server stalls its I/O thread for longer than a small
stream buffer, so probing during the window made the server underrun our stream and the
test's own ``pacat`` feeder at the same instants (one underrun per probe or so). Underruns
and overruns are counted after a 5 s warm-up (device start-up). ``underruns`` counts what
an agent or the far end would hear: microphone-ring underruns (pjsua2 took a frame the
ring could not fill: the call got silence) plus speaker-ring underruns plus the underruns
the sound server itself reports for Qt's playback stream (its buffer was empty when the
device needed audio: silence played). The server is put on debug log level for this (it
logs each underrun once, ~1 KiB a second in all). The pump's own count of finding Qt's
queue empty (``sink_starvations``) is a detail line only: the server's buffer (12-16 ms)
usually still covered those, and it misses real underruns that start and end between two
pumps.

``bridge_cpu_pct`` is what the bridge adds to a softphone: the ``pulse-audio`` thread
(pumps, resampling, drift control) plus Qt's PulseAudio I/O thread (``QPulseAudioEngi``).
pjsua2's media clock thread (codec, conference bridge) and the SIP polling loop exist in
any softphone and are not the bridge's; ``cpu_pct`` (the whole Pulse-side process) and
each thread's share (detail line) are printed too.
The detail line's ``mic_late_waits`` counts frames the media clock found the microphone
ring short of and waited for (at most 6 ms each), ``mic_late_saved`` those that then went
out whole (each an underrun avoided), ``mic_late_wait_ms`` the time spent waiting.
The machine is measured beside the bridge, so a run's underruns can be told apart:
a control client (``testbed.reference_playback``: a ``QAudioSink`` opened exactly as
the bridge opens the speaker, same rate, period and server buffer, but with Qt's queue
kept 200 ms full, so nothing of ours can starve it) plays silence into the same speaker
sink. Its underruns (``reference_underruns``) are the sound server or Qt's PulseAudio thread
running late, which no client with that buffer can cover; ``sink_underruns_shared`` counts
ours within 50 ms of one of its. The hypervisor's share of the CPU (``steal``, from
``/proc/stat``) is read every half second. A second control holds a 32 ms server buffer
(2048 frames at 48 kHz: more than the bridge's whole 40 ms path could keep in the server);
its underruns (``reference_32ms_underruns``) are stalls no buffer within the budget
covers. ``underruns_outside_stalls`` counts our underruns in half-second windows with
neither steal nor a control underrun (nor in the windows next to one): those are the
bridge's alone.
What reaches the speaker is checked too: ``speaker_gap_windows`` counts 10 ms windows of
the speaker's output that fell silent during the peer's steady tone (dropouts an agent
would hear).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import fmean

import numpy as np

from testbed.audio_call import ROOT, audio_call, wav_tail
from testbed.audio_server import AudioServer, audio_server, stop_playing, tone, tone_share
from testbed.timing import Figures

NAME = "audio_bridge"
WARMUP_S = 5.0
PROBE_SETTLE_S = 1.0
BRIDGE_THREADS = ("pulse-audio", "QPulseAudioEngi")
FIGURES = Figures(NAME)


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds used so far by each thread of ``pid``, summed by thread name."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return totals


UNDERRUN = re.compile(
    r"^(?:\(\s*(?P<t>[\d.]+)\|[^)]*\)\s+)?.*(?:Implicit|Actual) underrun of "
    r"'QtmPulseStream-(?P<pid>\d+)-",
    re.MULTILINE,
)
LONG_CONTROL = ("48000", "40")
"""The second control stream: 2048 frames at 48 kHz, a 32 ms server buffer (``pactl``)."""
SHARED_WITHIN_S = 0.05
"""An underrun of ours this close to one of the control stream's is the machine's."""


def underrun_times(log_text: str, pid: int | None = None) -> list[float]:
    """The server's log time of each underrun it reported for Qt's playback stream of
    process ``pid`` (of any Qt process if None; NaN where the log has no time stamps).
    Each is the server finding the stream's buffer empty when the device needed audio (it
    plays silence until data comes back); ``pacat`` streams are the test's own feeders."""
    return [
        float(m["t"]) if m["t"] else float("nan")
        for m in UNDERRUN.finditer(log_text)
        if pid is None or int(m["pid"]) == pid
    ]


def shared_with(ours: list[float], reference: list[float], within: float) -> int:
    """How many of ``ours`` lie within ``within`` seconds of one of ``reference``."""
    ref = np.sort(np.asarray(reference, dtype=float))
    if len(ref) == 0:
        return 0
    count = 0
    for t in ours:
        i = int(np.searchsorted(ref, t))
        near = [abs(ref[j] - t) for j in (i - 1, i) if 0 <= j < len(ref)]
        count += int(bool(near) and min(near) <= within)
    return count


def pactl_ends(log_text: str) -> list[float]:
    """The server's log times of the ``pactl`` clients it freed (clock anchors)."""
    found = re.findall(r"^\(\s*([\d.]+)\|[^)]*\).*client\.c: Freed \d+ \"pactl\"", log_text, re.M)
    return [float(t) for t in found]


def anchor_server_clock(server: AudioServer, log_from: int) -> tuple[float, float | None]:
    """A moment on our clock and the server's log time of it: the end of a ``pactl``
    client (the server logs it freed within milliseconds; waited for, so an earlier
    client's line is not taken for it)."""

    def ends() -> list[float]:
        with server.log_path.open("rb") as f:
            f.seek(log_from)
            return pactl_ends(f.read().decode("utf-8", "replace"))

    seen = len(ends())
    server.pactl("info")
    anchor = time.monotonic()
    deadline = anchor + 2.0
    while time.monotonic() < deadline:
        logged = ends()
        if len(logged) > seen:
            return anchor, logged[-1]
        time.sleep(0.02)
    return anchor, None


def cpu_steal() -> tuple[int, int]:
    """The whole machine's stolen and total CPU ticks so far (``/proc/stat``)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[7], sum(fields[:8])


def outside_stalls(counts: list[int], stalled: list[bool]) -> int:
    """Underruns counted in windows neither stalled nor next to a stalled one (a stall at
    a window's edge shows up in the next window's counters)."""
    total = 0
    for i, n in enumerate(counts):
        if not any(stalled[j] for j in (i - 1, i, i + 1) if 0 <= j < len(stalled)):
            total += n
    return total


def silent_windows(x: np.ndarray, rate: int) -> int:
    """10 ms windows of the speaker's output that fell silent while the peer's steady tone
    played: what the agent would hear as a dropout (measured at the device, whatever
    the cause — ring underrun, trim, or the sink running dry)."""
    n = rate // 100
    windows = x[: len(x) // n * n].reshape(-1, n)
    rms = np.sqrt(np.mean(windows**2, axis=1))
    if len(rms) == 0:
        return 0
    return int(np.sum(rms < 0.3 * np.median(rms)))


def stream_buffer_latency_ms(pactl_listing: str, pid: int) -> float:
    """Buffer latency of process ``pid``'s Qt stream in a ``pactl list
    sink-inputs/source-outputs``."""
    values = []
    for block in re.split(r"\n(?=\S)", pactl_listing):
        if f'application.process.id = "{pid}"' not in block:  # the test's pacat feeders too
            continue
        match = re.search(r"Buffer Latency: (\d+) usec", block)
        if match:
            values.append(int(match.group(1)) / 1000)
    return max(values) if values else 0.0


def reference_playback(
    server: AudioServer, sink: str, root: Path, *args: str
) -> tuple[subprocess.Popen[str], str]:
    """Start a control stream (module docstring) on ``sink``; returns once it plays, with
    the priority its Qt thread got (``realtime`` or ``normal``). ``args``: rate and
    period in ms (default: the bridge's)."""
    log = root / f"reference-{'-'.join(args) or 'bridge'}.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "testbed.reference_playback", sink, *args],
            cwd=ROOT,
            env={**server.env, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if line[:1] != ["playing"]:
        stop_playing(proc)
        raise RuntimeError("a control stream did not start: " + log.read_text())
    return proc, line[1] if len(line) > 1 else "normal"


def machine_stalls(
    samples: list[dict[str, float]],
    first: dict[str, float],
    steal: list[tuple[int, int]],
    window_ends: list[float],
    ours: list[float],
    reference: list[float],
    anchor: float,
    anchor_log: float | None,
) -> dict[str, float]:
    """Our underruns per half-second window, and which windows the machine stalled in:
    CPU stolen, or the control stream underran."""
    n = len(samples)
    shares = [
        (s1 - s0) / (t1 - t0) * 100 if t1 > t0 else 0.0
        for (s0, t0), (s1, t1) in itertools.pairwise(steal)
    ]
    stalled = [share > 0 for share in shares]
    ring = []
    previous = first
    for sample in samples:
        ring.append(
            int(
                sample["mic_underruns"]
                - previous["mic_underruns"]
                + sample["speaker_underruns"]
                - previous["speaker_underruns"]
            )
        )
        previous = sample
    sink = [0] * n
    if anchor_log is not None:
        offset = anchor - anchor_log
        bounds = np.asarray(window_ends)

        def window(log_t: float) -> int:
            return int(np.searchsorted(bounds, log_t + offset)) - 1

        for t in reference:
            i = window(t)
            if 0 <= i < n:
                stalled[i] = True
        for t in ours:
            i = window(t)
            if 0 <= i < n:
                sink[i] += 1
    # Without the log's clock the server's underruns cannot be placed: they then count
    # as the bridge's, never hidden.
    unplaced = len(ours) if anchor_log is None else 0
    return {
        "steal_max_pct": round(max(shares, default=0.0), 2),
        "steal_windows": sum(share > 0 for share in shares),
        "stalled_windows": sum(stalled),
        "outside_ring": outside_stalls(ring, stalled),
        "outside_sink": outside_stalls(sink, stalled) + unplaced,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.audio_bridge")
    parser.add_argument("--quick", action="store_true", help="one minute instead of ten")
    parser.add_argument("--seconds", type=float, help="call length (overrides --quick)")
    args = parser.parse_args()
    seconds = args.seconds or (60.0 if args.quick else 600.0)

    with tempfile.TemporaryDirectory(prefix="pulse-bench-audio-") as tmp:
        root = Path(tmp)
        with audio_server(root / "pulse") as server:
            server.add_speaker("headset_speaker")
            server.add_microphone("headset_mic")
            server.set_defaults("headset_speaker", "headset_mic")
            server.debug_log()
            player = server.play("headset_mic_feed", tone(700, seconds + 30))
            speaker = server.record("headset_speaker")
            control, control_priority = reference_playback(server, "headset_speaker", root)
            long_control, _ = reference_playback(server, "headset_speaker", root, *LONG_CONTROL)
            try:
                with audio_call(server, root) as (pulse, record):
                    pid = pulse.proc.pid
                    source_latency: list[float] = []
                    sink_latency: list[float] = []

                    def probe_buffers() -> None:
                        source_latency.append(
                            stream_buffer_latency_ms(server.pactl("list", "source-outputs"), pid)
                        )
                        sink_latency.append(
                            stream_buffer_latency_ms(server.pactl("list", "sink-inputs"), pid)
                        )

                    time.sleep(WARMUP_S)
                    # The stream buffers are read before and after the counted window, not
                    # during it: each pactl client leaving the server stalls its I/O thread
                    # (the test's own pacat feeder underruns at the same instant).
                    probe_buffers()
                    time.sleep(PROBE_SETTLE_S)
                    first = pulse.stats()
                    cpu0 = thread_cpu(pid)
                    log_from = server.log_path.stat().st_size
                    t0 = time.monotonic()
                    samples = []
                    steal = [cpu_steal()]
                    window_ends = [t0]
                    while time.monotonic() - t0 < seconds:
                        time.sleep(0.5)
                        samples.append(pulse.stats())
                        steal.append(cpu_steal())
                        window_ends.append(time.monotonic())
                    elapsed = time.monotonic() - t0
                    cpu1 = thread_cpu(pid)
                    last = samples[-1]
                    heard_mic = tone_share(wav_tail(record, 2.0), 16000, 700)
                    heard = speaker.samples()
                    heard_peer = tone_share(heard[-96000:], 48000, 1000)
                    gaps = silent_windows(heard[-int(elapsed * 48000) :], 48000)
                    warnings = pulse.qt_warnings()
                    with server.log_path.open("rb") as f:
                        f.seek(log_from)
                        server_log = f.read().decode("utf-8", "replace")
                    probe_buffers()
                    anchor, anchor_log = anchor_server_clock(server, log_from)
            finally:
                stop_playing(player)
                stop_playing(control)
                stop_playing(long_control)
                speaker.stop()

    thread_pct = {
        name: round((cpu1[name] - cpu0.get(name, 0.0)) / elapsed * 100, 2) for name in cpu1
    }
    cpu = sum(thread_pct.values())
    audio_cpu = thread_pct.get("pulse-audio", 0.0)
    bridge_cpu = sum(thread_pct.get(name, 0.0) for name in BRIDGE_THREADS)
    clean = heard_mic >= 0.9 and heard_peer >= 0.9 and not warnings
    if not clean:
        print(
            f"audio did not flow cleanly (mic tone {heard_mic:.2f}, peer tone {heard_peer:.2f}, "
            f"Qt warnings {warnings})",
            file=sys.stderr,
        )

    mic_ring = fmean(s["mic_fill_ms"] for s in samples)
    speaker_ring = fmean(s["speaker_fill_ms"] for s in samples)
    queued = fmean(s["playback_queued_ms"] for s in samples)
    block = fmean(s["capture_block_ms"] for s in samples)
    mic_to_rtp = fmean(source_latency) + block / 2 + last["mic_resampler_ms"] + mic_ring
    rtp_to_speaker = speaker_ring + last["speaker_resampler_ms"] + queued + fmean(sink_latency)
    ring_underruns = [
        last["mic_underruns"] - first["mic_underruns"],
        last["speaker_underruns"] - first["speaker_underruns"],
    ]
    ours = underrun_times(server_log, pid)
    reference = underrun_times(server_log, control.pid)
    reference_long = underrun_times(server_log, long_control.pid)
    sink_underruns = len(ours)
    starvations = last["playback_starvations"] - first["playback_starvations"]
    underruns = sum(ring_underruns) + sink_underruns
    overruns = (last["mic_overruns"] - first["mic_overruns"]) + (
        last["speaker_overruns"] - first["speaker_overruns"]
    )
    FIGURES.emit("mic_to_rtp_ms", mic_to_rtp, "ms", "<= 40")
    FIGURES.emit("rtp_to_speaker_ms", rtp_to_speaker, "ms", "<= 40")
    FIGURES.emit("underruns", underruns, "count", "== 0")
    FIGURES.emit("overruns", overruns, "count", "== 0")
    FIGURES.emit("bridge_cpu_pct", bridge_cpu, "% of one core", "<= 5")
    FIGURES.emit("cpu_pct", cpu, "% of one core", "whole process: the 5 % is bridge_cpu_pct's")
    FIGURES.emit("audio_thread_cpu_pct", audio_cpu, "% of one core", "part of bridge_cpu_pct")
    FIGURES.emit("call_seconds", elapsed, "s", f">= {seconds:g}")
    FIGURES.emit("speaker_gap_windows", gaps, "10 ms windows", "== 0")
    FIGURES.emit("mic_tone_share", heard_mic, "share", ">= 0.9")
    FIGURES.emit("speaker_tone_share", heard_peer, "share", ">= 0.9")
    machine = machine_stalls(
        samples, first, steal, window_ends, ours, reference, anchor, anchor_log
    )
    FIGURES.emit("reference_underruns", len(reference), "count", "control: no bridge")
    FIGURES.emit(
        "reference_32ms_underruns",
        len(reference_long),
        "count",
        "control: a 32 ms server buffer, beyond the 40 ms path's reach",
    )
    FIGURES.emit("steal_max_pct", machine["steal_max_pct"], "% per 0.5 s", "control")
    outside = [machine["outside_ring"], machine["outside_sink"]]
    FIGURES.emit("underruns_outside_stalls", sum(outside), "count", "control: the bridge's alone")
    detail = {
        "mic_ring_ms": round(mic_ring, 2),
        "speaker_ring_ms": round(speaker_ring, 2),
        "sink_queued_ms": round(queued, 2),
        "capture_block_ms": round(block, 2),
        "pulse_source_buffer_ms": round(fmean(source_latency), 2),
        "pulse_sink_buffer_ms": round(fmean(sink_latency), 2),
        "trims": [last["mic_trims"], last["speaker_trims"]],
        "frames_per_s": [
            round((last["frames_sent"] - first["frames_sent"]) / elapsed, 2),
            round((last["frames_received"] - first["frames_received"]) / elapsed, 2),
        ],
        "ring_underruns": ring_underruns,
        "sink_underruns": sink_underruns,
        "sink_starvations": starvations,
        "sink_dropouts": last["playback_dropouts"] - first["playback_dropouts"],
        "mic_target_ms": round(last["mic_target_ms"], 1),
        "underruns_with_starvations": sum(ring_underruns) + starvations,
        "thread_cpu_pct": dict(sorted(thread_pct.items(), key=lambda kv: -kv[1])),
        "server_log_kib": round(len(server_log) / 1024, 1),
        "sink_queue_target_ms": round(last["playback_queue_target_ms"], 1),
        "sink_rate": round((last["playback_frames"] - first["playback_frames"]) / elapsed),
        "speed": [round(last["mic_speed"], 5), round(last["speaker_speed"], 5)],
        "resampled_share": [
            round(last["mic_resampled_share"], 3),
            round(last["speaker_resampled_share"], 3),
        ],
        "mic_late_waits": last["mic_late_waits"] - first["mic_late_waits"],
        "mic_late_saved": last["mic_late_saved"] - first["mic_late_saved"],
        "mic_late_wait_ms": round(last["mic_late_wait_ms"] - first["mic_late_wait_ms"], 1),
        "sink_underruns_shared": shared_with(ours, reference, SHARED_WITHIN_S),
        "sink_underruns_shared_32ms": shared_with(ours, reference_long, SHARED_WITHIN_S),
        "outside_stalls": outside,
        "realtime": last.get("realtime_threads", []),
        "control_priority": control_priority,
        "steal_windows": machine["steal_windows"],
        "stalled_windows": machine["stalled_windows"],
        "windows": len(samples),
    }
    print(json.dumps({"benchmark": NAME, "detail": detail}), file=sys.stderr)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
