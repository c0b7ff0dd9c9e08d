"""The engine's configuration and an account's settings, as sent with the commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Transport = Literal["udp", "tcp", "tls"]
SrtpMode = Literal["off", "optional", "mandatory"]


@dataclass(frozen=True)
class AudioDevices:
    """The devices chosen for each role (device ids; empty: the system's default)."""

    microphone: str = ""
    speaker: str = ""
    ringer: str = ""


@dataclass(frozen=True)
class EngineConfig:
    """What the engine needs before any account exists (transports, media, security)."""

    transports: tuple[Transport, ...] = ("udp",)
    bind_address: str = "0.0.0.0"  # noqa: S104 - a softphone listens on the LAN
    local_port: int = 0
    """SIP port for UDP and TCP; 0 lets the system choose."""
    tls_port: int = 0
    """SIP port for TLS; 0 lets the system choose."""
    tls_ca_file: str = ""
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_verify_server: bool = True
    tls_pin_sha256: str = ""
    """Hex SHA-256 of the server certificate (DER); a TLS peer with another one is dropped."""
    srtp: SrtpMode = "optional"
    codecs: tuple[str, ...] = ("G722/16000", "PCMA/8000", "PCMU/8000")
    stun_server: str = ""
    ice: bool = False
    keepalive_s: int = 15
    media_timeout_s: float = 0.0
    """Hang up a call whose RTP stopped arriving for this long (0 = never)."""
    stats_interval_s: float = 0.0
    """Emit :class:`MediaStats` for each active call this often (0 = never)."""
    session_timer_s: int = 0
    """SIP session timer (RFC 4028) expiry; 0 keeps the library default."""
    user_agent: str = "Pulse"
    log_level: int = 0
    audio: str = "null"
    """Audio bridge: "null" (pjsua2's null device) or a name registered with
    :func:`agent_app.telephony.call_audio.register_audio_bridge`."""
    audio_devices: AudioDevices | None = None
    """The devices of the ``devices`` bridge, as the desk read them from its ``[audio]``
    settings; None: the engine reads those settings itself (which costs the engine
    process the settings' validation library, some 12 MiB)."""


@dataclass(frozen=True)
class AccountSpec:
    """One SIP account; ``register=False`` gives a local account for direct calls."""

    account_id: str
    username: str
    domain: str
    registrar: str = ""
    transport: Transport = "udp"
    password: str = field(default="", repr=False)
    auth_username: str = ""
    display_name: str = ""
    outbound_proxy: str = ""
    fallback_registrar: str = ""
    register: bool = True
    expiry_s: int = 300
    retry_first_s: int = 2
    retry_s: int = 30
