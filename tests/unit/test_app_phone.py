"""Start-up's choices for the phone: which account, the desk's settings, the reason codes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from agent_app import app
from agent_app.foundation.config import AgentDeskSettings, SipSettings
from agent_app.secrets.errors import SecretStoreError
from agent_app.telephony import protocol as p
from agent_app.telephony.settings_bridge import SIP_PASSWORD_SECRET
from agent_app.workflow.agent_state import IncomingPolicy
from agent_app.workflow.desk_settings import DEFAULT_NOT_READY_REASONS


class Secrets:
    def __init__(self, values: dict[str, str] | None = None, broken: bool = False) -> None:
        self.values, self.broken = values or {}, broken

    def get(self, name: str) -> str | None:
        if self.broken:
            raise SecretStoreError("keyring read failed (DBusError)")
        return self.values.get(name)


SERVER = p.AccountSpec("server", "agent7", "pbx.example", registrar="pbx.example")


def test_the_settings_account_comes_first_with_its_keyring_password() -> None:
    sip = SipSettings(username="agent7", registrar="pbx.example:5061", transport="tls")
    choice = app.choose_phone_account(sip, Secrets({SIP_PASSWORD_SECRET: "s3"}), lambda: SERVER)
    assert choice.source == "settings" and choice.spec is not None
    assert (choice.spec.registrar, choice.spec.password, choice.spec.register) == (
        "pbx.example:5061",
        "s3",
        True,
    )


def test_a_registrar_account_without_its_password_is_not_configured() -> None:
    sip = SipSettings(username="agent7", registrar="pbx.example")
    choice = app.choose_phone_account(sip, Secrets())
    assert choice.spec is None and "keyring" in choice.problem
    broken = app.choose_phone_account(sip, Secrets(broken=True))
    assert broken.spec is None and "keyring" in broken.problem


def test_an_account_without_registrar_takes_direct_calls_and_needs_no_password() -> None:
    sip = SipSettings(username="agent7", registrar="", domain="10.0.0.5")
    choice = app.choose_phone_account(sip, Secrets())
    assert choice.spec is not None
    assert (choice.spec.register, choice.spec.domain, choice.spec.password) == (
        False,
        "10.0.0.5",
        "",
    )


def test_without_settings_the_server_supplied_account_is_used_else_none() -> None:
    assert app.choose_phone_account(SipSettings(), Secrets(), lambda: SERVER).spec is SERVER
    nothing = app.choose_phone_account(SipSettings(), Secrets())
    assert nothing.spec is None and nothing.problem


@pytest.mark.parametrize(
    ("calls", "policy"),
    [
        ("busy_here", IncomingPolicy.BUSY_HERE),
        ("ring_and_decline", IncomingPolicy.RING_AND_DECLINE),
    ],
)
def test_desk_settings_from_the_desk_section(calls: str, policy: IncomingPolicy) -> None:
    desk = app.desk_settings(
        AgentDeskSettings(not_ready_calls=calls, ring_and_decline_s=7, auto_answer=True),  # type: ignore[arg-type]
        "primary",
    )
    assert (desk.not_ready_policy, desk.ring_and_decline_s, desk.account_id) == (
        policy,
        7,
        "primary",
    )
    assert desk.auto_answer_s == 1.0
    assert app.desk_settings(AgentDeskSettings()).auto_answer_s is None


@dataclass
class ServerReason:
    code: str
    label: str
    limit_s: int | None = None


class StoreWithReasons:
    def __init__(self, reasons: list[object] | None = None, fail: bool = False) -> None:
        self.reasons, self.fail = reasons or [], fail

    def not_ready_reasons(self) -> list[object]:
        if self.fail:
            raise RuntimeError("no table yet")
        return self.reasons


def test_reason_codes_from_the_store_when_it_has_them() -> None:
    store = StoreWithReasons([ServerReason("coaching", "Coaching", 1800), object()])
    [reason] = app.not_ready_reasons(store)  # type: ignore[arg-type]
    assert (reason.code, reason.label, reason.limit_s) == ("coaching", "Coaching", 1800.0)
    assert app.not_ready_reasons(None) == DEFAULT_NOT_READY_REASONS
    assert app.not_ready_reasons(StoreWithReasons()) == DEFAULT_NOT_READY_REASONS  # type: ignore[arg-type]


@pytest.mark.allow_log_errors
def test_a_store_that_cannot_list_reasons_leaves_the_defaults() -> None:
    store = StoreWithReasons(fail=True)
    assert app.not_ready_reasons(store) == DEFAULT_NOT_READY_REASONS  # type: ignore[arg-type]
