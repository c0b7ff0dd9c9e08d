"""From the app's ``[sip]`` settings (and the keyring) to engine configuration.

The desktop builds the engine's :class:`~agent_app.telephony.protocol.EngineConfig`
and the agent's :class:`~agent_app.telephony.protocol.AccountSpec` here, so the
engine process never reads configuration files or the keyring itself.
"""

from __future__ import annotations

from typing import Protocol

from agent_app.foundation.config import SipSettings
from agent_app.telephony import protocol as p

SIP_PASSWORD_SECRET = "sip-password"  # noqa: S105 - the keyring entry's name
"""Name of the SIP password in :class:`agent_app.secrets.store.SecretStore`."""

PRIMARY_ACCOUNT = "primary"


class _Secrets(Protocol):
    def get(self, name: str) -> str | None: ...


class MissingSipPassword(LookupError):
    """The keyring holds no SIP password for this machine's account."""


def engine_config(sip: SipSettings, *, media_timeout_s: float = 20.0) -> p.EngineConfig:
    transports: tuple[p.Transport, ...] = (sip.transport,)
    return p.EngineConfig(
        transports=transports,
        local_port=sip.local_port,
        tls_port=sip.local_port if sip.transport == "tls" else 0,
        tls_ca_file=sip.tls_ca_file,
        tls_verify_server=sip.tls_verify,
        tls_pin_sha256=sip.tls_pin_sha256.lower(),
        srtp=sip.srtp,
        codecs=sip.codecs,
        stun_server=sip.stun_server,
        ice=sip.ice,
        media_timeout_s=media_timeout_s,
    )


def account_spec(sip: SipSettings, secrets: _Secrets) -> p.AccountSpec:
    password = secrets.get(SIP_PASSWORD_SECRET)
    if password is None:
        raise MissingSipPassword(
            f"no SIP password in the keyring (entry '{SIP_PASSWORD_SECRET}'); sign in again"
        )
    return p.AccountSpec(
        account_id=PRIMARY_ACCOUNT,
        username=sip.username,
        domain=sip.domain or sip.registrar,
        registrar=sip.registrar,
        transport=sip.transport,
        password=password,
        outbound_proxy=sip.outbound_proxy,
        fallback_registrar=sip.fallback_registrar,
        register=bool(sip.registrar),
        expiry_s=sip.register_expiry_s,
    )
