"""``pulse-phone audio-test``: list the audio devices and run an echo test (mic → speaker).

For the agent ("can they hear me?") and for IT diagnosing "no audio" from a shell: the
microphone is played back on the speaker after ``--delay-ms``, through the same
resampling and ring buffers a call uses, while input and output levels are printed as
JSON lines. The exit status is 0 when the microphone delivered sound and the speaker
played it, 1 otherwise (with the reason), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from agent_app.foundation import qt_compat

SILENT_DB = -60.0


@dataclass(frozen=True)
class EchoResult:
    microphone: str
    speaker: str
    input_peak_db: float
    output_peak_db: float

    @property
    def ok(self) -> bool:
        return self.input_peak_db > SILENT_DB and self.output_peak_db > SILENT_DB

    @property
    def problem(self) -> str:
        if not self.microphone:
            return "no microphone could be opened"
        if not self.speaker:
            return "no speaker could be opened"
        if self.input_peak_db <= SILENT_DB:
            return "no sound from the microphone (muted, unplugged or the wrong device?)"
        if self.output_peak_db <= SILENT_DB:
            return "nothing was played on the speaker"
        return ""


def run_echo_test(
    seconds: float,
    delay_ms: int,
    microphone: str = "",
    speaker: str = "",
    on_levels: Any = None,
) -> EchoResult:
    """Run the echo test on the current thread's Qt event loop (a QCoreApplication)."""
    from PySide6.QtCore import QCoreApplication, QTimer

    from agent_app.telephony.audio.audio_thread import AudioDevices
    from agent_app.telephony.audio.ring import SampleRing
    from agent_app.telephony.audio.routing import Route

    app = QCoreApplication.instance() or QCoreApplication([])
    rate = 16000
    delay = max(20, delay_ms) * rate // 1000
    ring = SampleRing(delay * 4 + rate // 2, prime=delay)
    devices = AudioDevices({"microphone": microphone, "speaker": speaker})
    devices.open_route(Route(ring, ring, rate, delay, delay))
    worker = devices.worker
    peaks = {"in": -90.0, "out": -90.0}
    ids = {"microphone": "", "speaker": ""}

    def sample() -> None:
        peaks["in"] = max(peaks["in"], worker.input_meter.peak_db)
        peaks["out"] = max(peaks["out"], worker.output_meter.peak_db)
        if worker.capture is not None:
            ids["microphone"] = worker.capture.device_id
        if worker.playback is not None:
            ids["speaker"] = worker.playback.device_id
        if on_levels is not None:
            on_levels(worker.input_meter.peak_db, worker.output_meter.peak_db)

    timer = QTimer()
    timer.timeout.connect(sample)
    timer.start(250)
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    timer.stop()
    sample()
    devices.close()
    return EchoResult(ids["microphone"], ids["speaker"], peaks["in"], peaks["out"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("audio test")
    g.add_argument("--list", action="store_true", help="list the audio devices and exit")
    g.add_argument("--seconds", type=float, default=5.0, help="length of the echo test")
    g.add_argument("--delay-ms", type=int, default=300, help="echo delay (default 300 ms)")
    g.add_argument("--microphone", default=None, help="device id (default: configured/OS)")
    g.add_argument("--speaker", default=None, help="device id (default: configured/OS)")


def _print(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QCoreApplication

    _app = QCoreApplication.instance() or QCoreApplication([])
    if args.list:
        from agent_app.telephony.audio.devices import list_devices

        for direction, devices in list_devices().items():
            for d in devices:
                _print(
                    {
                        "event": "audio_device",
                        "direction": direction[:-1],
                        "id": d.id,
                        "name": d.name,
                        "default": d.is_default,
                    }
                )
        return 0
    if args.seconds <= 0 or args.delay_ms < 0:
        print("audio-test: --seconds must be > 0 and --delay-ms >= 0", file=sys.stderr)
        return 2
    microphone, speaker = args.microphone, args.speaker
    if microphone is None or speaker is None:
        from agent_app.foundation.config import ConfigError, load_settings

        try:
            audio = load_settings().settings.audio
        except ConfigError as exc:
            print(f"audio-test: {exc}", file=sys.stderr)
            return 2
        microphone = audio.microphone if microphone is None else microphone
        speaker = audio.speaker if speaker is None else speaker
    result = run_echo_test(
        args.seconds,
        args.delay_ms,
        microphone,
        speaker,
        on_levels=lambda i, o: _print(
            {"event": "audio_levels", "input_peak_db": round(i, 1), "output_peak_db": round(o, 1)}
        ),
    )
    _print(
        {
            "event": "audio_test_result",
            "ok": result.ok,
            "microphone": result.microphone,
            "speaker": result.speaker,
            "input_peak_db": round(result.input_peak_db, 1),
            "output_peak_db": round(result.output_peak_db, 1),
            "problem": result.problem,
        }
    )
    if not result.ok:
        print(f"audio-test: {result.problem}", file=sys.stderr)
    return 0 if result.ok else 1


SUBCOMMAND: dict[str, Any] = {
    "name": "audio-test",
    "help": "list audio devices, or play the microphone back on the speaker (echo test)",
    "add_arguments": add_arguments,
    "run": run,
}
"""What pulse-phone registers (``Subcommand(**SUBCOMMAND)``)."""


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m agent_app.telephony.audio.audio_test_cli``)."""
    qt_compat.apply()
    parser = argparse.ArgumentParser(prog="pulse-phone audio-test")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
