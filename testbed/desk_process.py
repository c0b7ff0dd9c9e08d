"""The real desktop app as a child process, for the benchmarks: its configuration, its
timing marks, and the processes it started.

:func:`write_config` writes the per-user ``pulse.toml`` under a private ``PULSE_HOME``
(a real central server's URL, a direct-call SIP account on a loopback port, the desk's
options). :class:`DeskProcess` starts ``python -m agent_app`` (``signs_in=False``: the
login window is as far as it gets) or ``python -m testbed.desk_app`` (it signs in and goes
Ready by itself) offscreen, reads the marks it writes (``PULSE_TIMING_PROBE``, see
:mod:`agent_app.views.timing_probe`) and stops it with SIGTERM, as a session ending would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from testbed.processes import descendants
from testbed.timing import wait_until

ROOT = Path(__file__).resolve().parents[1]
ENGINE_MODULE = "agent_app.telephony.engine_server"


def write_config(
    home: Path,
    *,
    server_url: str,
    sip_port: int,
    auto_answer: bool = False,
) -> Path:
    """The agent's ``pulse.toml`` in ``home`` (``PULSE_HOME``); returns its path."""
    path = home / "config" / "pulse.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n".join(
            [
                "[sync]",
                f'server_url = "{server_url}"',
                "",
                "[sip]",
                'username = "agent"',
                'registrar = ""',
                'domain = "127.0.0.1"',
                f"local_port = {sip_port}",
                "",
                "[desk]",
                f"auto_answer = {'true' if auto_answer else 'false'}",
                "auto_answer_delay_s = 0.5",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return path


class DeskProcess:
    """One run of the app; ``started_at`` is ``time.monotonic()`` just before it started."""

    def __init__(
        self,
        work: Path,
        env: dict[str, str],
        *,
        signs_in: bool,
        agent: str = "",
        password: str = "",
        name: str = "desk",
        command: list[str] | None = None,
    ) -> None:
        """``command`` replaces ``python -m agent_app`` (the frozen bundle's program)."""
        self.probe = work / f"{name}-marks.jsonl"
        self.probe.unlink(missing_ok=True)
        self.log_path = work / f"{name}.log"
        self._log = self.log_path.open("wb")
        child_env = {
            **env,
            "QT_QPA_PLATFORM": "offscreen",
            "PULSE_TIMING_PROBE": str(self.probe),
            "PYTHONPATH": str(ROOT),
        }
        if signs_in:
            child_env["DESK_APP_AGENT"] = agent
            child_env["DESK_APP_PASSWORD"] = password
        module = "testbed.desk_app" if signs_in else "agent_app"
        # The app's own log files: what this run adds to them is read at the end.
        self._logs = Path(env["PULSE_HOME"]) / "logs"
        self._log_sizes = {f: f.stat().st_size for f in self._logs.glob("*.log*")}
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            command or [sys.executable, "-m", module],
            cwd=ROOT,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def marks(self) -> dict[str, float]:
        """Each mark's first time (monotonic seconds)."""
        found: dict[str, float] = {}
        try:
            lines = self.probe.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return found
        for line in lines:
            if line.endswith("}"):
                item: dict[str, Any] = json.loads(line)
                found.setdefault(str(item["mark"]), float(item["t"]))
        return found

    def wait_mark(self, name: str, timeout: float = 60.0) -> float:
        def seen() -> float | None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited ({self.proc.returncode}): {self.tail()}")
            return self.marks().get(name)

        found = wait_until(seen, timeout, 0.01, what=f"the app's '{name}' mark")
        assert found is not None
        return found

    def processes(self) -> dict[int, str]:
        """The app and every process it started: pid → role ("gui", "engine", or the
        command line of anything else)."""
        found = {self.pid: "gui"}
        for pid, command in descendants(self.pid).items():
            found[pid] = "engine" if ENGINE_MODULE in command else command
        return found

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:]

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, as a session ending would; raise if the app did not close cleanly then
        (SIGKILL after ``timeout``) or wrote a traceback or an error on its way."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        code = self.proc.returncode
        # The app closes on SIGTERM and exits 128 + SIGTERM to say why.
        if code not in (0, 128 + signal.SIGTERM):
            raise RuntimeError(f"the app exited with {code}: {self.tail()}")
        text = self.log_path.read_text(errors="replace")
        for path in self._logs.glob("*.log*"):
            with path.open("rb") as log:
                log.seek(self._log_sizes.get(path, 0))
                text += log.read().decode(errors="replace")
        problems = [
            line
            for line in text.splitlines()
            if "Traceback" in line or " ERROR " in line or "Fatal Python error" in line
        ]
        if problems:
            raise RuntimeError(f"the app reported problems: {problems[:5]}; {self.tail()}")


def enrol_desk(env: dict[str, str], code: str) -> None:
    """Enrol the desk of ``env`` (its device id, its keyring) with IT's one-time ``code``, as
    ``pulse-agent enrol`` does on a new workstation, before the desk signs in."""
    done = subprocess.run(
        [sys.executable, "-m", "agent_app", "enrol", "--code-env", "PULSE_ENROLMENT_CODE"],
        env={**env, "PULSE_ENROLMENT_CODE": code},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pulse-agent enrol failed: {done.stderr[-2000:]}")


def app_environment(work: Path, extra: dict[str, str]) -> dict[str, str]:
    """``os.environ`` with ``PULSE_HOME`` in ``work`` and no ``PULSE_<SECTION>_*`` set by
    the caller's shell (the config file decides), plus ``extra``."""
    sections = ("SYNC", "SIP", "AUDIO", "SECURITY", "DESK", "LOG", "UI")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(tuple(f"PULSE_{s}_" for s in sections))
    }
    env.pop("PULSE_MACHINE_CONFIG", None)
    env["PULSE_HOME"] = str(work / "home")
    env.update(extra)
    return env
