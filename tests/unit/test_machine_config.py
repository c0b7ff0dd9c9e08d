"""``pulse-agent machine-config``: the installer's values written into the machine file."""

from __future__ import annotations

import stat
import sys
import tomllib
from pathlib import Path

import pytest

from agent_app import cli
from agent_app.foundation import config
from agent_app.foundation.config import ConfigError
from agent_app.foundation.machine_config import write_machine_config

TEMPLATE = Path(__file__).resolve().parents[2] / "packaging" / "pulse.toml.example"


def test_a_fresh_machine_gets_a_file_with_the_given_values(tmp_path: Path) -> None:
    target = tmp_path / "ProgramData" / "Pulse" / "pulse.toml"
    written = write_machine_config(
        target,
        {
            "server_url": "https://pulse.example.internal:8443",
            "sip_registrar": "pbx.example.internal:5061",
            "sip_transport": "tls",
            "ca_bundle": r"C:\ProgramData\Pulse\ca.pem",
        },
    )
    assert written == ["sync.server_url", "sip.registrar", "sip.transport", "sync.ca_bundle"]
    data = tomllib.loads(target.read_text(encoding="utf-8"))
    assert data == {
        "sync": {
            "server_url": "https://pulse.example.internal:8443",
            "ca_bundle": r"C:\ProgramData\Pulse\ca.pem",
        },
        "sip": {"registrar": "pbx.example.internal:5061", "transport": "tls"},
    }
    if sys.platform != "win32":
        assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_the_values_are_in_force_and_locked_where_lockable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "machine.toml"
    write_machine_config(
        target, {"server_url": "https://pulse.example.internal", "sip_transport": "tcp"}
    )
    monkeypatch.setenv("PULSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PULSE_MACHINE_CONFIG", str(target))
    loaded = config.load_settings({"PULSE_SYNC_SERVER_URL": "https://elsewhere.example"})
    assert loaded.settings.sync.server_url == "https://pulse.example.internal"
    assert loaded.settings.sip.transport == "tcp"
    assert loaded.source_of("sync.server_url").locked
    assert "sync.server_url" in loaded.ignored


def test_the_template_keeps_its_comments_and_other_keys(tmp_path: Path) -> None:
    target = tmp_path / "pulse.toml"
    original = TEMPLATE.read_text(encoding="utf-8").replace('# level = "INFO"', 'level = "DEBUG"')
    target.write_text(original, encoding="utf-8")
    write_machine_config(target, {"server_url": "https://a.example", "sip_transport": "tls"})
    text = target.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["sync"] == {"server_url": "https://a.example"}
    assert data["sip"] == {"transport": "tls"}
    assert data["log"] == {"level": "DEBUG"}
    # Every line of the template is still there; the new ones sit under their commented example.
    assert set(original.splitlines()) <= set(text.splitlines())
    lines = text.splitlines()
    at = lines.index('server_url = "https://a.example"')
    assert lines[at - 1].startswith("# server_url =")


def test_a_second_run_replaces_its_own_value_and_empty_values_change_nothing(
    tmp_path: Path,
) -> None:
    target = tmp_path / "pulse.toml"
    write_machine_config(target, {"server_url": "https://a.example", "sip_registrar": "pbx:5060"})
    write_machine_config(target, {"server_url": "https://b.example", "sip_registrar": ""})
    text = target.read_text(encoding="utf-8")
    assert text.count("server_url =") == 1
    assert tomllib.loads(text)["sync"]["server_url"] == "https://b.example"
    assert tomllib.loads(text)["sip"]["registrar"] == "pbx:5060"
    before = target.read_bytes()
    assert write_machine_config(target, {"server_url": "", "ca_bundle": "  "}) == []
    assert target.read_bytes() == before


def test_a_missing_file_is_created_even_with_nothing_to_set(tmp_path: Path) -> None:
    target = tmp_path / "Pulse" / "pulse.toml"
    assert write_machine_config(target, {}) == []
    assert tomllib.loads(target.read_text(encoding="utf-8")) == {}


@pytest.mark.parametrize(
    ("option", "value", "why"),
    [
        ("server_url", "http://pulse.example.internal", "plain http"),
        ("sip_transport", "tls13", "sip.transport"),
        ("server_url", "not a url", "sync.server_url"),
    ],
)
def test_a_bad_value_is_refused_and_the_file_left_as_it_was(
    tmp_path: Path, option: str, value: str, why: str
) -> None:
    target = tmp_path / "pulse.toml"
    target.write_text('[log]\nlevel = "DEBUG"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=why):
        write_machine_config(target, {option: value})
    assert target.read_text(encoding="utf-8") == '[log]\nlevel = "DEBUG"\n'
    assert [p.name for p in tmp_path.iterdir()] == ["pulse.toml"]


def test_the_command_line_as_the_installer_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "Pulse" / "pulse.toml"
    argv = [
        "machine-config",
        "--server-url",
        "https://pulse.example.internal",
        "--sip-registrar",
        "",
        "--sip-transport",
        "udp",
        "--ca-bundle",
        "",
        "--file",
        str(target),
    ]
    assert cli.main(argv) == 0
    assert "sync.server_url, sip.transport" in capsys.readouterr().out
    assert tomllib.loads(target.read_text(encoding="utf-8"))["sip"] == {"transport": "udp"}

    argv[6] = "carrier-pigeon"
    assert cli.main(argv) == 2
    assert "sip.transport" in capsys.readouterr().err
