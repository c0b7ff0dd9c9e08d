"""A real PulseAudio server for tests, with virtual headsets made of null sinks.

Everything (runtime dir, cookie, HOME) lives in a temporary directory, so tests never
touch the sound setup of whoever runs them. A *speaker* is a null sink whose monitor the
test records; a *microphone* is a null sink the test plays into, whose monitor is
remapped as a real source (Qt hides ``.monitor`` sources).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from testbed.timing import wait_until

LISTEN_POLL_S = 0.2
"""How often a test checks what a device heard: each check reads a whole recording."""


class AudioServerError(RuntimeError):
    """The PulseAudio server could not be started or driven."""


@dataclass
class VirtualDevice:
    name: str
    modules: list[int]


@dataclass
class AudioServer:
    root: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    devices: dict[str, VirtualDevice] = field(default_factory=dict)

    # -- control --------------------------------------------------------------------
    def pactl(self, *args: str) -> str:
        result = subprocess.run(
            ["pactl", *args], check=False, env=self.env, capture_output=True, text=True, timeout=20
        )
        if result.returncode != 0:
            raise AudioServerError(f"pactl {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout.strip()

    @property
    def log_path(self) -> Path:
        """The server's own log (stdout and stderr of the daemon)."""
        return self.root / "pulseaudio.log"

    def debug_log(self) -> None:
        """Turn the server's log level to debug (it then logs each stream underrun), each
        line stamped with the seconds since the server's first log line.

        ``pactl`` has no log-level command and ``pacmd`` needs a pid file, so the CLI
        protocol is loaded on a private socket and spoken to directly.
        """
        path = self.root / "cli"
        self._load("module-cli-protocol-unix", f"socket={path}")
        with socket.socket(socket.AF_UNIX) as cli:
            cli.settimeout(10)
            cli.connect(str(path))
            cli.sendall(b"set-log-level 4\nset-log-time 1\n")
            cli.shutdown(socket.SHUT_WR)
            while cli.recv(4096):
                pass

    def _load(self, *args: str) -> int:
        return int(self.pactl("load-module", *args))

    def add_speaker(self, name: str, rate: int = 48000) -> str:
        """A playback device; record what reaches it with :meth:`record`."""
        module = self._load(
            "module-null-sink",
            f"sink_name={name}",
            f"rate={rate}",
            "channels=2",
            f"sink_properties=device.description={name}",
        )
        self.devices[name] = VirtualDevice(name, [module])
        return name

    def add_microphone(self, name: str, rate: int = 48000) -> str:
        """A capture device ``name``; feed it with :meth:`play` on ``<name>_feed``."""
        feed = f"{name}_feed"
        sink = self._load(
            "module-null-sink",
            f"sink_name={feed}",
            f"rate={rate}",
            "channels=1",
            f"sink_properties=device.description={feed}",
        )
        source = self._load(
            "module-remap-source",
            f"master={feed}.monitor",
            f"source_name={name}",
            "channels=1",
            f"source_properties=device.description={name}",
        )
        self.devices[name] = VirtualDevice(name, [sink, source])
        return name

    def remove(self, name: str) -> None:
        """Unplug a device (its modules unloaded, in reverse order)."""
        device = self.devices.pop(name)
        for module in reversed(device.modules):
            self.pactl("unload-module", str(module))

    def set_defaults(self, sink: str | None = None, source: str | None = None) -> None:
        if sink:
            self.pactl("set-default-sink", sink)
        if source:
            self.pactl("set-default-source", source)

    # -- audio in and out -----------------------------------------------------------
    def play(self, sink: str, pcm: np.ndarray, rate: int = 48000) -> subprocess.Popen[bytes]:
        """Start playing mono int16 ``pcm`` into ``sink``; returns the running pacat."""
        proc = subprocess.Popen(
            [
                "pacat",
                "--playback",
                f"--device={sink}",
                "--format=s16le",
                f"--rate={rate}",
                "--channels=1",
                "--latency-msec=20",
                "--raw",
            ],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        data = pcm.astype("<i2").tobytes()

        def feed() -> None:
            # pacat takes its input in real time: write from a thread, never block a test.
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError, OSError, ValueError):
                proc.stdin.write(data)
                proc.stdin.close()

        threading.Thread(target=feed, daemon=True).start()
        return proc

    def record(self, sink: str, rate: int = 48000) -> Recording:
        """Start recording what plays on ``sink`` (its monitor), mono int16."""
        path = self.root / f"rec-{sink}-{time.monotonic_ns()}.raw"
        handle = path.open("wb")
        proc = subprocess.Popen(
            [
                "pacat",
                "--record",
                f"--device={sink}.monitor",
                "--format=s16le",
                f"--rate={rate}",
                "--channels=1",
                "--latency-msec=20",
                "--raw",
            ],
            env=self.env,
            stdout=handle,
            stderr=subprocess.DEVNULL,
        )
        return Recording(path, proc, handle, rate)


