"""SIP passwords at rest: the key file, the key setting, and what a wrong key or a moved row
does."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from server.settings import ServerSettings, SettingsError, load_settings
from server.sip_secrets import KEY_FILE, SecretKeyError, SipSecretBox, load_or_create_key

PASSWORD = "synthetic-sip-pass"  # synthetic


def box_in(directory: Path, **values: str) -> SipSecretBox:
    return SipSecretBox(ServerSettings.model_validate({"data_dir": str(directory), **values}))


def test_key_file_made_owner_only_on_first_use_and_reused(tmp_path: Path) -> None:
    box = box_in(tmp_path)
    assert not (tmp_path / KEY_FILE).exists()  # nothing until a password is encrypted
    sealed, key_id = box.encrypt(PASSWORD, user_id="u1")
    key_file = tmp_path / KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert PASSWORD not in sealed and len(key_file.read_text().strip()) == 64
    # Another process (a fresh box) reads the same key and opens the password.
    assert box_in(tmp_path).decrypt(sealed, key_id, user_id="u1") == PASSWORD
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temporary left behind


def test_each_encryption_differs_and_is_bound_to_its_user(tmp_path: Path) -> None:
    box = box_in(tmp_path)
    first, key_id = box.encrypt(PASSWORD, user_id="u1")
    second, _ = box.encrypt(PASSWORD, user_id="u1")
    assert first != second  # a fresh nonce each time
    with pytest.raises(SecretKeyError, match="does not decrypt"):
        box.decrypt(first, key_id, user_id="u2")
    tampered = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretKeyError, match="does not decrypt"):
        box.decrypt(tampered, key_id, user_id="u1")


def test_a_key_from_the_settings_wins_and_a_different_key_is_named(tmp_path: Path) -> None:
    configured = box_in(tmp_path, sip_secret_key="ab" * 32)
    sealed, key_id = configured.encrypt(PASSWORD, user_id="u1")
    assert not (tmp_path / KEY_FILE).exists()
    other = box_in(tmp_path)  # the key file, made now: another key
    with pytest.raises(SecretKeyError, match=key_id):
        other.decrypt(sealed, key_id, user_id="u1")
    env = load_settings(None, {"PULSE_SERVER_SIP_SECRET_KEY": "ab" * 32})
    assert SipSecretBox(env).decrypt(sealed, key_id, user_id="u1") == PASSWORD
    with pytest.raises(SettingsError, match="sip_secret_key"):
        load_settings(None, {"PULSE_SERVER_SIP_SECRET_KEY": "not-hex"})


def test_a_damaged_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("too short\n")
    with pytest.raises(SecretKeyError, match="64 hex digits"):
        box_in(tmp_path).encrypt(PASSWORD, user_id="u1")


def _make_key(directory: str, queue: multiprocessing.Queue[str]) -> None:
    queue.put(load_or_create_key(Path(directory) / KEY_FILE).hex())


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[str] = context.Queue()
    workers = [context.Process(target=_make_key, args=(str(tmp_path), queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    keys = {queue.get(timeout=60) for _ in workers}
    for worker in workers:
        worker.join(timeout=60)
    assert keys == {(tmp_path / KEY_FILE).read_text().strip()}
