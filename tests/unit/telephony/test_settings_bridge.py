"""[sip] settings and the keyring become the engine's configuration."""

from __future__ import annotations

import pytest

from agent_app.foundation.config import SipSettings
from agent_app.telephony.settings_bridge import (
    SIP_PASSWORD_SECRET,
    MissingSipPassword,
    account_spec,
    engine_config,
)


class _Secrets:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def test_settings_to_engine_and_account() -> None:
    sip = SipSettings(
        registrar="pbx.test:5061",
        transport="tls",
        username="agent7",
        srtp="mandatory",
        tls_pin_sha256="AB" * 32,
        fallback_registrar="pbx2.test:5061",
        local_port=5071,
    )
    cfg = engine_config(sip)
    assert cfg.transports == ("tls",) and cfg.tls_port == 5071 and cfg.srtp == "mandatory"
    assert cfg.tls_pin_sha256 == "ab" * 32
    assert cfg.codecs[0].startswith("G722")
    spec = account_spec(sip, _Secrets({SIP_PASSWORD_SECRET: "pw"}))
    assert spec.domain == "pbx.test:5061" and spec.register and spec.password == "pw"
    assert spec.fallback_registrar == "pbx2.test:5061"


def test_missing_password_is_named() -> None:
    with pytest.raises(MissingSipPassword, match=SIP_PASSWORD_SECRET):
        account_spec(SipSettings(), _Secrets({}))
