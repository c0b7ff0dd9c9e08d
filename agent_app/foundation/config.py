"""Layered, validated settings of the desktop app.

Layers, lowest first: built-in defaults < the machine-wide file IT writes
(``/etc/pulse/pulse.toml``, ``%ProgramData%\\Pulse\\pulse.toml``) < the per-user file
< ``PULSE_<SECTION>_<KEY>`` environment variables. Every value remembers the layer it
came from, so ``pulse-agent --print-config`` can say where each one was set, and a bad
value stops start-up with the file, key, value and what is allowed.

The security settings in :data:`LOCKABLE` are locked once the machine file sets them: the
user's file and the environment cannot override them (their attempts are ignored and listed
by ``--print-config``), so an agent cannot lengthen the idle lock or point the desk elsewhere.

Secrets never live here: they go through :mod:`agent_app.secrets.store`.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from agent_app.foundation import paths
from agent_app.foundation.settings_fields import Section, SettingsError, setting

DEFAULTS = "defaults"


def plain_http_refusal(url: str) -> str | None:
    """Why ``url`` may not be used (plain ``http://`` to another computer would carry PHI and
    tokens unencrypted: HIPAA 164.312(e)), or None."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return None
    host = parts.hostname or ""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return f"{url}: plain http:// is allowed only to this computer; use https://"


@dataclass(frozen=True, kw_only=True)
class SyncSettings(Section):
    server_url: str = setting(
        "http://127.0.0.1:8600",
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        check=plain_http_refusal,
    )
    """Base URL of the central server; ``http://`` only to this computer (loopback)."""
    ca_bundle: str = ""
    """PEM file of CAs trusted for the server; empty means the system store."""
    timeout_s: float = setting(10.0, gt=0, le=120)
    pull_interval_s: float = setting(30.0, ge=5, le=3600)
    max_offline_hours: float = setting(72.0, gt=0, le=24 * 30)
    """After this long without reaching the server the patient cache locks."""


@dataclass(frozen=True, kw_only=True)
class SipSettings(Section):
    registrar: str = "127.0.0.1"
    """Host[:port] of the PBX registrar."""
    fallback_registrar: str = ""
    outbound_proxy: str = ""
    transport: Literal["udp", "tcp", "tls"] = "udp"
    local_port: int = setting(0, ge=0, le=65535)
    """Local SIP port; 0 lets the system choose."""
    username: str = ""
    domain: str = ""
    srtp: Literal["off", "optional", "mandatory"] = "optional"
    codecs: tuple[str, ...] = ("G722/16000", "PCMA/8000", "PCMU/8000")
    tls_ca_file: str = ""
    tls_verify: bool = True
    tls_pin_sha256: str = setting("", pattern=r"^([0-9a-fA-F]{64})?$")
    stun_server: str = ""
    ice: bool = False
    register_expiry_s: int = setting(300, ge=60, le=86400)


@dataclass(frozen=True, kw_only=True)
class AudioSettings(Section):
    microphone: str = ""
    """Device id of the microphone; empty means the system default."""
    speaker: str = ""
    ringer: str = ""


@dataclass(frozen=True, kw_only=True)
class SecuritySettings(Section):
    lock_after_idle_s: int = setting(300, ge=30, le=3600)
    """Automatic lock (HIPAA 164.312(a)(2)(iii)) after this much inactivity."""
    offline_login_hours: float = setting(12.0, ge=0, le=24 * 14)
    """How long the last successful online login allows an offline unlock."""


@dataclass(frozen=True, kw_only=True)
class LogSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    dir: str = ""
    """Directory of the rotating log files; empty means the platform log directory."""
    max_bytes: int = setting(5 * 1024 * 1024, ge=64 * 1024, le=1024 * 1024 * 1024)
    backups: int = setting(5, ge=1, le=100)


