"""``pulse-agent --self-check``: why this workstation does or does not work, for IT.

Each check reports a status (pass, warn, fail, skip), a one-line finding and what to do.
The checks only look: the store is opened read-only, nothing is created or migrated, and
the parts that could crash (pjsua2, the audio stack) run in a child process. Findings name
settings, hosts and versions, never a secret or patient data.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from agent_app import __version__
from agent_app.foundation import paths
from agent_app.foundation.config import ConfigError, LoadedSettings, Settings, load_settings
from agent_app.sync.http_client import Client, ConnectFailed, HttpError, HttpTimeout
from agent_app.sync.version_policy import is_older, update_message

Status = Literal["pass", "warn", "fail", "skip"]

SKEW_WARN_S = 5.0
SKEW_FAIL_S = 60.0
"""Tokens and the journal's times are judged by the server's clock; a minute off fails."""
DISK_FAIL_BYTES = 100 * 1024 * 1024
DISK_WARN_BYTES = 1024 * 1024 * 1024
SILENT_DBFS = -70.0
PROBE_TIMEOUT_S = 20.0
NO_AGENT = "no agent has signed in here yet"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    finding: str
    action: str = ""


def _ok(name: str, finding: str) -> Check:
    return Check(name, "pass", finding)


# -- configuration -------------------------------------------------------------------


def check_config(environ: dict[str, str] | None = None) -> tuple[Check, LoadedSettings | None]:
    name = "configuration"
    try:
        loaded = load_settings(environ)
    except ConfigError as exc:
        first = str(exc).replace("\n", " ")
        return Check(name, "fail", first, "correct the named file or variable"), None
    locked = sorted(k for k, s in loaded.sources.items() if s.locked)
    finding = "valid; locked by the machine file: " + (", ".join(locked) if locked else "none")
    if loaded.ignored:
        ignored = ", ".join(sorted(loaded.ignored))
        return (
            Check(
                name,
                "warn",
                f"{finding}; overrides ignored (locked): {ignored}",
                "remove these keys from the user's file or environment",
            ),
            loaded,
        )
    return _ok(name, finding), loaded


# -- keyring and store ---------------------------------------------------------------


def check_keyring() -> tuple[Check, Any]:
    """The keyring check, and the open :class:`SecretStore` (None when unusable)."""
    from agent_app.secrets.errors import InsecureKeyringError, SecretStoreError
    from agent_app.secrets.store import SecretStore

    name = "keyring"
    try:
        secrets = SecretStore()
    except InsecureKeyringError as exc:
        return Check(name, "fail", "no secure keyring backend", _after_period(str(exc))), None
    try:
        secrets.warm_up()
        secrets.get("self-check")  # a read proves the collection is unlocked
    except SecretStoreError as exc:
        return Check(
            name,
            "fail",
            f"{secrets.backend_name}: {type(exc).__name__}",
            f"{exc} (unlock the keyring in the agent's desktop session)",
        ), None
    except Exception as exc:  # a backend failing in its own way is still a finding
        return Check(
            name,
            "fail",
            f"{secrets.backend_name}: {type(exc).__name__}",
            "start Pulse inside the agent's desktop session, with its keyring unlocked",
        ), None
    return _ok(name, f"{secrets.backend_name}: secure and unlocked"), secrets


def _after_period(message: str) -> str:
    head, _, tail = message.partition(". ")
    return tail or head


def check_store(secrets: Any, keyring_failed: bool) -> Check:
    from agent_app.store.layout import StoreLayout, last_agent

    name = "cache and journal"
    agent = last_agent()
    if not agent:
        return Check(name, "skip", NO_AGENT)
    layout = StoreLayout.for_agent(agent)
    if not (layout.cache.exists() or layout.journal.exists()):
        return Check(name, "skip", NO_AGENT)
    if secrets is None or keyring_failed:
        return Check(
            name,
            "fail",
            "the keyring is unusable, so the store keys cannot be read",
            "fix the keyring check first",
        )
    try:
        workstation = str(uuid.UUID((paths.data_dir() / "device-id").read_text("ascii").strip()))
    except (OSError, ValueError):
        return Check(
            name,
            "fail",
            "this workstation's id file is missing or damaged",
            "sign in once with the desk; the store is rebuilt if its keys are lost",
        )
    from agent_app.store.keys import StoreKeys

    keys = StoreKeys(secrets, agent, workstation)
    findings: list[str] = []
    worst: Status = "pass"
    for label, path in (("cache", layout.cache), ("journal", layout.journal)):
        if not path.exists():
            findings.append(f"{label}: not yet made")
            continue
        problem = _verify_read_only(path, keys.get(label), label)
        if problem is None:
            findings.append(f"{label}: ok")
        else:
            findings.append(f"{label}: {problem}")
            worst = "fail"
    action = ""
    if worst == "fail":
        action = (
            "run `pulse-agent cache verify --repair` (the cache is rebuilt; a journal is "
            "never deleted: call support if it is the journal)"
        )
    return Check(name, worst, "; ".join(findings), action)


def _verify_read_only(path: Path, key_hex: str | None, label: str) -> str | None:
    """Open ``path`` read-only with its key and authenticate every page; the problem or None."""
    import sqlcipher3

    from agent_app.store.connection import (
        HMAC_SHA512,
        classify,
        integrity_problems,
    )
    from agent_app.store.errors import WrongKeyError

    if not key_hex:
        return "its key is missing from the keyring"
    last: str = "the key does not open it"
    for hmac in (HMAC_SHA512, "HMAC_SHA256"):
        try:
            conn = sqlcipher3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=5.0
            )
        except sqlcipher3.Error as exc:
            return str(classify(exc, label))
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
            conn.execute(f"PRAGMA cipher_hmac_algorithm = {hmac}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlcipher3.Error as exc:
            conn.close()
            err = classify(exc, label)
            if isinstance(err, WrongKeyError):
                continue
            return str(err)
        try:
            problems = integrity_problems(conn, label)
        except Exception as exc:
            return str(exc)
        finally:
            conn.close()
        return None if not problems else f"{len(problems)} integrity problem(s)"
    return last


def check_disk() -> Check:
    name = "disk space"
    where = paths.data_dir()
    probe = where
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    finding = f"{free // (1024 * 1024)} MiB free for the journal ({where})"
    if free < DISK_FAIL_BYTES:
        return Check(name, "fail", finding, "free disk space: the journal must be able to grow")
    if free < DISK_WARN_BYTES:
        return Check(name, "warn", finding, "free disk space soon")
    return _ok(name, finding)


# -- server --------------------------------------------------------------------------


@dataclass
class _Reached:
    check: Check
    client: Client | None = None


def _describe_http_error(exc: HttpError, url: str) -> tuple[str, str]:
    cause = exc.__cause__ or exc.__context__
    text = str(exc)
    if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        reason = getattr(cause, "verify_message", "") or "verification failed"
        return (
            f"{url}: the server's certificate is not trusted ({reason})",
            "set sync.ca_bundle to the PEM file of the CA that signed it, or fix the certificate",
        )
    if isinstance(cause, ssl.SSLError) or "SSL" in text:
        return f"{url}: TLS handshake failed", "check that the server speaks HTTPS on this port"
    if isinstance(exc, HttpTimeout):
        return (
            f"{url}: no answer (timed out)",
            "check the firewall, proxy and VPN between this workstation and the server",
        )
    if isinstance(exc, ConnectFailed):
        if "refused" in text.lower() or isinstance(cause, ConnectionRefusedError):
            return (
                f"{url}: connection refused",
                "the server is not running or listens on another port; check sync.server_url",
            )
        return (
            # The cause's own words ("Name or service not known"), without the request's prefix.
            f"{url}: cannot connect ({str(cause or '') or text or type(exc).__name__})",
            "check sync.server_url and DNS",
        )
    return f"{url}: {type(exc).__name__}", "check sync.server_url"


def _without_userinfo(url: str) -> str:
    """The URL as shown in a finding: a user or password in it is never printed."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def check_server(settings: Settings) -> tuple[list[Check], Client | None]:
    sync = settings.sync
    base = sync.server_url.rstrip("/")
    if sync.ca_bundle and not Path(sync.ca_bundle).is_file():
        return [
            Check(
                "server",
                "fail",
                f"sync.ca_bundle {sync.ca_bundle} does not exist",
                "install the CA file or correct sync.ca_bundle",
            )
        ], None
    client = Client(
        base,
        connect_timeout_s=min(sync.timeout_s, 5.0),
        read_timeout_s=sync.timeout_s,
        verify=sync.ca_bundle or True,
        headers={"User-Agent": f"pulse-agent/{__version__} self-check"},
    )
    url = f"{_without_userinfo(base)}/api/v1/health"
    try:
        response = client.get("/api/v1/health")
    except HttpError as exc:
        finding, action = _describe_http_error(exc, url)
        client.close()
        return [Check("server", "fail", finding, action)], None
    if response.status_code != 200:
        client.close()
        return [
            Check(
                "server",
                "fail",
                f"{url}: HTTP {response.status_code}",
                "check sync.server_url: it must name the Pulse server",
            )
        ], None
    trust = "certificate trusted" if base.startswith("https://") else "loopback, no TLS"
    return [_ok("server", f"{url}: healthy ({trust})")], client


