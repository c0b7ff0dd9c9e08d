"""Where an agent's store files live, and who signed in last on this workstation.

``<data dir>/stores/<agent>/`` holds ``cache.db``, ``journal.db`` (each with its ``-wal``
and ``-shm``), the instance lock and any set-aside files. ``<data dir>/last-agent`` names
the last agent who signed in (not a secret) so that IT's ``pulse-agent cache`` commands
know which files to look at.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from agent_app.foundation import paths

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SIDE_FILES = ("", "-wal", "-shm")


def agent_slug(agent_id: str) -> str:
    if _SAFE.match(agent_id) and agent_id not in (".", ".."):
        return agent_id
    return "id-" + hashlib.sha256(agent_id.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class StoreLayout:
    directory: Path

    @classmethod
    def for_agent(cls, agent_id: str, data_dir: Path | None = None) -> StoreLayout:
        base = paths.data_dir() if data_dir is None else data_dir
        return cls(base / "stores" / agent_slug(agent_id))

    def ensure(self) -> None:
        """Create the directory, readable by this user only (the files inherit the guard)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)

    @property
    def cache(self) -> Path:
        return self.directory / "cache.db"

    @property
    def journal(self) -> Path:
        return self.directory / "journal.db"

    @property
    def lock(self) -> Path:
        return self.directory / "store.lock"

    def files(self, db: Path) -> list[Path]:
        return [db.with_name(db.name + side) for side in SIDE_FILES]

    def set_aside(self, db: Path, reason: str) -> Path:
        """Rename a file (with its -wal/-shm) out of the way; return the new main path."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = db.with_name(f"{db.stem}.set-aside-{stamp}-{reason}{db.suffix}")
        for source, side in zip(self.files(db), SIDE_FILES, strict=True):
            if source.exists():
                source.replace(target.with_name(target.name + side))
        return target

    def set_aside_files(self, db: Path) -> list[Path]:
        return sorted(self.directory.glob(f"{db.stem}.set-aside-*{db.suffix}"))

    def remove(self, db: Path) -> None:
        for path in self.files(db):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _last_agent_file(data_dir: Path | None) -> Path:
    return (paths.data_dir() if data_dir is None else data_dir) / "last-agent"


def remember_last_agent(agent_id: str, data_dir: Path | None = None) -> None:
    path = _last_agent_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"agent_id": agent_id}), encoding="utf-8")
    tmp.replace(path)


def last_agent(data_dir: Path | None = None) -> str | None:
    try:
        value = json.loads(_last_agent_file(data_dir).read_text(encoding="utf-8"))["agent_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, str) and value else None
