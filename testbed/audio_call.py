"""Drive the audio call harness (:mod:`testbed.audio_call_harness`) for tests and benchmarks.

Starts the recording pjsua2 peer and Pulse's side as child processes against a test
PulseAudio server, reads Pulse's JSON-line events on a thread, and waits for conditions
(never fixed sleeps where a condition exists).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from testbed.audio_server import AudioServer
from testbed.ports import free_port
from testbed.timing import wait_until

ROOT = Path(__file__).resolve().parents[1]


class HarnessProcess:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.stderr = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "testbed.audio_call_harness", *args],
            cwd=ROOT,
            env={**env, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.strip()
            if not line.startswith("{"):
                continue
            with self._lock:
                self.events.append(json.loads(line))

    def send(self, **command: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def find(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if predicate(e)]

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0
    ) -> dict[str, Any]:
        """The latest event matching ``predicate``, waited for; fails at once if the
        process ends first."""

        def found() -> list[dict[str, Any]]:
            matches = self.find(predicate)
            if not matches and self.proc.poll() is not None:
                raise AssertionError(f"the process ended first; {self._context()}")
            return matches

        return wait_until(found, timeout, what=lambda: f"a matching event; {self._context()}")[-1]

    def _context(self) -> str:
        with self._lock:
            events = self.events[-15:]
        return f"events: {events}; stderr: {self.log.read_text(errors='replace')[-2000:]}"

    def stats(self, timeout: float = 10.0) -> dict[str, Any]:
        before = len(self.find(lambda e: e.get("event") == "stats"))
        self.send(cmd="stats")
        replies = wait_until(
            lambda: self.find(lambda e: e.get("event") == "stats")[before:],
            timeout,
            what="a stats reply",
        )
        return replies[-1]

    def qt_warnings(self) -> list[dict[str, Any]]:
        return self.find(lambda e: e.get("event") == "qt_warning" and not _harmless(e))

    def close(self, command: bool = True) -> int:
        if self.proc.poll() is None:
            with contextlib.suppress(BrokenPipeError, OSError):
                if command:
                    self.send(cmd="quit")
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.proc.stdin.close()  # the process ended by itself
        self.stderr.close()
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return int(self.proc.returncode)


# Qt Multimedia's start-up probe for PipeWire logs these at warning level on machines
# without libpipewire (ours: PulseAudio only); they say nothing about our streams.
HARMLESS_QT_WARNINGS = (("qt.multimedia.symbolsresolver", "pipewire"),)


def _harmless(event: dict[str, Any]) -> bool:
    return any(
        event.get("category") == cat and text in event.get("message", "")
        for cat, text in HARMLESS_QT_WARNINGS
    )


def wav_tail(path: Path, seconds: float, rate: int = 16000) -> np.ndarray:
    """The last ``seconds`` of a WAV still being written (header skipped), as float."""
    data = path.read_bytes()[44:]
    data = data[: len(data) // 2 * 2]
    pcm = np.frombuffer(data, "<i2").astype(np.float64) / 32768.0
    return pcm[-int(seconds * rate) :]


@contextmanager
def audio_call(
    server: AudioServer,
    tmp: Path,
    *,
    peer_tone: int = 1000,
    microphone: str = "",
    speaker: str = "",
    ringer: str = "",
    pulse_args: tuple[str, ...] = (),
) -> Iterator[tuple[HarnessProcess, Path]]:
    """A connected call: Pulse's side (yielded) and the peer's growing recording."""
    port = free_port()
    record = tmp / "peer.wav"
    peer = HarnessProcess(
        ["peer", "--port", str(port), "--tone", str(peer_tone), "--record", str(record)],
        server.env,
        tmp / "peer.log",
    )
    pulse: HarnessProcess | None = None
    try:
        peer.wait_for(lambda e: e.get("event") == "ready")
        pulse = HarnessProcess(
            [
                "pulse",
                "--peer-port",
                str(port),
                "--microphone",
                microphone,
                "--speaker",
                speaker,
                "--ringer",
                ringer,
                *pulse_args,
            ],
            server.env,
            tmp / "pulse.log",
        )
        pulse.wait_for(lambda e: e.get("event") == "media" and e.get("active"))
        yield pulse, record
    finally:
        if pulse is not None:
            code = pulse.close()
            assert code == 0, (
                f"Pulse's side exited with {code}: "
                + (tmp / "pulse.log").read_text(errors="replace")[-3000:]
            )
            assert pulse.find(lambda e: e.get("event") == "stopped"), "no clean shutdown"
        peer.close(command=False)
