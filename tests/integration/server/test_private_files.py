"""The server's own files (SQLite database, cursor signing key) are owner-only from the start,
whatever the umask."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.db import make_engine, upgrade
from server.private_files import create_private
from server.settings import ServerSettings


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_signing_key_and_database_are_owner_only(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=str(tmp_path / "data"))
    settings.resolved_secret_key()
    upgrade(settings.resolved_database_url())
    engine = make_engine(settings.resolved_database_url())
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
    engine.dispose()
    made = sorted((tmp_path / "data").iterdir())
    assert {p.name for p in made} >= {"signing.key", "pulse-server.db"}
    for path in made:
        assert _mode(path) == 0o600, path.name


@pytest.mark.usefixtures("open_umask")
def test_workers_racing_for_the_signing_key_agree(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=str(tmp_path))
    keys: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: keys.append(settings.resolved_secret_key()))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["signing.key"]


def test_create_private_keeps_the_first(tmp_path: Path) -> None:
    target = tmp_path / "k"
    assert create_private(target, "one")
    assert not create_private(target, "two")
    assert target.read_text() == "one"
