"""My day: the agent's own figures for today, counted from the journal alone (no server).

Calls handled, talk and after-call time and their average per call come from the journal's
state changes (each says how long the state it left lasted); dispositions by code and the
callbacks that fall due today come from the dispositions and callback items. Delivered
entries are counted from the facts the journal keeps after the server acknowledged them, so
the figures do not change when the queue drains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

HISTORY_DAYS = 14
"""How far back callbacks are looked for (the journal keeps facts that long)."""


class DayRecord(Protocol):
    """One journal entry as the journal's ``day_entries`` hands it out."""

    @property
    def kind(self) -> str: ...

    @property
    def created_at(self) -> str: ...

    @property
    def call_id(self) -> str | None: ...

    @property
    def facts(self) -> dict[str, Any]: ...

    @property
    def delivered(self) -> bool: ...


class DaySource(Protocol):
    def day_entries(self, start: datetime, end: datetime) -> Sequence[DayRecord]: ...


@dataclass(frozen=True)
class CallbackDue:
    at: datetime
    """Local time of the callback."""
    call_id: str | None
    overdue: bool


@dataclass(frozen=True)
class MyDay:
    day: date
    calls_handled: int = 0
    talk_s: float = 0.0
    wrap_up_s: float = 0.0
    dispositions: tuple[tuple[str, int], ...] = ()
    """(code, count), the most used first."""
    callbacks_due: tuple[CallbackDue, ...] = ()
    waiting: int = 0
    """Of today's entries, how many the server has not acknowledged yet."""

    @property
    def average_handle_s(self) -> float | None:
        """Talk plus after-call work per call handled (None before the first call)."""
        if not self.calls_handled:
            return None
        return (self.talk_s + self.wrap_up_s) / self.calls_handled

    @property
    def dispositions_total(self) -> int:
        return sum(count for _code, count in self.dispositions)


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The day holding ``now`` in ``now``'s own zone (the workstation's), as [start, end)."""
    local = now if now.tzinfo is not None else now.astimezone()
    start = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return start, start + timedelta(days=1)


def _moment(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _seconds(value: object) -> float:
    return float(value) if isinstance(value, int | float) and value >= 0 else 0.0


def summarize(entries: Sequence[DayRecord], now: datetime) -> MyDay:
    """The figures of the local day holding ``now``, from entries of that day and before."""
    start, end = day_bounds(now)
    handled: set[str] = set()
    talk = wrap_up = 0.0
    codes: Counter[str] = Counter()
    callbacks: list[CallbackDue] = []
    waiting = 0
    for entry in entries:
        created = _moment(entry.created_at)
        today = created is not None and start <= created < end
        facts = entry.facts
        if entry.kind == "callback":
            due = _moment(facts.get("callback_at"))
            if due is not None and start <= due < end:
                callbacks.append(
                    CallbackDue(due.astimezone(start.tzinfo), entry.call_id, due < now)
                )
        if not today:
            continue
        if not entry.delivered:
            waiting += 1
        if entry.kind == "agent_state":
            if facts.get("state") == "on_call" and entry.call_id:
                handled.add(entry.call_id)
            if facts.get("previous") == "on_call":
                talk += _seconds(facts.get("previous_s"))
            elif facts.get("previous") == "wrap_up":
                wrap_up += _seconds(facts.get("previous_s"))
        elif entry.kind == "disposition":
            code = facts.get("code")
            if isinstance(code, str) and code:
                codes[code] += 1
    return MyDay(
        day=start.date(),
        calls_handled=len(handled),
        talk_s=talk,
        wrap_up_s=wrap_up,
        dispositions=tuple(sorted(codes.items(), key=lambda item: (-item[1], item[0]))),
        callbacks_due=tuple(sorted(callbacks, key=lambda callback: callback.at)),
        waiting=waiting,
    )


def my_day(source: DaySource, now: datetime | None = None) -> MyDay:
    """Today's figures read from the journal (``now`` aware; the workstation's clock if None)."""
    now = datetime.now().astimezone() if now is None else now
    start, end = day_bounds(now)
    return summarize(source.day_entries(start - timedelta(days=HISTORY_DAYS), end), now)
