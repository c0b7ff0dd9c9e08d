"""Layered settings: precedence, provenance, validation messages and masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_app.foundation import paths
from agent_app.foundation.config import ConfigError, format_effective, load_settings
from agent_app.sync.api import ServerApi


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_without_any_file() -> None:
    loaded = load_settings(environ={})
    assert loaded.settings.sip.transport == "udp"
    assert loaded.settings.sip.codecs[0] == "G722/16000"
    assert str(loaded.source_of("sip.transport")) == "defaults"


def test_layers_override_in_order() -> None:
    # local_port: a setting the machine file does not lock (see the lock tests below).
    machine = _write(
        paths.machine_config_file(), '[sip]\nregistrar = "pbx.machine"\nlocal_port = 5070\n'
    )
    user = _write(
        paths.user_config_file(),
        '[sip]\ntransport = "tls"\nlocal_port = 5080\n[ui]\nlanguage = "es"\n',
    )
    loaded = load_settings(
        environ={"PULSE_UI_LANGUAGE": "fr", "PULSE_SIP_CODECS": "PCMU/8000, PCMA/8000"}
    )
    s = loaded.settings
    assert s.sip.registrar == "pbx.machine"
    assert loaded.source_of("sip.registrar").where == str(machine)
    assert s.sip.transport == "tls"
    assert loaded.source_of("sip.transport").where == str(user)
    assert s.sip.local_port == 5080
    assert loaded.source_of("sip.local_port").where == str(user)
    assert s.ui.language == "fr"
    assert loaded.source_of("ui.language").where == "PULSE_UI_LANGUAGE"
    assert s.sip.codecs == ("PCMU/8000", "PCMA/8000")


def test_bad_value_names_file_key_value_and_allowed() -> None:
    machine = _write(paths.machine_config_file(), '[sip]\ntransport = "carrier-pigeon"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(environ={})
    message = str(info.value)
    assert str(machine) in message
    assert "sip.transport" in message
    assert "carrier-pigeon" in message
    assert "'udp'" in message and "'tls'" in message


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"PULSE_SIP_LOCAL_PORT": "70000"})
    assert "PULSE_SIP_LOCAL_PORT" in str(info.value)
    assert "70000" in str(info.value)


def test_unknown_key_and_section_are_refused() -> None:
    _write(paths.user_config_file(), "[sip]\nregistar = 'typo'\n")
    with pytest.raises(ConfigError, match=r"unknown key 'sip.registar'"):
        load_settings(environ={})
    _write(paths.user_config_file(), "[telephone]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"unknown section \[telephone\]"):
        load_settings(environ={})


def test_unknown_variable_in_our_section_is_refused_but_pulseaudio_ones_are_ignored() -> None:
    with pytest.raises(ConfigError, match="PULSE_SIP_REGISTAR"):
        load_settings(environ={"PULSE_SIP_REGISTAR": "x"})
    loaded = load_settings(environ={"PULSE_SERVER": "unix:/tmp/pa", "PULSE_COOKIE": "/tmp/c"})
    assert loaded.settings.sip.registrar == "127.0.0.1"


def test_broken_toml_is_reported_with_its_path() -> None:
    path = _write(paths.user_config_file(), "[sip\n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_settings(environ={})
    assert str(path) in str(info.value)


def test_print_config_masks_url_credentials() -> None:
    loaded = load_settings(
        environ={"PULSE_SYNC_SERVER_URL": "https://it:hunter2@pulse.example:8443/"}
    )
    text = format_effective(loaded)
    assert "hunter2" not in text
    assert "it:********@pulse.example:8443" in text
    assert "# environment (PULSE_SYNC_SERVER_URL)" in text


def test_the_desk_section_sets_how_calls_are_offered_and_refused() -> None:
    _write(
        paths.machine_config_file(),
        '[desk]\nnot_ready_calls = "ring_and_decline"\nauto_answer = true\ndial_region = "GB"\n',
    )
    desk = load_settings(environ={"PULSE_DESK_RING_AND_DECLINE_S": "6"}).settings.desk
    assert (desk.not_ready_calls, desk.ring_and_decline_s, desk.auto_answer) == (
        "ring_and_decline",
        6.0,
        True,
    )
    assert (desk.dial_region, desk.call_waiting, desk.auto_answer_delay_s) == ("GB", True, 1.0)
    with pytest.raises(ConfigError, match=r"desk\.not_ready_calls"):
        load_settings(environ={"PULSE_DESK_NOT_READY_CALLS": "voicemail"})


def test_the_machine_file_locks_security_settings() -> None:
    machine = _write(
        paths.machine_config_file(),
        "[security]\nlock_after_idle_s = 300\n"
        '[sync]\nserver_url = "https://pulse.example.test"\nmax_offline_hours = 8\n'
        '[sip]\ntransport = "tls"\nsrtp = "mandatory"\n',
    )
    _write(
        paths.user_config_file(),
        '[security]\nlock_after_idle_s = 3600\noffline_login_hours = 2\n[sip]\ntransport = "udp"\n',
    )
    loaded = load_settings(
        environ={
            "PULSE_SYNC_SERVER_URL": "http://elsewhere.example.test",
            "PULSE_SIP_SRTP": "off",
            "PULSE_SYNC_MAX_OFFLINE_HOURS": "700",
        }
    )
    s = loaded.settings
    assert s.security.lock_after_idle_s == 300
    assert s.sync.server_url == "https://pulse.example.test"
    assert s.sync.max_offline_hours == 8
    assert (s.sip.transport, s.sip.srtp) == ("tls", "mandatory")
    source = loaded.source_of("security.lock_after_idle_s")
    assert source.locked and source.where == str(machine)
    # A security setting the machine file leaves alone stays the agent's to choose.
    assert s.security.offline_login_hours == 2
    assert not loaded.source_of("security.offline_login_hours").locked

    shown = {line.split()[0]: line for line in format_effective(loaded).splitlines()}
    assert "locked" in shown["security.lock_after_idle_s"]
    assert "ignored: user" in shown["security.lock_after_idle_s"]
    assert "ignored: environment (PULSE_SYNC_SERVER_URL)" in shown["sync.server_url"]
    assert "locked" not in shown["security.offline_login_hours"]


def test_settings_that_are_not_security_ones_are_never_locked() -> None:
    _write(paths.machine_config_file(), '[ui]\ntheme = "dark"\n')
    loaded = load_settings(environ={"PULSE_UI_THEME": "light"})
    assert loaded.settings.ui.theme == "light"
    assert not loaded.ignored


@pytest.mark.parametrize(
    "url",
    ["http://pulse.example.test", "http://10.0.0.5:8600", "http://[2001:db8::1]:8600/"],
)
def test_plain_http_to_another_computer_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="https://"):
        load_settings(environ={"PULSE_SYNC_SERVER_URL": url})
    with pytest.raises(ValueError, match="https://"):
        ServerApi(url, device_id="d")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8600",
        "http://localhost:8600",
        "http://[::1]:8600",
        "https://pulse.example.test",
    ],
)
def test_loopback_http_and_https_are_allowed(url: str) -> None:
    assert load_settings(environ={"PULSE_SYNC_SERVER_URL": url}).settings.sync.server_url == url
    ServerApi(url, device_id="d").close()
