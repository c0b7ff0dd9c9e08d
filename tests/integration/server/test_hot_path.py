"""Settings of the hot path that measurements chose: generic plans on the autocommit engine
(PostgreSQL), a frozen start-up heap in each serve worker."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from sqlalchemy import text

from server.app import app_factory
from server.runtime import Runtime
from server.settings import ServerSettings
from tests.integration.server.conftest import make_settings


def test_hot_path_engine_plans_prepared_statements_once(settings: ServerSettings) -> None:
    runtime = Runtime.build(settings)
    try:
        with runtime.read_engine.connect() as conn:
            head = conn.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar()
            assert head is not None
            if runtime.read_engine.dialect.name != "postgresql":
                pytest.skip("plan cache modes are a PostgreSQL setting")
            assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_generic_plan"
        # Admin writes keep PostgreSQL's default planning.
        with runtime.engine.connect() as conn:
            assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
    finally:
        runtime.close()


def test_serve_worker_freezes_its_start_up_heap(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(database_url, tmp_path / "data")
    for name, value in settings.model_dump().items():
        text_value = ",".join(value) if isinstance(value, tuple) else str(value)
        monkeypatch.setenv(f"PULSE_SERVER_{name.upper()}", text_value)
    before = gc.get_freeze_count()
    app = app_factory()
    try:
        assert gc.get_freeze_count() > before
        assert app.state.runtime.settings.database_url == database_url
    finally:
        gc.unfreeze()
        app.state.runtime.close()