def check_clock(client: Client) -> Check:
    name = "clock"
    sent = time.time()
    try:
        response = client.get("/api/v1/time")
    except HttpError as exc:
        return Check(name, "warn", f"server time not read ({type(exc).__name__})", "")
    received = time.time()
    local = datetime.fromtimestamp((sent + received) / 2, UTC)
    server: datetime | None = None
    if response.status_code == 200:
        try:
            server = datetime.fromisoformat(str(response.json()["server_time"]))
        except (KeyError, ValueError, TypeError):
            server = None
    if server is None and "date" in response.headers:
        server = parsedate_to_datetime(response.headers["date"])
    if server is None:
        return Check(name, "warn", "the server gave no time", "")
    skew = (local - server).total_seconds()
    finding = (
        f"this workstation is {abs(skew):.1f} s {'ahead of' if skew > 0 else 'behind'} the server"
    )
    action = "turn on network time (NTP) on this workstation"
    if abs(skew) >= SKEW_FAIL_S:
        return Check(name, "fail", finding, action)
    if abs(skew) >= SKEW_WARN_S:
        return Check(name, "warn", finding, action)
    return _ok(name, finding)


def check_desk_version(client: Client) -> Check:
    name = "desk version"
    try:
        response = client.get("/api/v1/version")
    except HttpError as exc:
        return Check(name, "warn", f"the server's version policy not read ({type(exc).__name__})")
    if response.status_code == 404:
        return _ok(name, f"Pulse {__version__}; the server names no minimum")
    try:
        minimum = str(response.json().get("min_desk_version") or "")
    except (ValueError, AttributeError):
        return Check(name, "warn", "the server's version answer is malformed")
    if not minimum:
        return _ok(name, f"Pulse {__version__}; the server names no minimum")
    if is_older(__version__, minimum):
        return Check(
            name,
            "fail",
            update_message(minimum, __version__),
            "install the newer Pulse package on this workstation",
        )
    return _ok(name, f"Pulse {__version__}; the server needs {minimum} or later")


