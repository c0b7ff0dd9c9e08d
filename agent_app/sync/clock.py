"""Server time: the offset between this workstation's clock and the server's.

Workstation clocks drift and some are set by hand; the server is the system of record
for "when". The offset is measured around ``GET /api/v1/time`` (NTP's midpoint rule: the
server read its clock half-way through the round trip) and every timestamp the client
puts in an outbox item goes through :meth:`ServerClock.now_iso`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def parse_iso(value: str) -> datetime:
    """An ISO 8601 UTC time as the contract writes it (``...Z``)."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ServerClock:
    """Thread-safe holder of the measured skew (server minus local, in seconds)."""

    def __init__(self, offset_s: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._offset_s = offset_s
        self._measured = False

    @property
    def offset_s(self) -> float:
        with self._lock:
            return self._offset_s

    @property
    def measured(self) -> bool:
        with self._lock:
            return self._measured

    def observe(self, server_time: datetime, sent_at: float, received_at: float) -> float:
        """Record one measurement (``sent_at``/``received_at`` are ``time.time()``)."""
        midpoint = (sent_at + received_at) / 2.0
        offset = server_time.timestamp() - midpoint
        with self._lock:
            self._offset_s = offset
            self._measured = True
        return offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_s)

    def now_iso(self) -> str:
        return format_iso(self.now())

    def to_server(self, local: datetime) -> datetime:
        """A moment read from this workstation's clock, as the server's clock would say it."""
        return local.astimezone(UTC) + timedelta(seconds=self.offset_s)
