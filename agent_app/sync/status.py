"""What the agent (and IT) see of sync: online or offline since when, syncing, queued, last sync.

:class:`StatusTracker` is fed by the engine (request outcomes) and by the operating system's
reachability (through the Qt adapter), and calls its listeners with an immutable
:class:`SyncStatus` on the thread that changed it (the Qt adapter turns that into a queued
signal). The last successful sync and the start of an outage are kept in a small file of the
data directory so that ``pulse-agent sync --status`` can tell them too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from pathlib import Path

log = logging.getLogger(__name__)


class Connection(Enum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"
    SIGNED_OUT = "signed out"  # the server wants a fresh sign-in
    REVOKED = "revoked"


@dataclass(frozen=True)
class SyncStatus:
    connection: Connection = Connection.UNKNOWN
    offline_since: float | None = None
    syncing: bool = False
    queued: int = 0
    parked: int = 0
    last_success: float | None = None
    last_error: str | None = None
    os_online: bool | None = None  # what the operating system says, when it says anything
    parked_reasons: tuple[str, ...] = ()  # the server's reasons, first few (no PHI: codes)

    @staticmethod
    def _clock(moment: float | None) -> str:
        return "never" if moment is None else datetime.fromtimestamp(moment).strftime("%H:%M")

    def connection_text(self) -> tuple[str, str]:
        """(word, detail) for the connection indicator."""
        if self.connection is Connection.OFFLINE:
            return (
                "offline",
                f"Offline since {self._clock(self.offline_since)}. Pulse keeps working: "
                "patients and scripts come from this workstation, and your work is queued.",
            )
        if self.connection is Connection.ONLINE:
            return "online", "Connected to the server."
        if self.connection is Connection.SIGNED_OUT:
            return "sign in", "The server asks you to sign in again; your work stays queued."
        if self.connection is Connection.REVOKED:
            return "revoked", "This workstation was revoked; the local cache was erased."
        return "checking", "Contacting the server."

    def sync_text(self) -> tuple[str, str]:
        """(word, detail) for the sync indicator."""
        last = f"Last successful sync: {self._clock(self.last_success)}."
        parked = ""
        if self.parked:
            parked = f" {self.parked} item(s) were refused by the server and need a look"
            if self.parked_reasons:
                parked += " (" + "; ".join(self.parked_reasons) + ")"
            parked += "."
        if self.syncing:
            return "syncing", f"Sending {self.queued} queued item(s). {last}{parked}"
        if self.queued:
            return (
                f"{self.queued} queued",
                f"{self.queued} item(s) wait for the server. {last}{parked}",
            )
        if self.parked:
            return f"{self.parked} refused", last + parked
        if self.last_success is None:
            return "waiting", "Nothing synced with the server yet."
        return "up to date", last

    def as_dict(self) -> dict[str, object]:
        return {
            "connection": self.connection.value,
            "offline_since": self.offline_since,
            "syncing": self.syncing,
            "queued": self.queued,
            "parked": self.parked,
            "last_success": self.last_success,
            "last_error": self.last_error,
        }


Listener = Callable[[SyncStatus], None]


class StatusTracker:
    def __init__(self, state_file: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._state_file = state_file
        saved = self._read_state()
        self._status = SyncStatus(
            last_success=saved.get("last_success"), offline_since=saved.get("offline_since")
        )

    def _read_state(self) -> dict[str, float | None]:
        if self._state_file is None:
            return {}
        try:
            data = json.loads(self._state_file.read_text(encoding="utf-8"))
            return {
                "last_success": _float_or_none(data.get("last_success")),
                "offline_since": _float_or_none(data.get("offline_since")),
            }
        except (OSError, ValueError, AttributeError):
            return {}

    def _write_state(self, status: SyncStatus) -> None:
        if self._state_file is None:
            return
        body = json.dumps(
            {"last_success": status.last_success, "offline_since": status.offline_since}
        )
        tmp = self._state_file.with_suffix(".tmp")
        try:
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(body, encoding="utf-8")
            tmp.replace(self._state_file)
        except OSError as exc:
            log.warning("sync state file not written (%s)", type(exc).__name__)

    @property
    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)
        listener(self.status)

    def _update(self, persist: bool = False, **changes: object) -> None:
        with self._lock:
            new = replace(self._status, **changes)  # type: ignore[arg-type]
            if new == self._status:
                return
            self._status = new
            listeners = list(self._listeners)
        if persist:
            self._write_state(new)
        for listener in listeners:
            try:
                listener(new)
            except Exception:
                log.exception("sync status listener failed")

    def reached_server(self) -> None:
        current = self.status
        if current.connection is not Connection.ONLINE:
            if current.connection is Connection.OFFLINE:
                log.info("server reachable again")
            self._update(
                persist=current.offline_since is not None,
                connection=Connection.ONLINE,
                offline_since=None,
                last_error=None,
            )

    def lost_server(self, reason: str) -> None:
        current = self.status
        if current.connection is Connection.OFFLINE:
            self._update(last_error=reason)
            return
        log.warning("server unreachable: %s", reason)
        self._update(
            persist=True,
            connection=Connection.OFFLINE,
            offline_since=current.offline_since or time.time(),
            last_error=reason,
        )

    def os_reachability(self, online: bool | None) -> None:
        self._update(os_online=online)
        if online is False:
            self.lost_server("the operating system reports no network")

    def signed_out(self) -> None:
        self._update(connection=Connection.SIGNED_OUT, last_error="sign-in needed")

    def revoked(self) -> None:
        self._update(connection=Connection.REVOKED, last_error="device revoked")

    def syncing(self, active: bool) -> None:
        self._update(syncing=active)

    def counts(self, queued: int, parked: int, reasons: tuple[str, ...] | None = None) -> None:
        if reasons is None:
            self._update(queued=queued, parked=parked)
        else:
            self._update(queued=queued, parked=parked, parked_reasons=reasons)

    def queued_one(self) -> None:
        with self._lock:
            queued = self._status.queued + 1
        self._update(queued=queued)

    def synced(self) -> None:
        self._update(persist=True, last_success=time.time())


def _float_or_none(value: object) -> float | None:
    with contextlib.suppress(TypeError, ValueError):
        return None if value is None else float(value)  # type: ignore[arg-type]
    return None
