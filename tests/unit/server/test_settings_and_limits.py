"""Server settings layers, password hashing, and the client address behind proxies."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.security import hash_password, verify_password
from server.settings import ServerSettings, SettingsError, load_settings
from server.throttle import client_address


def test_layers_file_then_environment(tmp_path: Path) -> None:
    cfg = tmp_path / "server.toml"
    cfg.write_text('port = 9000\nhost = "0.0.0.0"\ncors_origins = ["https://x.example"]\n')
    settings = load_settings(
        cfg, {"PULSE_SERVER_PORT": "9100", "PULSE_SERVER_DATABASE_URL": "postgresql+psycopg://h/db"}
    )
    assert settings.port == 9100 and settings.host == "0.0.0.0"
    assert settings.cors_origins == ("https://x.example",)
    assert settings.resolved_database_url() == "postgresql+psycopg://h/db"


def test_sqlite_default_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings(None, {"PULSE_SERVER_DATA_DIR": str(tmp_path)})
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path}/pulse-server.db"
    key = settings.resolved_secret_key()
    assert len(key) == 64 and settings.resolved_secret_key() == key
    assert (tmp_path / "signing.key").stat().st_mode & 0o077 == 0
    assert settings.cors_origins == ()  # CORS off by default


def test_bad_values_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="port"):
        load_settings(None, {"PULSE_SERVER_PORT": "seventy"})
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = 1\n")
    with pytest.raises(SettingsError, match="nonsense"):
        load_settings(bad, {})
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "missing.toml", {})


def test_password_hashes() -> None:
    h = hash_password("s3cret-enough")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "s3cret-enough")
    assert not verify_password(h, "wrong")
    assert not verify_password(None, "anything")
    assert not verify_password("garbage", "anything")


def test_the_client_address_comes_from_forwarded_for_only_behind_a_trusted_proxy() -> None:
    plain = ServerSettings()
    behind = ServerSettings(trusted_proxies=("10.0.0.0/8", "127.0.0.1"))
    chain = "203.0.113.9, 198.51.100.7, 10.1.2.3"
    # Not configured: a client cannot pick its own address with a header.
    assert client_address("127.0.0.1", chain, plain) == "127.0.0.1"
    # Configured: the nearest hop that is not one of our proxies.
    assert client_address("127.0.0.1", chain, behind) == "198.51.100.7"
    # A peer that is not a trusted proxy is the client, whatever it forwards.
    assert client_address("192.0.2.1", chain, behind) == "192.0.2.1"
    assert client_address("10.9.9.9", None, behind) == "10.9.9.9"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(SettingsError, match="trusted_proxies"):
        load_settings(None, {"PULSE_SERVER_TRUSTED_PROXIES": "10.0.0.0/8,proxy.example"})
