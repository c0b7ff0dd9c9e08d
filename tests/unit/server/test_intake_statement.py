"""The intake insert must stay in SQLAlchemy's statement cache (compiled once per process)."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from server.intake import _insert_new


@pytest.mark.parametrize(
    ("name", "dialect"), [("postgresql", postgresql.dialect()), ("sqlite", sqlite.dialect())]
)
def test_insert_skipping_stored_ids_is_cacheable(name: str, dialect: Dialect) -> None:
    first, second = _insert_new(name), _insert_new(name)
    key = first._generate_cache_key()
    assert key is not None
    assert key == second._generate_cache_key()
    sql = " ".join(str(first.compile(dialect=dialect)).split())
    assert sql.startswith("INSERT INTO intake_items (id, kind, user_id, device_id,")
    assert "ON CONFLICT (id) DO NOTHING RETURNING" in sql


def test_other_databases_are_refused_by_name() -> None:
    with pytest.raises(NotImplementedError, match="mysql"):
        _insert_new("mysql")
