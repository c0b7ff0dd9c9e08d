"""The session's outbox written on the next turn of the event loop: in order, nothing lost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytestqt.qtbot import QtBot

from agent_app.store.errors import StoreError
from agent_app.views.deferred_outbox import NOT_SAVED, DeferredOutbox


class Recorder:
    def __init__(self, failing: set[str] | None = None) -> None:
        self.entries: list[tuple[str, dict[str, Any], str | None]] = []
        self._failing = failing or set()

    def enqueue(self, kind: str, payload: Mapping[str, Any], *, call_id: str | None = None) -> str:
        if payload.get("n") in self._failing:
            raise StoreError("the journal is closed")
        self.entries.append((kind, dict(payload), call_id))
        return f"id-{len(self.entries)}"


def test_entries_are_written_after_the_turn_in_their_order(qtbot: QtBot) -> None:
    journal, problems = Recorder(), []
    outbox = DeferredOutbox(journal, problems.append)
    outbox.enqueue("agent_state", {"n": "1", "at": "t1"}, call_id="r-1")
    outbox.enqueue("agent_state", {"n": "2", "at": "t2"})
    assert journal.entries == [] and outbox.pending == 2  # nothing written in the handler
    qtbot.waitUntil(lambda: outbox.pending == 0)
    assert journal.entries == [
        ("agent_state", {"n": "1", "at": "t1"}, "r-1"),
        ("agent_state", {"n": "2", "at": "t2"}, None),
    ]
    assert problems == []


def test_flush_writes_what_is_left_at_once(qtbot: QtBot) -> None:
    journal = Recorder()
    outbox = DeferredOutbox(journal, lambda _message: None)
    outbox.enqueue("agent_state", {"n": "1"})
    outbox.flush()
    assert [e[1]["n"] for e in journal.entries] == ["1"]
    assert outbox.pending == 0


def test_a_refused_write_is_reported_and_the_next_still_written(qtbot: QtBot) -> None:
    journal, problems = Recorder(failing={"1"}), []
    outbox = DeferredOutbox(journal, problems.append)
    outbox.enqueue("agent_state", {"n": "1"})
    outbox.enqueue("agent_state", {"n": "2"})
    outbox.flush()
    assert problems == [NOT_SAVED]
    assert [e[1]["n"] for e in journal.entries] == ["2"]
