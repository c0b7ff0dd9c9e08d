"""What one server process holds: settings, engine, session factory, cursor codec, the SIP
secret box (sign-in limits live in the database, shared by every process)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.cursors import CursorCodec
from server.db import make_engine, session_factory
from server.models import utcnow
from server.security import configure_hasher
from server.settings import ServerSettings
from server.sip_secrets import SipSecretBox


@dataclass
class Runtime:
    settings: ServerSettings
    engine: Engine
    sessions: sessionmaker[Session]
    read_engine: Engine
    """Autocommit engine of the hot path: sync pulls, and intake (one self-committing INSERT)."""
    read_sessions: sessionmaker[Session]
    cursors: CursorCodec
    sip_box: SipSecretBox
    """Encrypts agents' SIP passwords; its key is read (or made) on first use."""
    extra: dict[str, object] = field(default_factory=dict)
    clock: Callable[[], datetime] = utcnow
    """The instant the calling rules judge leases at (tests move it)."""

    def close(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()

    @classmethod
    def build(cls, settings: ServerSettings) -> Runtime:
        configure_hasher(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)
        engine = make_engine(settings.resolved_database_url(), pool_size=settings.db_pool_size)
        read_engine = make_engine(
            settings.resolved_database_url(),
            pool_size=settings.db_pool_size,
            autocommit=True,
            generic_plans=True,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            read_engine=read_engine,
            read_sessions=session_factory(read_engine),
            cursors=CursorCodec(
                settings.resolved_secret_key(), settings.cursor_max_age_days * 86400.0
            ),
            sip_box=SipSecretBox(settings),
        )
