"""Accounts: their pjsua2 configuration (registrar, credentials, NAT, SRTP), adding and
removing them, and registration state with the switch to a fallback registrar."""

from __future__ import annotations

from typing import Any

import pjsua2 as pj

from agent_app.telephony import protocol as p
from agent_app.telephony.engine.calls import CallHandling
from agent_app.telephony.engine.errors import EngineError
from agent_app.telephony.engine.pj_subclasses import EngineAccount
from agent_app.telephony.engine.records import AccountRecord

_SRTP = {
    "off": pj.PJMEDIA_SRTP_DISABLED,
    "optional": pj.PJMEDIA_SRTP_OPTIONAL,
    "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
}


def _registrar_uri(host: str, transport: str) -> str:
    uri = host if host.lower().startswith(("sip:", "sips:")) else f"sip:{host}"
    if transport != "udp" and ";transport=" not in uri:
        uri += f";transport={transport}"
    return uri


def _proxy_uri(host: str, transport: str) -> str:
    uri = _registrar_uri(host, transport)
    return uri if ";lr" in uri else uri + ";lr"


class AccountHandling(CallHandling):
    """Built on the call handling because an account hands it every incoming call."""

    # ------------------------------------------------------------ commands

    def _cmd_add_account(self, cmd: p.AddAccount) -> None:
        spec = cmd.account
        if spec.account_id in self._accounts:
            raise EngineError(f"account '{spec.account_id}' exists")
        if spec.transport not in self._transports:
            raise EngineError(f"no {spec.transport} transport is configured")
        account = EngineAccount(self, spec.account_id)
        record = AccountRecord(account, spec)
        self._accounts[spec.account_id] = record
        try:
            account.create(self._account_config(spec, fallback=False))
        except pj.Error:
            del self._accounts[spec.account_id]
            raise
        if spec.register and spec.registrar:
            self._emit(
                p.RegistrationChanged(spec.account_id, "registering", registrar=spec.registrar)
            )

    def _account_config(self, spec: p.AccountSpec, *, fallback: bool) -> Any:
        cfg = self._config
        acfg = pj.AccountConfig()
        user_part = f"{spec.username}@{spec.domain}" if spec.username else spec.domain
        id_uri = f"sip:{user_part}"
        acfg.idUri = f'"{spec.display_name}" <{id_uri}>' if spec.display_name else id_uri
        registrar = spec.fallback_registrar if fallback else spec.registrar
        if spec.register and registrar:
            acfg.regConfig.registrarUri = _registrar_uri(registrar, spec.transport)
            acfg.regConfig.timeoutSec = spec.expiry_s
            acfg.regConfig.firstRetryIntervalSec = spec.retry_first_s
            acfg.regConfig.retryIntervalSec = spec.retry_s
            acfg.regConfig.randomRetryIntervalSec = 0
            acfg.regConfig.dropCallsOnFail = False
        if spec.password:
            acfg.sipConfig.authCreds.append(
                pj.AuthCredInfo(
                    "digest", "*", spec.auth_username or spec.username, 0, spec.password
                )
            )
        if spec.outbound_proxy:
            acfg.sipConfig.proxies.append(_proxy_uri(spec.outbound_proxy, spec.transport))
        acfg.sipConfig.transportId = self._transports[spec.transport]
        nat = acfg.natConfig
        nat.contactRewriteUse = 1
        nat.viaRewriteUse = 1
        nat.sdpNatRewriteUse = 0
        nat.udpKaIntervalSec = cfg.keepalive_s
        nat.iceEnabled = cfg.ice
        nat.sipStunUse = (
            pj.PJSUA_STUN_USE_DEFAULT if cfg.stun_server else pj.PJSUA_STUN_USE_DISABLED
        )
        nat.mediaStunUse = nat.sipStunUse
        acfg.mediaConfig.srtpUse = _SRTP[cfg.srtp]
        # SRTP keys travel in SDP: over plain SIP they are readable, but requiring
        # TLS would forbid SRTP on a UDP trunk; keys-over-TLS is a deployment choice.
        acfg.mediaConfig.srtpSecureSignaling = 0
        acfg.mediaConfig.transportConfig.boundAddress = (
            "" if cfg.bind_address == "0.0.0.0" else cfg.bind_address  # noqa: S104
        )
        if cfg.session_timer_s:
            acfg.callConfig.timerSessExpiresSec = cfg.session_timer_s
            acfg.callConfig.timerMinSESec = min(90, cfg.session_timer_s)
        return acfg

    def _cmd_remove_account(self, cmd: p.RemoveAccount) -> None:
        record = self._accounts.pop(cmd.account_id, None)
        if record is None:
            raise EngineError(f"no account '{cmd.account_id}'")
        # shutdown() sends the un-REGISTER in the background; its answer no longer
        # reaches a callback, so the state change is reported here.
        record.account.shutdown()
        if record.spec.register and record.spec.registrar:
            self._emit(
                p.RegistrationChanged(
                    cmd.account_id,
                    "unregistered",
                    reason="account removed",
                    registrar=record.spec.registrar,
                )
            )

    # ------------------------------------------------------------ callbacks (pjsua2 thread)

    def _on_reg_state(self, account: EngineAccount, code: int, reason: str, expires: int) -> None:
        record = self._accounts.get(account.account_id)
        if record is None:
            return
        spec = record.spec
        registrar = spec.fallback_registrar if record.on_fallback else spec.registrar
        if 200 <= code < 300 and expires > 0:
            state: p.RegState = "registered"
            record.failures = 0
        elif 200 <= code < 300:
            state = "unregistered"
        else:
            state = "failed"
            record.failures += 1
        self._emit(p.RegistrationChanged(spec.account_id, state, code, reason, registrar, expires))
        if state == "failed" and spec.fallback_registrar and record.failures >= 2:
            # Alternate between the primary and the fallback registrar.
            record.on_fallback = not record.on_fallback
            record.failures = 0
            target = spec.fallback_registrar if record.on_fallback else spec.registrar
            self._emit(p.RegistrationChanged(spec.account_id, "registering", registrar=target))
            acfg = self._account_config(spec, fallback=record.on_fallback)
            self._commands.put((lambda: record.account.modify(acfg), None))