@dataclass(frozen=True, kw_only=True)
class AgentDeskSettings(Section):
    """The ``[desk]`` section: how the agent's phone offers and refuses calls."""

    not_ready_calls: Literal["busy_here", "ring_and_decline"] = "busy_here"
    """A call that comes while Not ready: refused at once with 486 Busy Here, or shown
    ringing for ``ring_and_decline_s`` (the agent may still take it) and then refused."""
    ring_and_decline_s: float = setting(10.0, ge=1, le=120)
    call_waiting: bool = True
    """A second call rings during a call (else the caller gets 486 Busy Here)."""
    auto_answer: bool = False
    """This workstation answers a call by itself after a short ring (headset desks)."""
    auto_answer_delay_s: float = setting(1.0, ge=0.5, le=10)
    dial_region: str = setting("US", pattern=r"^[A-Z]{2}$")
    """Region in which a national number typed or pasted without its country code is read
    (until the campaign names its own)."""


@dataclass(frozen=True, kw_only=True)
class UiSettings(Section):
    language: str = setting("", pattern=r"^([a-z]{2}(_[A-Z]{2})?)?$")
    """Language of the desk (``es``, ``pt_BR``); empty means the system's. A language
    without a catalogue shows English."""
    theme: Literal["system", "light", "dark"] = "system"
    """Light or dark colours; ``system`` follows the desktop's setting."""


@dataclass(frozen=True, kw_only=True)
class Settings(Section):
    sync: SyncSettings = SyncSettings()
    sip: SipSettings = SipSettings()
    audio: AudioSettings = AudioSettings()
    security: SecuritySettings = SecuritySettings()
    desk: AgentDeskSettings = AgentDeskSettings()
    log: LogSettings = LogSettings()
    ui: UiSettings = UiSettings()


SECTIONS: dict[str, type[Section]] = {
    name: info.annotation for name, info in Settings.model_fields.items()
}


LOCKABLE = frozenset(
    {
        "security.lock_after_idle_s",
        "security.offline_login_hours",
        "sync.max_offline_hours",
        "sync.server_url",
        "sync.ca_bundle",
        "sip.transport",
        "sip.srtp",
        "sip.tls_verify",
        "sip.tls_ca_file",
        "sip.tls_pin_sha256",
    }
)
"""Settings that a value in the machine file locks (HIPAA 164.312(a), (e): idle lock, offline
windows, where the desk connects and what it trusts, TLS and SRTP)."""


class ConfigError(Exception):
    """A setting that stops start-up; the message names where and what."""


@dataclass(frozen=True)
class Source:
    """Where an effective value came from."""

    layer: str  # "defaults", "machine", "user", "environment"
    where: str  # file path or variable name
    locked: bool = False
    """Set by the machine file and not overridable (see :data:`LOCKABLE`)."""

    def __str__(self) -> str:
        text = self.layer if self.layer == DEFAULTS else f"{self.layer} ({self.where})"
        return f"{text}, locked" if self.locked else text


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    sources: Mapping[str, Source]  # "section.key" -> source of the effective value
    ignored: Mapping[str, tuple[Source, ...]] = field(default_factory=dict)
    """Overrides of locked settings that were not applied: "section.key" -> their sources."""

    def source_of(self, dotted: str) -> Source:
        return self.sources.get(dotted, Source(DEFAULTS, DEFAULTS))


