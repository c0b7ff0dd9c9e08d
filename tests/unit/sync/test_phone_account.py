"""Which source each SIP setting comes from, and how the phone account answer is read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent_app.foundation import paths
from agent_app.foundation.config import LoadedSettings, load_settings
from agent_app.store.desk import PhoneAccount
from agent_app.sync.api import ServerApi
from agent_app.sync.errors import RequestRejected, ServerUnreachable
from agent_app.sync.http_client import Request, Response
from agent_app.sync.phone_account import sip_password_entry, sip_settings_for

ACCOUNT = PhoneAccount("1001", "agents.example.test", "pbx.example.test:5061", "tls", 2)


def loaded(machine_toml: str = "", environ: dict[str, str] | None = None) -> LoadedSettings:
    if machine_toml:
        path = paths.machine_config_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(machine_toml, encoding="utf-8")
    return load_settings(environ or {})


def test_without_an_account_the_configuration_stands() -> None:
    settings = loaded('[sip]\nusername = "7000"\n')
    assert sip_settings_for(settings, None) == settings.settings.sip


def test_the_server_fills_in_what_it_did_not_configure() -> None:
    sip = sip_settings_for(loaded(), ACCOUNT)
    assert (sip.username, sip.domain, sip.registrar, sip.transport) == (
        "1001",
        "agents.example.test",
        "pbx.example.test:5061",
        "tls",
    )
    assert sip.tls_verify is True and sip.srtp == "optional"  # still the defaults


def test_addresses_set_by_it_on_the_machine_win_as_a_pair() -> None:
    settings = loaded(
        '[sip]\nregistrar = "pbx.site.test:5060"\ntls_ca_file = "/etc/pulse/pbx-ca.pem"\n'
        'username = "shared-7000"\n'
    )
    sip = sip_settings_for(settings, ACCOUNT)
    # The agent's own account from the server; the machine's registrar, with its transport
    # (the default, udp), not the server's tls on a port that may not speak it.
    assert (sip.username, sip.domain) == ("1001", "agents.example.test")
    assert (sip.registrar, sip.transport) == ("pbx.site.test:5060", "udp")
    assert sip.tls_ca_file == "/etc/pulse/pbx-ca.pem"

    transport_only = sip_settings_for(loaded('[sip]\ntransport = "tcp"\n'), ACCOUNT)
    assert (transport_only.registrar, transport_only.transport) == ("127.0.0.1", "tcp")


def test_an_environment_variable_counts_as_configured() -> None:
    settings = loaded(environ={"PULSE_SIP_REGISTRAR": "10.0.0.5"})
    sip = sip_settings_for(settings, ACCOUNT)
    assert (sip.registrar, sip.transport, sip.username) == ("10.0.0.5", "udp", "1001")


def test_the_keyring_entry_is_per_agent() -> None:
    assert sip_password_entry(" Demo ") == "sip-password:demo"
    assert sip_password_entry("agent7") != sip_password_entry("agent8")


GOOD = {
    "username": "1001",
    "domain": "127.0.0.1",
    "registrar": "127.0.0.1",
    "transport": "udp",
    "password_version": 1,
    "password": "synthetic-sip-secret",
    "already_delivered": False,
}


def api_answering(status: int, body: Any) -> ServerApi:
    def handler(request: Request) -> Response:
        assert request.path == "/api/v1/agent/phone"
        assert request.headers["Authorization"] == "Bearer tok"
        return Response(status, content=json.dumps(body).encode())

    return ServerApi("http://server.test", device_id="dev-1", transport=handler)


def test_the_answer_is_read_and_the_password_kept_out_of_its_repr() -> None:
    answer = api_answering(200, GOOD).phone_account(token="tok")
    assert answer is not None
    assert (answer.username, answer.password, answer.already_delivered) == (
        "1001",
        "synthetic-sip-secret",
        False,
    )
    assert "synthetic-sip-secret" not in repr(answer)
    later = api_answering(200, {**GOOD, "password": None, "already_delivered": True})
    again = later.phone_account(token="tok")
    assert again is not None and again.password is None and again.already_delivered


def test_no_extension_is_none_and_other_refusals_are_raised() -> None:
    assert api_answering(404, {"detail": "no phone extension"}).phone_account(token="tok") is None
    with pytest.raises(RequestRejected):
        api_answering(403, {"detail": "no"}).phone_account(token="tok")


@pytest.mark.parametrize(
    "body",
    [
        {k: v for k, v in GOOD.items() if k != "registrar"},
        {**GOOD, "transport": "carrier-pigeon"},
        {**GOOD, "password": 1234},
        {**GOOD, "username": ""},
        ["not", "an", "object"],
    ],
)
def test_a_malformed_answer_is_an_unusable_server(body: Any) -> None:
    with pytest.raises(ServerUnreachable) as raised:
        api_answering(200, body).phone_account(token="tok")
    assert "synthetic-sip-secret" not in str(raised.value)
