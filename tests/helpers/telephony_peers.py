"""Real SIP peers for telephony tests: pulse-phone processes, the engine client, sipp,
Kamailio; plus tone files and the FFT that finds a tone in a recording."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from agent_app.telephony import protocol as p
from testbed.timing import wait_until

RATE = 16000


# ------------------------------------------------------------------ tones


def write_tone(path: Path, freq: float, seconds: float = 3.0, level: float = 0.3) -> Path:
    t = np.arange(int(RATE * seconds)) / RATE
    pcm = (level * 32767 * np.sin(2 * np.pi * freq * t)).astype("<i2")
    with wave.open(str(path), "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(RATE)
        fh.writeframes(pcm.tobytes())
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as fh:
        rate = fh.getframerate()
        data = np.frombuffer(fh.readframes(fh.getnframes()), "<i2").astype(np.float64)
    return data, rate


def tone_strength(samples: np.ndarray, rate: int, freq: float) -> float:
    """Share of the signal's energy within ±30 Hz of ``freq`` (0..1)."""
    if len(samples) < rate // 20:
        return 0.0
    spec = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    total = spec.sum()
    if total <= 0 or np.sqrt(np.mean(samples**2)) < 100:
        return 0.0
    band = spec[(freqs > freq - 30) & (freqs < freq + 30)].sum()
    return float(band / total)


def tone_windows(path: Path, freq: float, window_s: float = 0.25) -> list[float]:
    wait_file(path)
    data, rate = read_wav(path)
    n = int(rate * window_s)
    return [tone_strength(data[i : i + n], rate, freq) for i in range(0, len(data) - n + 1, n)]


def wait_file(path: Path, timeout: float = 10.0) -> None:
    """Wait until a recording is closed: a valid WAV header and a size that stays put."""
    sizes = [-1]

    def closed() -> bool:
        size = path.stat().st_size if path.exists() else -1
        settled = size > 44 and size == sizes[-1]
        sizes.append(size)
        if settled:
            with contextlib.suppress(wave.Error, EOFError), wave.open(str(path)) as fh:
                return fh.getnframes() * 2 + 44 >= size - 64
        return False

    wait_until(closed, timeout, 0.2, what=f"{path.name} to be written and closed")


# ------------------------------------------------------------------ event streams


class EventLog:
    """Events as they arrive (any thread), with waiting on a condition."""

    def __init__(self) -> None:
        self._queue: queue.Queue[p.Event] = queue.Queue()
        self.seen: list[p.Event] = []

    def put(self, event: p.Event) -> None:
        self._queue.put(event)

    def wait_for(
        self, predicate: Callable[[p.Event], bool], timeout: float = 15.0, what: str = ""
    ) -> Any:
        for event in self.seen:
            if predicate(event):
                return event
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                kinds = [
                    f"{e.type}({e.message})" if isinstance(e, p.CommandFailed) else e.type
                    for e in self.seen
                ][-30:]
                raise AssertionError(f"timed out waiting for {what or 'an event'}; saw {kinds}")
            try:
                event = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(event)
            if predicate(event):
                return event

    def wait_type(self, cls: type[Any], timeout: float = 15.0, **fields: Any) -> Any:
        def match(e: p.Event) -> bool:
            return isinstance(e, cls) and all(getattr(e, k) == v for k, v in fields.items())

        return self.wait_for(match, timeout, f"{cls.__name__} {fields}")

    def drain(self) -> list[p.Event]:
        while True:
            try:
                self.seen.append(self._queue.get_nowait())
            except queue.Empty:
                return self.seen

    def of_type(self, cls: type[Any], **fields: Any) -> list[Any]:
        self.drain()
        return [
            e
            for e in self.seen
            if isinstance(e, cls) and all(getattr(e, k) == v for k, v in fields.items())
        ]