def _read_toml(path: Path, layer: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    for section, body in data.items():
        if section not in SECTIONS:
            allowed = ", ".join(SECTIONS)
            raise ConfigError(f"{path}: unknown section [{section}] (allowed: {allowed})")
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: '{section}' must be a [{section}] table")
        for key in body:
            if key not in SECTIONS[section].model_fields:
                allowed = ", ".join(SECTIONS[section].model_fields)
                raise ConfigError(
                    f"{path}: unknown key '{section}.{key}' in the {layer} configuration "
                    f"(allowed in [{section}]: {allowed})"
                )
    return data


def _read_environment(environ: Mapping[str, str]) -> dict[str, tuple[str, str, str]]:
    """``PULSE_<SECTION>_<KEY>`` variables, as dotted key -> (section, key, raw)."""
    found: dict[str, tuple[str, str, str]] = {}
    for name, raw in environ.items():
        if not name.startswith("PULSE_"):
            continue
        rest = name[len("PULSE_") :].lower()
        # Only our own sections: PULSE_SERVER, PULSE_COOKIE ... belong to PulseAudio.
        section = next((s for s in SECTIONS if rest.startswith(s + "_")), None)
        if section is None:
            continue
        key = rest[len(section) + 1 :]
        if key not in SECTIONS[section].model_fields:
            allowed = ", ".join(
                f"PULSE_{section.upper()}_{k.upper()}" for k in SECTIONS[section].model_fields
            )
            raise ConfigError(f"environment variable {name}: unknown setting (allowed: {allowed})")
        found[f"{section}.{key}"] = (section, key, raw)
    return found


def _env_value(section: str, key: str, raw: str) -> Any:
    annotation = SECTIONS[section].model_fields[key].annotation
    if annotation == tuple[str, ...]:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_settings(environ: Mapping[str, str] | None = None) -> LoadedSettings:
    """Read every layer and validate the result; raises :class:`ConfigError`."""
    environ = os.environ if environ is None else environ
    merged: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    sources: dict[str, Source] = {}
    ignored: dict[str, tuple[Source, ...]] = {}

    def put(dotted: str, value: Any, source: Source) -> None:
        held = sources.get(dotted)
        if held is not None and held.locked:
            ignored[dotted] = (*ignored.get(dotted, ()), source)
            return
        if source.layer == "machine" and dotted in LOCKABLE:
            source = Source(source.layer, source.where, locked=True)
        section, key = dotted.split(".", 1)
        merged[section][key] = value
        sources[dotted] = source

    layers = (("machine", paths.machine_config_file()), ("user", paths.user_config_file()))
    for layer, path in layers:
        for section, body in _read_toml(path, layer).items():
            for key, value in body.items():
                put(f"{section}.{key}", value, Source(layer, str(path)))
    for dotted, (section, key, raw) in _read_environment(environ).items():
        put(
            dotted,
            _env_value(section, key, raw),
            Source("environment", f"PULSE_{section.upper()}_{key.upper()}"),
        )

    try:
        settings = Settings.model_validate(merged)
    except SettingsError as exc:
        raise ConfigError(_describe(exc, merged, sources)) from None
    return LoadedSettings(settings, sources, ignored)


def _describe(
    exc: SettingsError, merged: dict[str, dict[str, Any]], sources: Mapping[str, Source]
) -> str:
    lines = []
    for error in exc.errors:
        loc = error.loc
        dotted = ".".join(loc[:2])
        value = merged.get(loc[0], {}).get(loc[1]) if len(loc) >= 2 else None
        source = sources.get(dotted, Source(DEFAULTS, DEFAULTS))
        lines.append(f"{source.where}: {dotted} = {value!r} is not valid ({error.reason})")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def _mask(value: Any) -> Any:
    if isinstance(value, str) and "@" in value and "://" in value:
        parts = urlsplit(value)
        if parts.password:
            netloc = f"{parts.username}:********@{parts.hostname}"
            if parts.port:
                netloc += f":{parts.port}"
            return urlunsplit(parts._replace(netloc=netloc))
    return value


def effective_items(loaded: LoadedSettings) -> Iterator[tuple[str, Any, Source]]:
    """Every setting as (dotted key, masked value, source), in declaration order."""
    for section in SECTIONS:
        body = getattr(loaded.settings, section)
        for key in type(body).model_fields:
            dotted = f"{section}.{key}"
            yield dotted, _mask(getattr(body, key)), loaded.source_of(dotted)


def format_effective(loaded: LoadedSettings) -> str:
    rows = list(effective_items(loaded))
    width = max(len(dotted) for dotted, _, _ in rows)
    lines = []
    for dotted, value, source in rows:
        note = str(source)
        refused = loaded.ignored.get(dotted, ())
        if refused:
            note += "; ignored: " + ", ".join(f"{s.layer} ({s.where})" for s in refused)
        lines.append(f"{dotted:<{width}}  {value!r:<40}  # {note}")
    return "\n".join(lines)
