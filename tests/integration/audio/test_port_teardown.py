"""The bridge's port on pjsua2's media clock thread: its pinned thread state and its teardown.

Pulse's side (the audio call harness) calls a pjsua2 peer through a real PulseAudio
server. While the call runs, the port keeps the media clock thread's Python thread state
(one pin, taken on that thread); after the call it must be given back on the same thread,
and ``QtCallAudio.stop()`` must take the port out of the conference before the object
goes, even when the clock thread is slow and sits inside the port's callbacks (the
shutdown crash once seen under ``strace``: a callback on a half-destroyed port, then
SIGSEGV).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from testbed.audio_call import HarnessProcess, audio_call
from testbed.audio_server import AudioServer, stop_playing, tone
from testbed.timing import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(180)]

HOOKS = ("--stalling-port",)


def _teardown(pulse: Any) -> dict[str, Any]:
    stopped = pulse.find(lambda e: e.get("event") == "stopped")
    assert stopped, "no clean shutdown"
    report = stopped[-1].get("teardown")
    assert report is not None, "the bridge gave no teardown report"
    return dict(report)


def _assert_clean_log(log: Path) -> None:
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
    assert "AttributeError" not in text, text[-3000:]


def test_clock_pin_taken_and_released_on_the_clock_thread(
    pulse_server: AudioServer, tmp_path: Path
) -> None:
    player = pulse_server.play("headset_mic_feed", tone(700, 60))
    try:
        with audio_call(pulse_server, tmp_path, pulse_args=HOOKS) as (pulse, _record):
            wait_until(
                lambda: pulse.stats()["frames_received"] > 100,
                interval=0.2,
                what="100 frames received",
            )
    finally:
        stop_playing(player)
    _assert_clean_log(tmp_path / "pulse.log")
    report = _teardown(pulse)
    threads = pulse.find(lambda e: e.get("event") == "stopped")[-1]["callback_threads"]
    assert report["pins_taken"] >= 1, report
    assert report["pins_released"] == report["pins_taken"], report
    assert report["pins_lost"] == 0, report
    # Each release ran on the thread that took the pin: pjsua2's media clock thread.
    assert report["released_on"] == report["pinned_on"], report
    assert {threads[str(tid)] for tid in report["pinned_on"]} == {"clock"}, (report, threads)
    assert report["left_conference"], report


@pytest.mark.parametrize("command", ["stall_clock", "hold_gil"])
def test_stop_while_the_clock_sits_in_the_callbacks(
    pulse_server: AudioServer, tmp_path: Path, command: str
) -> None:
    player = pulse_server.play("headset_mic_feed", tone(700, 60))
    try:
        with audio_call(pulse_server, tmp_path, pulse_args=HOOKS) as (pulse, _record):
            wait_until(
                lambda: pulse.stats()["frames_received"] > 50,
                interval=0.2,
                what="50 frames received",
            )
            pulse.send(cmd=command, ms=12)
            time.sleep(0.3)  # the clock runs slowed for a while: the stop must meet it there
    finally:
        stop_playing(player)
    # audio_call checked the exit code (no SIGSEGV) and the "stopped" event.
    _assert_clean_log(tmp_path / "pulse.log")
    report = _teardown(pulse)
    assert report["left_conference"], report
    assert report["pins_released"] == report["pins_taken"], report


@pytest.mark.parametrize("hold_gil_ms", [3, 12])
def test_repeated_stops_while_another_thread_holds_the_gil(
    pulse_server: AudioServer, tmp_path: Path, hold_gil_ms: int
) -> None:
    """The race itself: the clock thread waits for the GIL inside a tick (the port already
    looked up) while the bridge stops; before the fix this died within a few cycles
    (AttributeError on the half-destroyed port, then SIGSEGV or an abort)."""
    log = tmp_path / "teardown.log"
    proc = HarnessProcess(
        ["teardown", "--cycles", "12", "--hold-gil-ms", str(hold_gil_ms)],
        pulse_server.env,
        log,
    )
    proc.wait_for(lambda e: e.get("event") == "stopped", timeout=120)
    code = proc.close(command=False)
    assert code == 0, log.read_text(errors="replace")[-3000:]
    _assert_clean_log(log)
    reports = proc.find(lambda e: e.get("event") == "teardown")
    assert len(reports) == 12
    for report in reports:
        assert report["left_conference"], report
        assert report["pins_taken"] == report["pins_released"] >= 1, report
        assert report["released_on"] == report["pinned_on"], report


def test_pin_left_on_an_ended_clock_thread_is_harmless_at_exit(
    pulse_server: AudioServer, tmp_path: Path
) -> None:
    log = tmp_path / "clock-gone.log"
    proc = HarnessProcess(["clock-gone"], pulse_server.env, log)
    proc.wait_for(lambda e: e.get("event") == "stopped", timeout=60)
    code = proc.close(command=False)
    assert code == 0, log.read_text(errors="replace")[-3000:]
    _assert_clean_log(log)
    report = proc.find(lambda e: e.get("event") == "teardown")[-1]
    # Nothing could give the pin back (its thread had ended) and nothing removed the
    # port; the bridge said so and the process still exited cleanly.
    assert report["pins_taken"] == 1 and report["pins_released"] == 0, report
    assert not report["left_conference"], report
    text = log.read_text(errors="replace")
    assert "did not call the port while it was closing" in text