class Phone:
    """A pulse-phone process; its stdout events land in ``events``."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self.events = EventLog()
        self.stderr_path = cwd / f"phone-{id(self)}.err"
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent_app.telephony.phone_cli", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            env={**os.environ, **(env or {})},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with contextlib.suppress(p.ProtocolError):
                message = p.decode(line)
                if isinstance(message, p.Event):
                    self.events.put(message)

    def ready(self, timeout: float = 20.0) -> p.EngineReady:
        event: p.EngineReady = self.events.wait_type(p.EngineReady, timeout)
        return event

    def send(self, command: p.Command) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(p.encode(command))
        self.proc.stdin.flush()

    def wait_exit(self, timeout: float = 20.0) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError, BrokenPipeError):
                    stream.close()
        self._stderr.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


@contextlib.contextmanager
def phones(tmp_path: Path) -> Iterator[Callable[..., Phone]]:
    """A factory of pulse-phone peers, all stopped at exit."""
    started: list[Phone] = []

    def make(*args: str, env: dict[str, str] | None = None) -> Phone:
        phone = Phone(list(args), tmp_path, env)
        started.append(phone)
        return phone

    try:
        yield make
    finally:
        for phone in started:  # all at once: each needs a moment to hang up and unregister
            if phone.proc.poll() is None:
                phone.proc.send_signal(signal.SIGTERM)
        for phone in started:
            phone.stop()


# ------------------------------------------------------------------ sipp, kamailio


class Daemon:
    def __init__(self, args: list[str], cwd: Path, name: str) -> None:
        self.log_path = cwd / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def sipp(cwd: Path, *args: str, name: str = "sipp") -> Daemon:
    return Daemon(
        ["/usr/sbin/sipp" if Path("/usr/sbin/sipp").exists() else "sipp", *args], cwd, name
    )


def wait_tcp(port: int, timeout: float = 10.0) -> None:
    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return True
        except OSError:
            return False

    wait_until(listening, timeout, what=f"a listener on TCP {port}")


def wait_bound(port: int, transport: str = "udp", timeout: float = 10.0) -> None:
    """Wait until someone holds ``port`` for ``transport`` (udp or tcp): our bind attempt
    fails. Unlike a connection, it leaves a one-shot peer such as sipp undisturbed."""
    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM

    def bound() -> bool:
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return True
        return False

    wait_until(bound, timeout, what=f"someone to bind {transport.upper()} {port}")


def json_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


DATA = Path(__file__).resolve().parents[1] / "integration" / "telephony" / "data"
TEST_PASSWORD = "pulse-test-secret"


def sipp_registrar(cwd: Path, port: int, transport: str = "u1", calls: int = 1) -> Daemon:
    scenario = cwd / "registrar.xml"
    scenario.write_text(
        (DATA / "sipp_registrar.xml").read_text().replace("PASSWORD", TEST_PASSWORD)
    )
    return sipp(
        cwd,
        "-sf",
        str(scenario),
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-t",
        transport,
        "-m",
        str(calls),
        "-nostdin",
        "-trace_err",
        name="sipp-registrar",
    )


def kamailio(
    cwd: Path,
    port: int,
    tls_port: int = 0,
    cert: Path | None = None,
    key: Path | None = None,
) -> Daemon:
    """Kamailio on UDP+TCP ``port`` (and TLS ``tls_port`` with cert/key when given)."""
    config = cwd / "kamailio.cfg"
    text = (DATA / "kamailio.cfg").read_text().replace("PORT", str(port))
    if tls_port and cert and key:
        text = text.replace(
            "#TLS_LISTEN", f"enable_tls=yes\nlisten=tls:127.0.0.1:{tls_port}"
        ).replace(
            "#TLS_MODULE",
            "\n".join(
                [
                    'loadmodule "tls.so"',
                    f'modparam("tls", "certificate", "{cert}")',
                    f'modparam("tls", "private_key", "{key}")',
                    'modparam("tls", "tls_method", "TLSv1.2+")',
                    'modparam("tls", "verify_certificate", 0)',
                    'modparam("tls", "require_certificate", 0)',
                ]
            ),
        )
    config.write_text(text.replace("PASSWORD", TEST_PASSWORD))
    daemon = Daemon(
        [
            "/usr/sbin/kamailio",
            "-f",
            str(config),
            "-DD",
            "-E",
            "-Y",
            str(cwd),
            "-P",
            str(cwd / "kamailio.pid"),
            "-w",
            str(cwd),
        ],
        cwd,
        "kamailio",
    )
    try:
        wait_tcp(port)
        if tls_port:
            wait_tcp(tls_port)
    except AssertionError:
        daemon.stop()
        raise AssertionError("kamailio did not start:\n" + daemon.log()[-3000:]) from None
    return daemon
