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
What reaches the speaker is checked too: ``speaker_gap_windows`` counts 10 ms windows of
the speaker's output that fell silent during the peer's steady tone (dropouts an agent
would hear).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from statistics import fmean

import numpy as np

from tests.helpers.audio_call import audio_call, wav_tail
from tests.helpers.audio_server import audio_server, stop_playing, tone, tone_share

NAME = "audio_bridge"
WARMUP_S = 5.0
PROBE_SETTLE_S = 1.0
BRIDGE_THREADS = ("pulse-audio", "QPulseAudioEngi")


def figure(name: str, value: float, unit: str, target: str) -> None:
    print(
        json.dumps(
            {
                "benchmark": NAME,
                "figure": name,
                "value": round(value, 2),
                "unit": unit,
                "target": target,
            }
        ),
        flush=True,
    )


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


def server_underruns(log_text: str) -> int:
    """Underruns the sound server reported for Qt's playback stream: each is the server
    finding the stream's buffer empty when the device needed audio (it plays silence
    until data comes back). ``pacat`` streams are the test's own feeders."""
    return len(re.findall(r"(?:Implicit|Actual) underrun of 'QtmPulseStream", log_text))


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


def stream_buffer_latency_ms(pactl_listing: str) -> float:
    """Buffer latency of Qt's stream in a ``pactl list sink-inputs/source-outputs``."""
    values = []
    for block in re.split(r"\n(?=\S)", pactl_listing):
        if "QtmPulseStream" not in block and "pacat" in block:
            continue
        if 'application.name = "pacat"' in block:
            continue
        match = re.search(r"Buffer Latency: (\d+) usec", block)
        if match:
            values.append(int(match.group(1)) / 1000)
    return max(values) if values else 0.0


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
            try:
                with audio_call(server, root) as (pulse, record):
                    pid = pulse.proc.pid
                    source_latency: list[float] = []
                    sink_latency: list[float] = []

                    def probe_buffers() -> None:
                        source_latency.append(
                            stream_buffer_latency_ms(server.pactl("list", "source-outputs"))
                        )
                        sink_latency.append(
                            stream_buffer_latency_ms(server.pactl("list", "sink-inputs"))
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
                    while time.monotonic() - t0 < seconds:
                        time.sleep(0.5)
                        samples.append(pulse.stats())
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
            finally:
                stop_playing(player)
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
    sink_underruns = server_underruns(server_log)
    starvations = last["playback_starvations"] - first["playback_starvations"]
    underruns = sum(ring_underruns) + sink_underruns
    overruns = (last["mic_overruns"] - first["mic_overruns"]) + (
        last["speaker_overruns"] - first["speaker_overruns"]
    )
    figure("mic_to_rtp_ms", mic_to_rtp, "ms", "<= 40")
    figure("rtp_to_speaker_ms", rtp_to_speaker, "ms", "<= 40")
    figure("underruns", underruns, "count", "== 0")
    figure("overruns", overruns, "count", "== 0")
    figure("bridge_cpu_pct", bridge_cpu, "% of one core", "<= 5")
    figure("cpu_pct", cpu, "% of one core", "<= 5")
    figure("audio_thread_cpu_pct", audio_cpu, "% of one core", "<= 5")
    figure("call_seconds", elapsed, "s", f">= {seconds:g}")
    figure("speaker_gap_windows", gaps, "10 ms windows", "== 0")
    figure("mic_tone_share", heard_mic, "share", ">= 0.9")
    figure("speaker_tone_share", heard_peer, "share", ">= 0.9")
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
    }
    print(json.dumps({"benchmark": NAME, "detail": detail}), file=sys.stderr)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
