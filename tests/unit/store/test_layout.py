"""Store paths per agent: safe directory names; the last-agent file survives garbage."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_app.store.layout import StoreLayout, agent_slug, last_agent, remember_last_agent


@pytest.mark.parametrize("agent_id", ["../etc", "a/b", "..", "", "x" * 65, "agent 7", "ág"])
def test_unsafe_agent_ids_become_hashed_names(agent_id: str, tmp_path: Path) -> None:
    slug = agent_slug(agent_id)
    assert slug.startswith("id-")
    assert "/" not in slug and ".." not in slug
    assert StoreLayout.for_agent(agent_id, tmp_path).directory.parent == tmp_path / "stores"


def test_plain_agent_ids_are_kept(tmp_path: Path) -> None:
    assert agent_slug("agent-7.b_c") == "agent-7.b_c"
    layout = StoreLayout.for_agent("agent-7", tmp_path)
    assert layout.cache == tmp_path / "stores" / "agent-7" / "cache.db"
    assert [p.name for p in layout.files(layout.journal)] == [
        "journal.db",
        "journal.db-wal",
        "journal.db-shm",
    ]


def test_last_agent_round_trip_and_garbage(tmp_path: Path) -> None:
    assert last_agent(tmp_path) is None
    remember_last_agent("agent-9", tmp_path)
    assert last_agent(tmp_path) == "agent-9"
    (tmp_path / "last-agent").write_text("{not json", encoding="utf-8")
    assert last_agent(tmp_path) is None


def test_set_aside_moves_the_file_with_its_wal_and_shm(tmp_path: Path) -> None:
    layout = StoreLayout.for_agent("agent-1", tmp_path)
    layout.ensure()
    for path in layout.files(layout.cache):
        path.write_bytes(b"x")
    aside = layout.set_aside(layout.cache, "corrupt")
    assert not any(p.exists() for p in layout.files(layout.cache))
    assert all(p.exists() for p in layout.files(aside))
    assert layout.set_aside_files(layout.cache) == [aside]
