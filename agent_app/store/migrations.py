"""Schema versions in ``PRAGMA user_version`` and the steps that move a file forward.

Each store declares an ordered list of :class:`Migration` steps, version 1, 2, ... A file
at version ``v`` gets steps ``v+1 ..`` applied, each in its own transaction together with
its ``user_version`` bump, so a crash or a failed step leaves the file at the last version
that fully applied. A file newer than the code raises :class:`SchemaTooNewError`. A step
once released is never edited: change the schema by appending a step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlcipher3

from agent_app.store.connection import Db
from agent_app.store.errors import MigrationError, SchemaTooNewError, StoreError


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sqlcipher3.Connection], None]


def sql_step(version: int, description: str, statements: Sequence[str]) -> Migration:
    """A step made of SQL statements (not ``executescript``, which would commit early)."""

    def apply(conn: sqlcipher3.Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    return Migration(version, description, apply)


def schema_version(db: Db) -> int:
    return int(db.query("PRAGMA user_version")[0][0])


def check_steps(steps: Sequence[Migration]) -> None:
    for index, step in enumerate(steps, start=1):
        if step.version != index:
            raise ValueError(f"migration steps must be numbered 1..n (found {step.version})")


def migrate(db: Db, steps: Sequence[Migration]) -> tuple[int, int]:
    """Bring the file to the newest version; return (version before, version after)."""
    check_steps(steps)
    target = len(steps)
    before = schema_version(db)
    if before > target:
        raise SchemaTooNewError(
            f"{db.label}: schema version {before} is newer than this Pulse knows ({target})"
        )
    for step in steps[before:]:
        try:
            with db.transaction() as conn:
                step.apply(conn)
                conn.execute(f"PRAGMA user_version = {int(step.version)}")
        except StoreError:
            raise
        except Exception as exc:
            raise MigrationError(
                f"{db.label}: migration to version {step.version} ({step.description}) failed: "
                f"{type(exc).__name__}"
            ) from None
    return before, target
