"""The settings sections' own validation: conversions from files and variables, refusals,
every bad value reported at once, and a desk that starts without pydantic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent_app.foundation import paths
from agent_app.foundation.config import (
    AgentDeskSettings,
    ConfigError,
    SecuritySettings,
    Settings,
    SipSettings,
    SyncSettings,
    UiSettings,
    load_settings,
)
from agent_app.foundation.settings_fields import SettingsError


@pytest.mark.parametrize(
    ("variable", "raw", "dotted", "expected"),
    [
        ("PULSE_SECURITY_LOCK_AFTER_IDLE_S", "30", "security.lock_after_idle_s", 30),
        ("PULSE_SIP_LOCAL_PORT", " 5060 ", "sip.local_port", 5060),
        ("PULSE_SIP_REGISTER_EXPIRY_S", "600.0", "sip.register_expiry_s", 600),
        ("PULSE_SYNC_PULL_INTERVAL_S", "30", "sync.pull_interval_s", 30.0),
        ("PULSE_SYNC_TIMEOUT_S", "2.5", "sync.timeout_s", 2.5),
        ("PULSE_SIP_ICE", "true", "sip.ice", True),
        ("PULSE_SIP_ICE", "yes", "sip.ice", True),
        ("PULSE_SIP_ICE", "On", "sip.ice", True),
        ("PULSE_SIP_ICE", "1", "sip.ice", True),
        ("PULSE_SIP_TLS_VERIFY", "false", "sip.tls_verify", False),
        ("PULSE_SIP_TLS_VERIFY", "no", "sip.tls_verify", False),
        ("PULSE_SIP_TLS_VERIFY", "off", "sip.tls_verify", False),
        ("PULSE_SIP_TLS_VERIFY", "0", "sip.tls_verify", False),
        ("PULSE_SIP_CODECS", "PCMA/8000,PCMU/8000", "sip.codecs", ("PCMA/8000", "PCMU/8000")),
    ],
)
def test_environment_text_becomes_the_settings_type(
    variable: str, raw: str, dotted: str, expected: object
) -> None:
    section, key = dotted.split(".")
    value = getattr(getattr(load_settings(environ={variable: raw}).settings, section), key)
    assert value == expected
    assert type(value) is type(expected)


def test_toml_numbers_lists_and_booleans_are_taken() -> None:
    paths.user_config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.user_config_file().write_text(
        "[sync]\ntimeout_s = 3\n[sip]\ncodecs = ['PCMU/8000']\nice = true\nlocal_port = 5070\n",
        encoding="utf-8",
    )
    s = load_settings(environ={}).settings
    assert (s.sync.timeout_s, type(s.sync.timeout_s)) == (3.0, float)
    assert s.sip.codecs == ("PCMU/8000",)
    assert (s.sip.ice, s.sip.local_port) == (True, 5070)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"local_port": True}, "must be a whole number, not true or false"),
        ({"local_port": 5060.5}, "must be a whole number"),
        ({"local_port": "5060.5"}, "must be a whole number"),
        ({"local_port": "five"}, "must be a whole number"),
        ({"ice": "maybe"}, "must be true or false"),
        ({"ice": 2}, "must be true or false"),
        ({"registrar": 5060}, "must be text"),
        ({"codecs": "PCMU/8000"}, "must be a list of text"),
        ({"codecs": ["PCMU/8000", 8]}, "must be a list of text"),
        ({"transport": "sctp"}, "allowed: 'udp', 'tcp' or 'tls'"),
        ({"transport": "UDP"}, "allowed: 'udp', 'tcp' or 'tls'"),
        ({"local_port": -1}, "must be greater than or equal to 0"),
        ({"local_port": 65536}, "must be less than or equal to 65535"),
        ({"tls_pin_sha256": "ab" * 31}, "must match the pattern '^([0-9a-fA-F]{64})?$'"),
    ],
)
def test_a_bad_sip_value_is_refused_with_its_reason(values: dict[str, object], reason: str) -> None:
    with pytest.raises(SettingsError) as info:
        SipSettings.model_validate(values)
    ((key, value),) = values.items()
    assert [(e.loc, e.value, e.reason) for e in info.value.errors] == [((key,), value, reason)]
    assert f"{key} = {value!r} is not valid ({reason})" in str(info.value)


def test_a_boolean_is_not_a_number_nor_a_fraction_a_whole_number() -> None:
    with pytest.raises(ValueError, match="not true or false"):
        SyncSettings(timeout_s=True)
    with pytest.raises(ValueError, match=r"lock_after_idle_s = 300\.5"):
        SecuritySettings(lock_after_idle_s=300.5)  # type: ignore[arg-type]
    assert SecuritySettings(lock_after_idle_s=300.0).lock_after_idle_s == 300  # type: ignore[arg-type]
    assert SyncSettings(timeout_s=5).timeout_s == 5.0


def test_bounds_are_kept_exactly() -> None:
    with pytest.raises(ValueError, match="must be greater than 0"):
        SyncSettings(timeout_s=0)
    assert SyncSettings(timeout_s=120).timeout_s == 120
    with pytest.raises(ValueError, match="must be less than or equal to 120"):
        SyncSettings(timeout_s=120.01)
    with pytest.raises(ValueError, match=r"must be greater than or equal to 0\.5"):
        AgentDeskSettings(auto_answer_delay_s=0.4)
    with pytest.raises(ValueError, match="must be less than or equal to 720"):
        SyncSettings(max_offline_hours=721)
    with pytest.raises(ConfigError, match="must be greater than or equal to 30"):
        load_settings(environ={"PULSE_SECURITY_LOCK_AFTER_IDLE_S": "29"})


def test_a_pattern_must_match_the_whole_value() -> None:
    assert AgentDeskSettings(dial_region="GB").dial_region == "GB"
    for bad in ("gb", "GBR", "GB\n"):
        with pytest.raises(ValueError, match="dial_region"):
            AgentDeskSettings(dial_region=bad)


def test_every_bad_value_is_listed_at_once_with_where_it_was_set() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(
            environ={
                "PULSE_SIP_TRANSPORT": "carrier-pigeon",
                "PULSE_SIP_LOCAL_PORT": "70000",
                "PULSE_UI_THEME": "blue",
            }
        )
    assert str(info.value).splitlines() == [
        "invalid configuration:",
        "  PULSE_SIP_TRANSPORT: sip.transport = 'carrier-pigeon' is not valid "
        "(allowed: 'udp', 'tcp' or 'tls')",
        "  PULSE_SIP_LOCAL_PORT: sip.local_port = '70000' is not valid "
        "(must be less than or equal to 65535)",
        "  PULSE_UI_THEME: ui.theme = 'blue' is not valid (allowed: 'system', 'light' or 'dark')",
    ]


def test_nested_sections_and_unknown_keys_by_validation() -> None:
    with pytest.raises(SettingsError) as info:
        Settings.model_validate({"sip": {"registar": "x", "srtp": "always"}, "phone": {}})
    assert [e.loc for e in info.value.errors] == [("sip", "srtp"), ("sip", "registar"), ("phone",)]
    assert "unknown setting; allowed: sync, sip, audio" in str(info.value)


def test_an_unknown_key_is_refused_by_construction() -> None:
    with pytest.raises(TypeError, match="registar"):
        SipSettings(registar="pbx.example")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        SipSettings("pbx.example")  # type: ignore[misc]


def test_plain_http_elsewhere_is_refused_by_construction() -> None:
    with pytest.raises(ValueError, match="use https://"):
        SyncSettings(server_url="http://pulse.example.test")
    with pytest.raises(ValueError, match="must match the pattern"):
        SyncSettings(server_url="ftp://pulse.example.test")


def test_dump_validate_copy_equality_and_hashing() -> None:
    settings = Settings(ui=UiSettings(language="es"))
    again = Settings.model_validate(settings.model_dump())
    assert again == settings and hash(again) == hash(settings)
    assert again.model_dump()["sip"]["codecs"] == ("G722/16000", "PCMA/8000", "PCMU/8000")
    copied = settings.model_copy(update={"sip": SipSettings(transport="tls")})
    assert copied.sip.transport == "tls" and copied.ui.language == "es"
    assert settings.sip.transport == "udp"
    with pytest.raises(ValueError, match=r"sip\.transport"):
        settings.model_copy(update={"sip": {"transport": "x"}})
    with pytest.raises(AttributeError):
        settings.ui = UiSettings()  # type: ignore[misc]
    assert list(SipSettings.model_fields)[:2] == ["registrar", "fallback_registrar"]
    assert Settings.model_fields["sip"].annotation is SipSettings
    assert SipSettings.model_fields["codecs"].annotation == tuple[str, ...]


def test_the_desk_starts_without_pydantic(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import agent_app.app, agent_app.foundation.config, agent_app.views.main_window\n"
        "import agent_app.sync.api\n"
        "agent_app.foundation.config.load_settings({})\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(loaded & {'pydantic', 'pydantic_core'}))\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PULSE_HOME": str(tmp_path / "home"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
