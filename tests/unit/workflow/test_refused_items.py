"""Refused items: the corrected copy keeps the record and takes the edits; sync is woken."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from agent_app.workflow.refused_items import RefusedItems, field_value


@dataclass
class Row:
    id: str
    kind: str
    created_at: str
    reason: str


@dataclass
class Item:
    payload: dict[str, object]


class Journal:
    def __init__(self) -> None:
        self.rows = [
            Row("d-1", "disposition", "2026-03-10T14:00:00Z", "422: payload.code: unknown"),
            Row("a-1", "audit", "2026-03-10T14:01:00Z", "409: stored with other content"),
        ]
        self.payloads: dict[str, dict[str, object]] = {
            "d-1": {
                "call_id": "rec-1",
                "code": "NOPE",
                "notes": "said Tuesday",
                "fields": {"ok": True},
            },
            "a-1": {"action": "view"},
        }
        self.sent: list[tuple[str, Mapping[str, Any] | None, str | None]] = []

    def parked(self) -> list[Row]:
        return [r for r in self.rows if not any(s[0] == r.id for s in self.sent)]

    def entry(self, item_id: str) -> Item | None:
        return Item(self.payloads[item_id])

    def resend_parked(
        self,
        item_id: str,
        payload: Mapping[str, Any] | None = None,
        *,
        created_at: str | None = None,
    ) -> str | None:
        self.sent.append((item_id, payload, created_at))
        return "copy-1" if payload is not None else item_id


def test_a_disposition_is_corrected_and_the_other_kinds_sent_again() -> None:
    journal = Journal()
    nudges: list[int] = []
    refused = RefusedItems(journal, nudge=lambda: nudges.append(1), now=lambda: "T")
    disposition, audit = refused.items()
    assert disposition.editable and not audit.editable
    assert (disposition.code, disposition.notes, disposition.fields) == (
        "NOPE",
        "said Tuesday",
        {"ok": True},
    )
    assert "Tuesday" not in repr(disposition)

    assert refused.correct(disposition, code=" REACHED ", fields={"ok": False}) == "copy-1"
    assert journal.sent[0] == (
        "d-1",
        {"call_id": "rec-1", "code": "REACHED", "notes": "said Tuesday", "fields": {"ok": False}},
        "T",
    )
    with pytest.raises(ValueError, match="cannot be corrected"):
        refused.correct(audit, notes="x")
    assert refused.resend("a-1")
    assert journal.sent[1] == ("a-1", None, None)
    assert len(nudges) == 2 and refused.items() == []


def test_typed_values_keep_their_type() -> None:
    assert field_value(True, "no") is False
    assert field_value(False, "Yes") is True
    assert field_value(3, "4") == 4
    assert field_value(3, "four") == "four"
    assert field_value(None, " ") is None
    assert field_value("2026-03-11T10:00", "2026-03-12T10:00") == "2026-03-12T10:00"