# -- telephony -----------------------------------------------------------------------


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    address = address.strip()
    if address.startswith(("sip:", "sips:")):
        address = address.split(":", 1)[1]
    address = address.split(";", 1)[0]
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if address.count(":") == 1:
        host, port = address.split(":")
        return host, int(port)
    return address, default_port


def _options_request(host: str, port: int, local: tuple[str, int], transport: str) -> bytes:
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    call_id = uuid.uuid4().hex
    tag = uuid.uuid4().hex[:8]
    lines = [
        f"OPTIONS sip:{host}:{port} SIP/2.0",
        f"Via: SIP/2.0/{transport.upper()} {local[0]}:{local[1]};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:self-check@{local[0]}>;tag={tag}",
        f"To: <sip:{host}:{port}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:self-check@{local[0]}:{local[1]}>",
        "Accept: application/sdp",
        f"User-Agent: pulse-agent/{__version__} self-check",
        "Content-Length: 0",
        "",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


def check_registrar(settings: Settings, timeout_s: float = 3.0) -> Check:  # noqa: PLR0911 - one finding per cause
    sip = settings.sip
    name = "registrar"
    default_port = 5061 if sip.transport == "tls" else 5060
    try:
        host, port = _host_port(sip.registrar, default_port)
    except ValueError:
        return Check(
            name,
            "fail",
            f"sip.registrar {sip.registrar!r} is not host[:port]",
            "correct sip.registrar",
        )
    where = f"{host}:{port} over {sip.transport.upper()}"
    try:
        if sip.transport == "udp":
            return _udp_options(name, host, port, where, timeout_s)
        with socket.create_connection((host, port), timeout=timeout_s) as raw:
            if sip.transport == "tcp":
                return _ok(name, f"{where}: connected")
            context = ssl.create_default_context(cafile=sip.tls_ca_file or None)
            if not sip.tls_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            with context.wrap_socket(raw, server_hostname=host) as tls:
                version = tls.version()
                return _ok(
                    name,
                    f"{where}: TLS handshake done ({version}), certificate "
                    + ("trusted" if sip.tls_verify else "NOT verified (sip.tls_verify off)"),
                )
    except ssl.SSLCertVerificationError as exc:
        return Check(
            name,
            "fail",
            f"{where}: the registrar's certificate is not trusted ({exc.verify_message})",
            "set sip.tls_ca_file to the CA that signed it",
        )
    except ssl.SSLError as exc:
        return Check(
            name,
            "fail",
            f"{where}: TLS handshake failed ({exc.reason})",
            "check that the registrar speaks TLS on this port",
        )
    except ConnectionRefusedError:
        return Check(
            name,
            "fail",
            f"{where}: connection refused",
            "the PBX is down or listens elsewhere; check sip.registrar and sip.transport",
        )
    except TimeoutError:
        return Check(
            name,
            "fail",
            f"{where}: no answer (timed out)",
            "check the firewall between this workstation and the PBX",
        )
    except OSError as exc:
        return Check(
            name,
            "fail",
            f"{where}: {exc.strerror or type(exc).__name__}",
            "check sip.registrar and the network",
        )


def _udp_options(name: str, host: str, port: int, where: str, timeout_s: float) -> Check:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout_s)
        sock.connect((host, port))
        local = sock.getsockname()[:2]
        sock.send(_options_request(host, port, local, "udp"))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                data = sock.recv(65535)
            except ConnectionRefusedError:
                return Check(
                    name,
                    "fail",
                    f"{where}: nothing listens there (ICMP port unreachable)",
                    "the PBX is down or listens elsewhere; check sip.registrar",
                )
            except TimeoutError:
                break
            first = data.split(b"\r\n", 1)[0].decode("ascii", "replace")
            if first.startswith("SIP/2.0 "):
                status = first.split(" ", 2)
                if status[1].startswith("1"):
                    continue
                return _ok(name, f"{where}: answered OPTIONS ({' '.join(status[1:])})")
        return Check(
            name,
            "fail",
            f"{where}: no answer to SIP OPTIONS (timed out)",
            "check the firewall (UDP) between this workstation and the PBX",
        )


