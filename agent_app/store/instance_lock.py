"""One Pulse process per store directory, enforced by an OS file lock.

The lock is tied to the open file, so the operating system drops it when the process
dies, however it dies: a crash never leaves a stale lock for IT to clean up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from agent_app.store.errors import StoreInUseError


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="ascii")
        try:
            _lock(handle)
        except OSError:
            handle.close()
            raise StoreInUseError(
                f"another Pulse is using the store in {self.path.parent}; close it first"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file drops the lock
            self._file = None

    @property
    def held(self) -> bool:
        return self._file is not None


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
