"""The demo's phone system: Kamailio on a free loopback UDP port, where the desk registers as
extension 1001 and any loopback caller (``tools/demo-call``) can ring it.

Started by :func:`agent_app.demo.server.start_demo_server`; without Kamailio the demo runs
without its phone and says how to install it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from agent_app.demo import processes
from agent_app.foundation.config import SipSettings
from agent_app.telephony.settings_bridge import SIP_PASSWORD_SECRET

if TYPE_CHECKING:
    from agent_app.secrets.protocols import Secrets

DEMO_EXTENSION = "1001"
"""The demo agent's extension (the number a caller dials to reach the desk)."""

HOST = "127.0.0.1"
INSTALL_HINT = "install it with 'sudo apt-get install kamailio' (make run installs it)"

# Debian installs kamailio in sbin, which is not on an ordinary user's PATH.
_SYSTEM_DIRS: tuple[str, ...] = ("/usr/sbin", "/usr/local/sbin", "/sbin")
_START_TIMEOUT_S = 15.0
_PORT_ATTEMPTS = 3


class PbxUnavailable(Exception):
    """The demo PBX did not start; the message says why and what to do."""


@dataclass
class DemoPbx:
    port: int
    password: str = field(repr=False)
    process: subprocess.Popen[bytes]
    directory: Path
    extension: str = DEMO_EXTENSION

    @property
    def registrar(self) -> str:
        """``127.0.0.1:<port>``, the registrar (and domain) of the demo session."""
        return f"{HOST}:{self.port}"

    def sip_overrides(self) -> dict[str, str]:
        """The ``[sip]`` settings the demo session takes instead of the configured ones."""
        return {
            "registrar": self.registrar,
            # The port in the domain sends what the agent dials ("1002", a number) here too.
            "domain": self.registrar,
            "username": self.extension,
            "transport": "udp",
            "outbound_proxy": "",
            "fallback_registrar": "",
            "stun_server": "",
        }

    def sip_settings(self, base: SipSettings) -> SipSettings:
        """``base`` (codecs, SRTP, local port ...) pointed at the demo PBX as extension 1001."""
        return SipSettings.model_validate({**base.model_dump(), **self.sip_overrides()})

    def store_password(self, secrets: Secrets) -> None:
        """Put the demo's SIP password where the desk reads it (the keyring)."""
        secrets.set(SIP_PASSWORD_SECRET, self.password)

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        processes.stop(self.process)


def find_kamailio() -> str | None:
    search = os.pathsep.join([os.environ.get("PATH", ""), *_SYSTEM_DIRS])
    return shutil.which("kamailio", path=search)


def start_demo_pbx(directory: Path) -> DemoPbx:
    """Kamailio with the demo config on a free 127.0.0.1 UDP port, answering when returned."""
    binary = find_kamailio()
    if binary is None:
        raise PbxUnavailable(f"the phone part of the demo needs Kamailio: {INSTALL_HINT}")
    directory.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)  # letters, digits, '-' and '_': safe in the config
    template = resources.files(__package__).joinpath("kamailio.cfg").read_text(encoding="utf-8")
    config = directory / "kamailio.cfg"
    log_path = directory / "pbx.log"
    for _ in range(_PORT_ATTEMPTS):
        port = _free_udp_port()
        text = template.replace("@PORT@", str(port)).replace("@PASSWORD@", password)
        _write_private(config, text)
        command = [
            binary, "-f", str(config),
            "-DD",  # stay in the foreground, our child, so that stopping it is one signal
            "-E",  # log to stderr (pbx.log)
            "-Y", str(directory), "-P", str(directory / "kamailio.pid"), "-w", str(directory),
        ]  # fmt: skip
        process = processes.start(command, str(log_path))
        deadline = time.monotonic() + _START_TIMEOUT_S
        while process.poll() is None and time.monotonic() < deadline:
            if ping(port, timeout=0.2):
                return DemoPbx(port, password, process, directory)
        timed_out = process.poll() is None
        processes.stop(process)
        if timed_out:
            break
        # It exited at once: most likely another program took the port in the meantime.
    raise PbxUnavailable(f"the demo PBX (Kamailio) did not start; see {log_path}")


def ping(port: int, timeout: float = 1.0) -> bool:
    """True when a SIP server answers an OPTIONS on 127.0.0.1:``port`` (UDP)."""
    tag = uuid.uuid4().hex
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        sock.settimeout(timeout)
        local = sock.getsockname()[1]
        request = (
            f"OPTIONS sip:{HOST}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {HOST}:{local};branch=z9hG4bK{tag};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:demo@{HOST}>;tag={tag[:8]}\r\n"
            f"To: <sip:{HOST}:{port}>\r\n"
            f"Call-ID: {tag}@{HOST}\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        try:
            sock.sendto(request.encode("ascii"), (HOST, port))
            reply = sock.recv(4096)
        except OSError:  # nothing there yet (ICMP refused) or no answer in time
            time.sleep(min(timeout, 0.05))
            return False
    return reply.startswith(b"SIP/2.0 ")


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _write_private(path: Path, text: str) -> None:
    """Owner-only: the file holds the demo's SIP password."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
