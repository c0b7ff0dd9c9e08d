"""Settings of the central server: defaults < a TOML file < ``PULSE_SERVER_*`` variables.

The file is named by ``--config`` or ``PULSE_SERVER_CONFIG``; every key of the file may also be set
as ``PULSE_SERVER_<KEY>`` (for example ``PULSE_SERVER_DATABASE_URL=postgresql+psycopg://...``).
Without a database URL the server keeps a SQLite file in the platform data directory.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from server.private_files import create_private

ENV_PREFIX = "PULSE_SERVER_"
APP_NAME = "PulseServer"


class SettingsError(ValueError):
    """A settings file or variable is missing, unreadable or holds a value that is not allowed."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, "Pulse"))


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'pulse-server.db'}"


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    database_url: str = ""
    """SQLAlchemy URL; empty means a SQLite file in ``data_dir``."""
    data_dir: str = ""
    """Where the SQLite default and the signing key live; empty means the platform data dir."""
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8600
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    tls_certfile: str = ""
    tls_keyfile: str = ""
    insecure_http: bool = False
    """Serve plain HTTP on an address other than loopback (refused otherwise; warned at start)."""
    api_docs: bool = False
    """Serve the interactive API docs (``/docs``, ``/redoc``) and ``/openapi.json``."""
    secret_key: str = ""
    """Signs sync cursors; empty means a random key kept in ``data_dir`` (``signing.key``)."""
    sip_secret_key: str = Field("", pattern=r"^([0-9a-fA-F]{64})?$")
    """AES-256 key (64 hex digits) that encrypts agents' SIP passwords at rest; empty means a
    random key kept in ``data_dir`` (``sip-secrets.key``), made on first use. Every server
    process sharing one database needs the same key (see :mod:`server.sip_secrets`)."""
    access_token_ttl_s: Annotated[int, Field(ge=30, le=86400)] = 900
    refresh_token_ttl_s: Annotated[int, Field(ge=300, le=90 * 86400)] = 12 * 3600
    session_max_hours: Annotated[float, Field(gt=0, le=90 * 24)] = 16
    """Absolute lifetime of a sign-in: past it, refreshing is refused and the agent signs in
    again, however active the session was."""
    refresh_grace_s: Annotated[int, Field(ge=0, le=300)] = 30
    """How long the refresh token a session just rotated from still works, once: it covers a
    client that died between the server's rotation and keeping the new token."""
    lockout_failures: Annotated[int, Field(ge=1, le=100)] = 5
    """Failed logins in a row that lock an account (or an unknown username) for a while."""
    lockout_first_seconds: Annotated[int, Field(ge=1, le=3600)] = 30
    """The first lock's length; each further lock in a row lasts twice as long."""
    lockout_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 15
    """The longest a lock lasts, however many came before."""
    login_rate_per_minute: Annotated[int, Field(ge=1, le=10000)] = 30
    """Login attempts allowed per client address and per username in one minute, counted in
    the database so that every server process shares the limit."""
    require_enrolment: bool = True
    """Refuse sign-in from workstations that are not enrolled (an enrolment code or an admin's
    approval). Off (while a site enrols its workstations, and in ``pulse-server demo``), an
    unknown workstation still registers itself at sign-in; an enrolled one must prove its key
    either way."""
    enrolment_code_max_hours: Annotated[float, Field(gt=0, le=7 * 24)] = 24
    """The longest an enrolment code may be valid."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks (CIDR) of reverse proxies whose ``X-Forwarded-For`` names the
    client; empty (the default) means the connection's peer is the client."""
    cors_origins: tuple[str, ...] = ()
    """Origins allowed by CORS; empty (the default) turns CORS off."""
    max_body_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 2 * 1024 * 1024
    cursor_max_age_days: Annotated[int, Field(ge=1, le=365)] = 30
    db_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    session_retention_days: Annotated[int, Field(ge=1, le=3650)] = 7
    """Expired or revoked sign-in sessions are deleted this many days after they ended."""
    tombstone_retention_days: Annotated[int, Field(ge=1, le=3650)] = 90
    """Removal markers (patients off a list, campaign grants taken back) are kept this long;
    a workstation whose cursor is older re-downloads a snapshot."""
    purge_interval_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] = 60
    """How often each server process runs the purge; 0 turns the schedule off (``pulse-server
    purge`` from a timer instead)."""
    argon2_time_cost: Annotated[int, Field(ge=1, le=20)] = 2
    argon2_memory_kib: Annotated[int, Field(ge=8, le=4 * 1024 * 1024)] = 19456
    """Cost of new password hashes (argon2id; OWASP baseline by default)."""
    lease_ttl_s: Annotated[int, Field(ge=30, le=24 * 3600)] = 600
    """How long a patient handed to an agent stays theirs without a disposition."""
    batch_lease_ttl_s: Annotated[int, Field(ge=60, le=7 * 24 * 3600)] = 4 * 3600
    """The same for a pre-leased batch (an agent about to work offline)."""
    max_lease_batch: Annotated[int, Field(ge=1, le=50)] = 10
    exempt_calls_per_day: Annotated[int, Field(ge=0, le=50)] = 1
    """Healthcare-exemption calls per patient in 24 hours, across campaigns."""
    exempt_calls_per_week: Annotated[int, Field(ge=0, le=100)] = 3
    """The same in 7 days."""
    min_desk_version: str = Field("", pattern=r"^(\d+(\.\d+){0,3})?$")
    """Oldest desk version this server serves (``1.4.0``); older desks are told to update
    at sign-in (``GET /api/v1/version``). Empty: no minimum."""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an address or a network") from exc
        return value

    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir) if self.data_dir else default_data_dir()

    def resolved_database_url(self) -> str:
        return self.database_url or sqlite_url(self.resolved_data_dir())

    def resolved_secret_key(self) -> bytes:
        if self.secret_key:
            return self.secret_key.encode()
        path = self.resolved_data_dir() / "signing.key"
        if not path.exists():
            create_private(path, secrets.token_hex(32))
        return path.read_text().strip().encode()


def load_settings(
    config_file: Path | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> ServerSettings:
    """Merge the layers; raise :class:`SettingsError` naming the source of a bad value."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    path = config_file or (
        Path(env[ENV_PREFIX + "CONFIG"]) if env.get(ENV_PREFIX + "CONFIG") else None
    )
    if path is not None:
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
    for name, field in ServerSettings.model_fields.items():
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is None:
            continue
        if field.annotation is not None and "tuple" in str(field.annotation):
            values[name] = tuple(p.strip() for p in raw.split(",") if p.strip())
        else:
            values[name] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ServerSettings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(
            f"invalid server settings ({path or 'environment'}): {problems}"
        ) from exc
