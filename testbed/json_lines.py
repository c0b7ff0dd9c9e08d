"""A JSON-lines file that another process appends to, read as it grows, without a thread."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any


class JsonLines:
    """Each :meth:`read` adds the lines completed since the last one to :attr:`items`; a
    line that is not a JSON object (a library's banner on the same stream) is skipped."""

    def __init__(self, path: Path) -> None:
        path.touch()
        self._file: IO[bytes] = path.open("rb")
        self._partial = b""
        self.items: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        *lines, self._partial = (self._partial + self._file.read()).split(b"\n")
        self.items += [json.loads(line) for line in lines if line.startswith(b"{")]
        return self.items

    def find(self, kind: str, **fields: object) -> dict[str, Any] | None:
        """The first item whose ``type`` is ``kind`` and whose ``fields`` match."""
        for item in self.read():
            if item.get("type") == kind and all(item.get(k) == v for k, v in fields.items()):
                return item
        return None

    def close(self) -> None:
        self._file.close()
