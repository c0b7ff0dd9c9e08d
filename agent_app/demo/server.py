"""The demo that ``make run`` starts: a central server on loopback with a synthetic world,
and beside it a phone system (:mod:`agent_app.demo.pbx`) where the desk registers.

The server runs as a child process (``pulse-server demo``) on a free 127.0.0.1 port with
its SQLite file in the data directory, seeded once with synthetic patients, campaigns,
scripts and a demo agent. Nothing here is used outside ``--demo``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent_app.demo import processes
from agent_app.demo.patient_phones import PatientFeedError, PatientPhones, start_patient_phones
from agent_app.demo.pbx import DemoPbx, PbxUnavailable, start_demo_pbx
from agent_app.demo.ringer import DemoCase, DemoRinger, read_cases
from agent_app.demo.voicemail import install_demo_message
from agent_app.foundation import paths
from agent_app.sync.http_client import Client, HttpError

if TYPE_CHECKING:
    from agent_app.foundation.config import SipSettings
    from agent_app.secrets.protocols import Secrets

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 60.0

MESSAGES_FOLDER = "messages"
"""Where in the data directory the desk finds campaigns' voicemail messages (``app.py``)."""
PHONE_FILE = "phone.json"
"""In the demo's directory while its PBX runs: where ``tools/demo-call`` finds it."""


class DemoError(Exception):
    """The demo server could not be started; the message says why."""


@dataclass
class DemoServer:
    url: str
    agent: str
    password: str
    process: subprocess.Popen[bytes]
    pbx: DemoPbx | None = None
    """The demo's phone system; None when it could not start (see ``pbx_problem``)."""
    pbx_problem: str = ""
    """Why the demo has no phone, in a sentence for the agent; empty when it has one."""
    phone_file: Path | None = None
    """The PBX's address and password for ``tools/demo-call``, while the PBX runs."""
    cases: tuple[DemoCase, ...] = ()
    """The kinds of call the demo caller places, as the demo server seeded them."""
    ringer: DemoRinger | None = None
    """The demo caller (with the PBX only)."""
    patient_phones: PatientPhones | None = None
    """The phones of the first patients the desk dials (with the PBX only)."""

    def prepare_phone(self, base: SipSettings, secrets: Secrets) -> SipSettings:
        """The ``[sip]`` settings of the demo session, with the demo's SIP password put in
        the keyring entry the desk reads. ``base`` unchanged when there is no demo PBX."""
        if self.pbx is None:
            return base
        self.pbx.store_password(secrets)
        return self.pbx.sip_settings(base)

    def stop(self) -> None:
        if self.ringer is not None:
            self.ringer.stop()
        if self.patient_phones is not None:
            self.patient_phones.stop()
        if self.phone_file is not None:
            self.phone_file.unlink(missing_ok=True)
        if self.pbx is not None:
            self.pbx.stop()
        processes.stop(self.process)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_demo_server(data_dir: Path | None = None) -> DemoServer:
    """The demo server, ready and seeded, and the demo PBX beside it with the first dialled
    patients' phones (:mod:`agent_app.demo.patient_phones`); the demo campaigns' voicemail
    message in the desk's ``messages`` folder.

    Raises :class:`DemoError` when the server cannot start. A PBX that cannot start does not
    stop the demo: ``pbx`` is None and ``pbx_problem`` says why, also on standard error.
    """
    directory = data_dir or paths.data_dir() / "demo-server"
    try:
        install_demo_message(paths.data_dir() / MESSAGES_FOLDER)
    except OSError as exc:
        # Without it the demo still runs: the voicemail key says there is no message.
        log.warning("demo: voicemail message not written (%s)", type(exc).__name__)
    demo = _start_server(directory)
    _start_phone(demo, directory)
    return demo


def _start_server(directory: Path) -> DemoServer:
    # The server runs as its own process; only check that the extra is installed.
    if importlib.util.find_spec("server") is None:
        raise DemoError("the demo needs the server extra: pip install 'pulse-agent[server]'")
    directory.mkdir(parents=True, exist_ok=True)
    # The server seeds the demo agent with its own synthetic password and hands it over here.
    credentials = directory / "demo-agent.json"
    credentials.unlink(missing_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "server", "demo",
        "--host", "127.0.0.1", "--port", str(port),
        "--data-dir", str(directory),
        "--credentials-file", str(credentials),
    ]  # fmt: skip
    process = processes.start(command, str(directory / "server.log"))
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(
                f"the demo server exited with code {process.returncode}; "
                f"see {directory / 'server.log'}"
            )
        try:
            with Client(url, connect_timeout_s=1.0, read_timeout_s=1.0) as client:
                healthy = client.get("/api/v1/health").status_code == 200
            if healthy:
                log.info("demo server ready on port %d", port)
                return _demo(url, process, credentials)
        except HttpError:
            pass
        time.sleep(0.1)
    DemoServer(url, "", "", process).stop()
    raise DemoError(f"the demo server did not answer within {_START_TIMEOUT_S:.0f} s")


def _demo(url: str, process: subprocess.Popen[bytes], credentials: Path) -> DemoServer:
    try:
        sign_in = json.loads(credentials.read_text(encoding="utf-8"))
        return DemoServer(
            url,
            str(sign_in["username"]),
            str(sign_in["password"]),
            process,
            cases=read_cases(sign_in.get("cases")),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        DemoServer(url, "", "", process).stop()
        raise DemoError(f"the demo server did not hand over the demo sign-in ({exc})") from None


def _start_phone(demo: DemoServer, directory: Path) -> None:
    try:
        pbx = start_demo_pbx(directory / "pbx")
    except PbxUnavailable as exc:
        demo.pbx_problem = f"the demo runs without its phone: {exc}"
        log.warning("demo: %s", demo.pbx_problem)
        print(f"pulse-agent: {demo.pbx_problem}", file=sys.stderr)
        return
    demo.pbx = pbx
    demo.ringer = DemoRinger(
        registrar=pbx.registrar,
        extension=pbx.extension,
        cases=demo.cases,
        directory=directory,
    )
    demo.phone_file = directory / PHONE_FILE
    _write_private(
        demo.phone_file,
        json.dumps(
            {
                "server_url": demo.url,
                "registrar": pbx.registrar,
                "extension": pbx.extension,
                "password": pbx.password,
                "pid": pbx.process.pid,
            }
        ),
    )
    log.info("demo PBX ready on port %d", pbx.port)
    print(
        f"pulse-agent: demo phone system on {pbx.registrar}; the desk is extension "
        f"{pbx.extension}. A demo patient rings it a few seconds after sign-in "
        "(Demo > Call me again for the next); tools/demo-call rings it from a terminal, and "
        "tools/demo-dispositions lists the dispositions the desk sent.",
        file=sys.stderr,
    )
    _start_patient_phones(demo, pbx, directory)


def _start_patient_phones(demo: DemoServer, pbx: DemoPbx, directory: Path) -> None:
    try:
        demo.patient_phones = start_patient_phones(
            server_url=demo.url,
            agent=demo.agent,
            agent_password=demo.password,
            registrar=pbx.registrar,
            sip_password=pbx.password,
            directory=directory,
        )
    except (PatientFeedError, OSError) as exc:
        # The desk still reaches the PBX; only the dialled patients do not answer.
        log.warning("demo: no patient phones (%s)", type(exc).__name__)
        return
    print(
        "pulse-agent: the demo patients first on the campaigns' dial queues have phones "
        f"(by MRN): {demo.patient_phones.describe()}.",
        file=sys.stderr,
    )


def _write_private(path: Path, text: str) -> None:
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
