"""My day's figures from journal entries: calls, talk and after-call time, codes, callbacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from agent_app.workflow.my_day import day_bounds, my_day, summarize

ZONE = timezone(timedelta(hours=-5))  # the agent's local zone in these tests
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=ZONE)


@dataclass
class Entry:
    kind: str
    created_at: str
    call_id: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    delivered: bool = True


def at(hours: float) -> str:
    """An entry time ``hours`` after local midnight, as the journal writes it (UTC)."""
    start, _ = day_bounds(NOW)
    return (start + timedelta(hours=hours)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def state(hours: float, new: str, previous: str, spent: float, call: str | None = None) -> Entry:
    facts = {"state": new, "previous": previous, "previous_s": spent}
    return Entry("agent_state", at(hours), call, facts)


def test_a_day_of_two_calls() -> None:
    entries = [
        state(9.0, "ready", "not_ready", 600),
        state(9.1, "ringing", "ready", 30, "rec-1"),
        state(9.11, "on_call", "ringing", 6, "rec-1"),
        state(9.2, "wrap_up", "on_call", 240, "rec-1"),
        Entry("disposition", at(9.25), "rec-1", {"code": "REACHED"}),
        state(9.25, "ready", "wrap_up", 60),
        state(10.0, "on_call", "ready", 1, "rec-2"),
        state(10.1, "wrap_up", "on_call", 120, "rec-2"),
        Entry("disposition", at(10.2), "rec-2", {"code": "CALLBACK"}, delivered=False),
        Entry("callback", at(10.2), "rec-2", {"callback_at": at(16.5)}, delivered=False),
        state(10.2, "ready", "wrap_up", 90, None),
    ]
    day = summarize(entries, NOW)
    assert day.day == NOW.date()
    assert day.calls_handled == 2
    assert (day.talk_s, day.wrap_up_s) == (360, 150)
    assert day.average_handle_s == 255
    assert day.dispositions == (("CALLBACK", 1), ("REACHED", 1))
    assert [c.at.strftime("%H:%M") for c in day.callbacks_due] == ["16:30"]
    assert not day.callbacks_due[0].overdue
    assert day.waiting == 2


def test_other_days_count_only_for_callbacks_due_today() -> None:
    yesterday = Entry("disposition", at(-3), "rec-0", {"code": "REACHED"})
    set_last_week = Entry("callback", at(-24 * 5), "rec-9", {"callback_at": at(11)})
    due_tomorrow = Entry("callback", at(9), "rec-8", {"callback_at": at(30)})
    day = summarize([yesterday, set_last_week, due_tomorrow], NOW)
    assert day.dispositions == () and day.calls_handled == 0
    assert day.average_handle_s is None
    [due] = day.callbacks_due
    assert due.call_id == "rec-9" and due.overdue  # 11:00, and it is 15:00


def test_garbage_in_the_facts_is_ignored() -> None:
    entries = [
        Entry("agent_state", "not a time", "rec-1", {"state": "on_call"}),
        state(9, "ready", "wrap_up", -5),
        Entry("callback", at(9), "rec-1", {"callback_at": "tomorrow-ish"}),
        Entry("disposition", at(9), "rec-1", {"code": ""}),
    ]
    day = summarize(entries, NOW)
    assert (day.calls_handled, day.wrap_up_s, day.callbacks_due, day.dispositions) == (
        0,
        0,
        (),
        (),
    )


def test_my_day_asks_the_journal_for_two_weeks_up_to_midnight() -> None:
    asked: list[tuple[datetime, datetime]] = []

    class Journal:
        def day_entries(self, start: datetime, end: datetime) -> list[Entry]:
            asked.append((start, end))
            return [state(9, "on_call", "ready", 1, "rec-1")]

    day = my_day(Journal(), NOW)
    assert day.calls_handled == 1
    start, end = asked[0]
    assert end - start == timedelta(days=15)
    assert end == day_bounds(NOW)[1]
