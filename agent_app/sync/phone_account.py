"""The agent's phone account from the server, and where each SIP setting comes from.

After an online sign-in the desktop calls :func:`fetch_phone_account`. A password the server
sends (once per workstation and password version) goes straight to the OS keyring under
:func:`sip_password_entry`; the rest of the account is kept in the agent's store, so that an
offline sign-in still knows it. :func:`sip_settings_for` puts the account into the ``[sip]``
settings: the server names the agent's own account (user name, domain), while the PBX
addresses (registrar and transport) come from the configuration files when IT set them there,
and the TLS settings only ever do. Why: docs/decisions/0024-phone-account-source.md.
"""

from __future__ import annotations

import logging
from typing import Protocol

from agent_app.foundation.config import DEFAULTS, LoadedSettings, SipSettings
from agent_app.secrets.protocols import Secrets
from agent_app.store.desk import PhoneAccount
from agent_app.sync.credentials import agent_key
from agent_app.sync.errors import ServerUnreachable
from agent_app.sync.session import AuthSession

log = logging.getLogger(__name__)

ADDRESS_KEYS = ("registrar", "transport")
"""Taken from the configuration as a pair when either is set there: a registrar from one
source with the transport of another could name a port that speaks something else."""


class PhoneAccountStore(Protocol):
    """Where the account is kept between sign-ins (:class:`AgentStore` is one)."""

    def phone_account(self) -> PhoneAccount | None: ...

    def save_phone_account(self, account: PhoneAccount | None) -> None: ...


def sip_password_entry(agent_id: str) -> str:
    """The keyring entry of an agent's SIP password on this workstation."""
    return f"sip-password:{agent_key(agent_id)}"


def forget_sip_password(secrets: Secrets, agent_id: str) -> bool:
    """Remove the agent's SIP password from the keyring (a revoke, a removed extension)."""
    return secrets.delete(sip_password_entry(agent_id))


def fetch_phone_account(
    session: AuthSession, secrets: Secrets, store: PhoneAccountStore
) -> PhoneAccount | None:
    """Ask the server for the agent's account, keep it, and return its non-secret part.

    A password that comes with the answer is written to the keyring before anything else.
    The server answering that no extension is assigned forgets the kept account and the
    password (None). A server that cannot be reached leaves both as they are and returns the
    kept account. Other failures (the agent must sign in again, the workstation was revoked)
    are raised as the sync errors they are.
    """
    agent = session.agent_id
    entry = sip_password_entry(agent)
    try:
        answer = session.call(lambda token: session.api.phone_account(token=token))
    except ServerUnreachable as exc:
        log.info("agent %s: phone account not fetched (%s); using the kept one", agent, exc)
        return store.phone_account()
    if answer is None:
        if secrets.delete(entry) or store.phone_account() is not None:
            log.info("agent %s: no phone extension assigned any more; forgotten here", agent)
        store.save_phone_account(None)
        return None
    if answer.password is not None:
        secrets.set(entry, answer.password)
        log.info(
            "agent %s: SIP password version %d stored in the keyring",
            agent,
            answer.password_version,
        )
    elif secrets.get(entry) is None:
        log.warning(
            "agent %s: the server sent the SIP password to this workstation before, but the "
            "keyring holds none; an administrator can assign the extension again to resend it",
            agent,
        )
    account = PhoneAccount(
        username=answer.username,
        domain=answer.domain,
        registrar=answer.registrar,
        transport=answer.transport,
        password_version=answer.password_version,
    )
    store.save_phone_account(account)
    return account


def sip_settings_for(loaded: LoadedSettings, account: PhoneAccount | None) -> SipSettings:
    """The ``[sip]`` settings for this agent's registration.

    The server's user name and domain always win (they are the agent's own account). Its
    registrar and transport fill in only when no configuration file or variable set either
    of them; everything else (TLS, SRTP, codecs, proxies, ports) is the configuration's.
    """
    sip = loaded.settings.sip
    if account is None:
        return sip
    merged = sip.model_dump()
    merged.update(username=account.username, domain=account.domain)
    configured = [k for k in ADDRESS_KEYS if loaded.source_of(f"sip.{k}").layer != DEFAULTS]
    if not configured:
        merged.update(registrar=account.registrar, transport=account.transport)
    return SipSettings.model_validate(merged)