def check_tls_srtp(settings: Settings) -> Check:
    sip = settings.sip
    name = "TLS and SRTP"
    parts = [f"SIP over {sip.transport.upper()}", f"SRTP {sip.srtp}"]
    if sip.transport == "tls" and sip.tls_ca_file and not Path(sip.tls_ca_file).is_file():
        return Check(
            name,
            "fail",
            f"sip.tls_ca_file {sip.tls_ca_file} does not exist",
            "install the CA file or correct sip.tls_ca_file",
        )
    if sip.srtp == "mandatory" and sip.transport != "tls":
        return Check(
            name,
            "warn",
            ", ".join(parts) + ": the SRTP keys travel unencrypted",
            'set sip.transport = "tls" so that the media keys are protected',
        )
    if sip.transport == "tls" and not sip.tls_verify:
        return Check(
            name,
            "warn",
            ", ".join(parts) + ": the PBX certificate is not verified",
            "set sip.tls_verify = true and sip.tls_ca_file",
        )
    if sip.srtp == "off" or sip.transport != "tls":
        return Check(
            name,
            "warn",
            ", ".join(parts) + ": calls are not fully encrypted",
            'use sip.transport = "tls" and sip.srtp = "mandatory" off this computer',
        )
    return _ok(name, ", ".join(parts))


