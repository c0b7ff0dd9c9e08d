"""Items the server refused (409, 422): listed with its reason, corrected, sent again once.

A refused entry stays in the journal as written. A disposition can be corrected (code,
notes, field values): the corrected copy is a new journal entry that names the one it
replaces, and the refused one is marked resolved in the same transaction, so asking twice
sends one copy. Any refused item can also be sent again unchanged, for when the cause was
fixed on the server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

EDITABLE_KINDS = ("disposition",)


class ParkedRow(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def created_at(self) -> str: ...

    @property
    def reason(self) -> str: ...


class EntryRow(Protocol):
    @property
    def payload(self) -> dict[str, object]: ...


class RefusedJournal(Protocol):
    def parked(self) -> Sequence[ParkedRow]: ...

    def entry(self, item_id: str) -> EntryRow | None: ...

    def resend_parked(
        self,
        item_id: str,
        payload: Mapping[str, Any] | None = None,
        *,
        created_at: str | None = None,
    ) -> str | None: ...


@dataclass(frozen=True, repr=False)
class RefusedItem:
    id: str
    kind: str
    created_at: str
    reason: str
    """The server's answer (status and message; codes and field names, no patient data)."""
    payload: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # the payload may hold notes
        return f"RefusedItem(id={self.id!r}, kind={self.kind!r})"

    @property
    def editable(self) -> bool:
        return self.kind in EDITABLE_KINDS

    @property
    def code(self) -> str:
        return str(self.payload.get("code") or "")

    @property
    def notes(self) -> str:
        return str(self.payload.get("notes") or "")

    @property
    def fields(self) -> dict[str, Any]:
        found = self.payload.get("fields")
        return dict(found) if isinstance(found, dict) else {}


def field_value(before: object, text: str) -> object:
    """A field value typed as text, given back in the type the record had."""
    if isinstance(before, bool):
        return text.strip().lower() in ("1", "true", "yes", "y")
    if isinstance(before, int | float) and not isinstance(before, bool):
        try:
            return type(before)(text.strip())
        except ValueError:
            return text
    if before is None and not text.strip():
        return None
    return text


class RefusedItems:
    """The refused list over the journal; ``nudge`` wakes sync when something goes out again."""

    def __init__(
        self,
        journal: RefusedJournal,
        *,
        nudge: Callable[[], None] = lambda: None,
        now: Callable[[], str] | None = None,
    ) -> None:
        self._journal = journal
        self._nudge = nudge
        self._now = now

    def items(self) -> list[RefusedItem]:
        found = []
        for row in self._journal.parked():
            entry = self._journal.entry(row.id)
            payload = dict(entry.payload) if entry is not None else {}
            found.append(RefusedItem(row.id, row.kind, row.created_at, row.reason, payload))
        return found

    def resend(self, item_id: str) -> bool:
        """Send the refused item again as it is; False if it is no longer refused."""
        sent = self._journal.resend_parked(item_id) is not None
        if sent:
            log.info("refused item %s queued again unchanged", item_id)
            self._nudge()
        return sent

    def correct(
        self,
        item: RefusedItem,
        *,
        code: str | None = None,
        notes: str | None = None,
        fields: Mapping[str, object] | None = None,
    ) -> str | None:
        """Send a corrected copy of a refused disposition; the copy's id (None: not refused).

        The copy keeps everything the record had and takes the edited code, notes and field
        values; the journal makes the copy name ``item`` and marks ``item`` resolved.
        """
        if not item.editable:
            raise ValueError(f"a {item.kind} cannot be corrected, only sent again")
        payload = dict(item.payload)
        payload.pop("replaces", None)
        if code is not None:
            payload["code"] = code.strip()
        if notes is not None:
            payload["notes"] = notes
        if fields is not None:
            payload["fields"] = dict(fields)
        at = None if self._now is None else self._now()
        copy = self._journal.resend_parked(item.id, payload, created_at=at)
        if copy is not None:
            log.info("refused item %s replaced by corrected copy %s", item.id, copy)
            self._nudge()
        return copy