@dataclass
class Recording:
    path: Path
    process: subprocess.Popen[bytes]
    handle: object
    rate: int

    def samples(self) -> np.ndarray:
        """Everything recorded so far, as float in [-1, 1]."""
        data = self.path.read_bytes()
        data = data[: len(data) // 2 * 2]
        return np.frombuffer(data, "<i2").astype(np.float64) / 32768.0

    def stop(self) -> np.ndarray:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.handle.close()  # type: ignore[attr-defined]
        return self.samples()


def stop_playing(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    if proc.stdin is not None:
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            proc.stdin.close()


def tone(freq: float, seconds: float, rate: int = 48000, amplitude: float = 0.4) -> np.ndarray:
    """A sine tone as int16."""
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * freq * t) * amplitude * 32767).astype(np.int16)


def dominant_frequency(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """(frequency of the strongest component, its share of the total energy)."""
    if len(samples) < rate // 10:
        return 0.0, 0.0
    x = samples - np.mean(samples)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    total = float(np.sum(spectrum)) or 1.0
    peak = int(np.argmax(spectrum))
    band = float(np.sum(spectrum[max(0, peak - 3) : peak + 4]))
    return peak * rate / len(x), band / total


def tone_share(samples: np.ndarray, rate: int, freq: float) -> float:
    """Share of the energy within ±15 Hz of ``freq`` (0 when silent)."""
    if len(samples) < rate // 10:
        return 0.0
    x = samples - np.mean(samples)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    total = float(np.sum(spectrum))
    if total < 1e-9 * len(x):
        return 0.0
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    return float(np.sum(spectrum[np.abs(freqs - freq) <= 15]) / total)


@contextmanager
def audio_server(root: Path) -> Iterator[AudioServer]:
    """Start a private PulseAudio daemon; yield it with its environment."""
    for tool in ("pulseaudio", "pactl", "pacat"):
        if shutil.which(tool) is None:
            raise AudioServerError(
                f"{tool} is not installed (Debian: pulseaudio, pulseaudio-utils)"
            )
    runtime = root / "run"
    home = root / "home"
    for path in (runtime, home):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "PULSE_RUNTIME_PATH": str(runtime / "pulse"),
        "PULSE_STATE_PATH": str(root / "state"),
        "PULSE_COOKIE": str(root / "cookie"),
        "PULSE_SERVER": f"unix:{runtime / 'pulse' / 'native'}",
    }
    env.pop("PULSE_SINK", None)
    env.pop("PULSE_SOURCE", None)
    log = (root / "pulseaudio.log").open("wb")
    process = subprocess.Popen(
        [
            "pulseaudio",
            "--system=false",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--disallow-module-loading=no",
            "--use-pid-file=no",
            f"--load=module-native-protocol-unix socket={runtime / 'pulse' / 'native'}",
            "--load=module-always-sink",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = AudioServer(root, env, process)

    def answering() -> bool:
        if process.poll() is not None:
            raise AudioServerError(
                "pulseaudio exited: " + (root / "pulseaudio.log").read_text()[-2000:]
            )
        try:
            server.pactl("info")
        except (AudioServerError, subprocess.TimeoutExpired):
            return False
        return True

    try:
        wait_until(answering, 20, 0.1, what="pulseaudio to answer pactl")
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()
