"""The self-check's judgements that need no peer: settings, TLS/SRTP policy, versions, output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_app import __version__, self_check
from agent_app.foundation.config import Settings
from agent_app.self_check import Check, check_config, check_store, check_tls_srtp, format_check
from agent_app.sync.login import LoginError
from agent_app.sync.version_policy import (
    UpdateRequired,
    check_minimum,
    is_older,
    parse_version,
    update_message,
)


def _settings(**sip: object) -> Settings:
    return Settings.model_validate({"sip": sip})


def test_versions_compare_by_number_and_ignore_suffixes() -> None:
    assert parse_version("1.10.2") == (1, 10, 2)
    assert parse_version("2.0.0rc1") == (2, 0, 0)
    assert parse_version("0.1.0.dev3") == (0, 1, 0)
    assert is_older("1.9.9", "1.10")
    assert not is_older("1.10", "1.10.0")
    assert not is_older("2.0", "1.10.3")


def test_an_older_desk_is_told_which_version_it_needs() -> None:
    check_minimum(None, "0.1.0")
    check_minimum("0.1.0", "0.1.0")
    with pytest.raises(UpdateRequired) as info:
        check_minimum("3.2.0", "0.1.0")
    assert isinstance(info.value, LoginError)
    assert str(info.value) == (
        "Update required: this server needs Pulse 3.2.0 or later (you have 0.1.0)."
    )
    assert (info.value.minimum, info.value.current) == ("3.2.0", "0.1.0")
    assert update_message("1.0", "0.9") in str(UpdateRequired("1.0", "0.9"))


def test_locked_settings_are_listed_and_ignored_overrides_warned(
    pulse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = pulse_home / "machine" / "pulse.toml"
    machine.parent.mkdir(parents=True)
    machine.write_text('[sip]\ntransport = "tls"\nsrtp = "mandatory"\n')
    check, loaded = check_config()
    assert loaded is not None
    assert check.status == "pass"
    assert check.finding == "valid; locked by the machine file: sip.srtp, sip.transport"

    monkeypatch.setenv("PULSE_SIP_TRANSPORT", "udp")
    check, loaded = check_config()
    assert check.status == "warn"
    assert "overrides ignored (locked): sip.transport" in check.finding
    assert loaded is not None and loaded.settings.sip.transport == "tls"


def test_an_invalid_setting_fails_with_where_and_what(
    pulse_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_SIP_TRANSPORT", "carrier-pigeon")
    check, loaded = check_config()
    assert loaded is None
    assert check.status == "fail"
    assert "PULSE_SIP_TRANSPORT" in check.finding and "sip.transport" in check.finding
    assert check.action


@pytest.mark.parametrize(
    ("sip", "status", "words"),
    [
        ({"transport": "tls", "srtp": "mandatory"}, "pass", "SIP over TLS, SRTP mandatory"),
        ({"transport": "udp", "srtp": "mandatory"}, "warn", "SRTP keys travel unencrypted"),
        ({"transport": "tls", "srtp": "off"}, "warn", "not fully encrypted"),
        ({"transport": "tls", "tls_verify": False}, "warn", "certificate is not verified"),
        ({"transport": "tls", "tls_ca_file": "/nonexistent/ca.pem"}, "fail", "does not exist"),
    ],
)
def test_tls_and_srtp_as_the_settings_require(
    sip: dict[str, object], status: str, words: str
) -> None:
    check = check_tls_srtp(_settings(**sip))
    assert check.status == status
    assert words in check.finding


def test_the_store_check_skips_until_an_agent_signed_in(pulse_home: Path) -> None:
    check = check_store(None, keyring_failed=True)
    assert (check.status, check.finding) == ("skip", "no agent has signed in here yet")


def test_registrar_address_forms() -> None:
    assert self_check._host_port("pbx.example.org", 5060) == ("pbx.example.org", 5060)
    assert self_check._host_port("10.0.0.5:5080", 5060) == ("10.0.0.5", 5080)
    assert self_check._host_port("sips:pbx.example.org:5061;transport=tls", 5060) == (
        "pbx.example.org",
        5061,
    )
    assert self_check._host_port("[::1]:5062", 5060) == ("::1", 5062)


def test_human_and_json_forms(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = [
        Check("keyring", "fail", "no secure keyring backend", "install gnome-keyring"),
        Check("disk space", "pass", "900 MiB free"),
        Check("microphone level", "warn", "silent", "unmute it"),
    ]
    assert format_check(checks[0]) == (
        "[FAIL] keyring: no secure keyring backend\n       what to do: install gnome-keyring"
    )
    assert format_check(checks[1]) == "[PASS] disk space: 900 MiB free"

    def fake_run(*, progress: object = None) -> list[Check]:
        for check in checks:
            if callable(progress):
                progress(check)
        return checks

    monkeypatch.setattr(self_check, "run_checks", fake_run)
    assert self_check.main(as_json=True) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == __version__ and report["ok"] is False
    assert report["checks"][0] == {
        "name": "keyring",
        "status": "fail",
        "finding": "no secure keyring backend",
        "action": "install gnome-keyring",
    }
    monkeypatch.setattr(self_check, "run_checks", lambda **_: checks[1:])
    assert self_check.main(as_json=False) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 failed, 1 warning(s), 2 checks"