def _probe(
    args: list[str], timeout_s: float = PROBE_TIMEOUT_S
) -> tuple[dict[str, Any] | None, str]:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "agent_app.telephony.probe", *args],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"no answer within {timeout_s:.0f} s"
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return None, tail[:200]
    try:
        return dict(json.loads(done.stdout.strip().splitlines()[-1])), ""
    except (ValueError, IndexError):
        return None, "unreadable answer"


def check_pjsua2() -> Check:
    name = "SIP library"
    found, error = _probe(["pjsua2"])
    if found is None:
        return Check(
            name,
            "fail",
            f"pjsua2 did not load: {error}",
            "reinstall Pulse: its SIP library is missing or broken",
        )
    finding = f"pjsua2 {found['version']}, TLS: {found['tls_library']}"
    if not found.get("tls"):
        return Check(
            name,
            "warn",
            f"pjsua2 {found['version']} built without TLS",
            "install a Pulse build whose SIP library has TLS",
        )
    return _ok(name, finding)


def check_audio(settings: Settings) -> list[Check]:
    audio = settings.audio
    found, error = _probe(["audio", audio.microphone, audio.speaker, audio.ringer])
    if found is None:
        return [
            Check(
                "audio devices",
                "fail",
                f"the audio system did not answer: {error}",
                "check the sound service (PulseAudio/PipeWire) of the desktop session",
            )
        ]
    missing = [role for role in ("microphone", "speaker", "ringer") if not found.get(role)]
    listed = f"{found['inputs']} input(s), {found['outputs']} output(s)"
    checks: list[Check] = []
    if missing:
        checks.append(
            Check(
                "audio devices",
                "fail",
                f"{listed}; missing: {', '.join(missing)}",
                "plug in the headset, or correct the [audio] device settings",
            )
        )
    else:
        checks.append(_ok("audio devices", f"{listed}; microphone, speaker and ringer present"))
    level = found.get("level_dbfs")
    if found.get("microphone") is None:
        checks.append(Check("microphone level", "skip", "no microphone"))
    elif level is None or level <= SILENT_DBFS:
        checks.append(
            Check(
                "microphone level",
                "warn",
                f"the microphone is silent ({level} dBFS over 0.5 s)",
                "check that it is not muted and that the headset is connected",
            )
        )
    else:
        checks.append(_ok("microphone level", f"{level} dBFS over 0.5 s"))
    return checks


# -- all of them ---------------------------------------------------------------------


def run_checks(*, progress: Callable[[Check], None] | None = None) -> list[Check]:
    results: list[Check] = []

    def add(check: Check) -> None:
        results.append(check)
        if progress is not None:
            progress(check)

    config, loaded = check_config()
    add(config)
    keyring, secrets = check_keyring()
    add(keyring)
    add(check_store(secrets, keyring.status == "fail"))
    add(check_disk())
    if loaded is None:
        for skipped in ("server", "registrar", "TLS and SRTP", "audio devices"):
            add(Check(skipped, "skip", "needs a valid configuration"))
    else:
        settings = loaded.settings
        server_checks, client = check_server(settings)
        for check in server_checks:
            add(check)
        if client is not None:
            try:
                add(check_clock(client))
                add(check_desk_version(client))
            finally:
                client.close()
        add(check_registrar(settings))
        add(check_tls_srtp(settings))
        for check in check_audio(settings):
            add(check)
    add(check_pjsua2())
    if secrets is not None:
        secrets.close()
    return results


_MARKS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}


def format_check(check: Check) -> str:
    line = f"[{_MARKS[check.status]}] {check.name}: {check.finding}"
    if check.action and check.status in ("fail", "warn"):
        line += f"\n       what to do: {check.action}"
    return line


def main(*, as_json: bool) -> int:
    if as_json:
        checks = run_checks()
    else:
        print(f"Pulse {__version__} self-check")
        checks = run_checks(progress=lambda c: print(format_check(c), flush=True))
    failed = [c for c in checks if c.status == "fail"]
    if as_json:
        print(
            json.dumps(
                {
                    "version": __version__,
                    "ok": not failed,
                    "checks": [asdict(c) for c in checks],
                },
                indent=2,
            )
        )
    else:
        warned = sum(c.status == "warn" for c in checks)
        print(f"{len(failed)} failed, {warned} warning(s), {len(checks)} checks")
    return 1 if failed else 0
