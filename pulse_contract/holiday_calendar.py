"""Public holidays for the calling rules: the holiday library's, or a table the server lists.

The library (``holidays``) is the source on the server. Its country package imports every
country's module with the first calendar (about 300 modules and 10-20 MiB), so the server
lists a campaign's holidays over the next two years with the campaign (:meth:`HolidayTable.to_wire`)
and a desk judges its dials from that table; the library is asked only about a day the table
does not cover (a desk that has not synced for a long time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Final

TABLE_DAYS_BEHIND: Final = 7
TABLE_DAYS_AHEAD: Final = 2 * 366
"""How far the server's table reaches: two years covers every callback a campaign allows."""
_MAX_DAYS: Final = 3 * 366
"""The longest span a table may claim (a bound on what a server can make a desk believe)."""


class HolidayTableError(ValueError):
    """A campaign's holiday table is not in the form the server sends."""


@dataclass(frozen=True, slots=True)
class HolidayTable:
    """The public holidays of ``country`` (and ``subdivision``) on the days ``first``-``last``."""

    country: str
    subdivision: str | None
    first: date
    last: date
    names: Mapping[date, str]

    def covers(self, day: date, country: str, subdivision: str | None) -> bool:
        return (
            self.first <= day <= self.last
            and country == self.country
            and subdivision == self.subdivision
        )

    def to_wire(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "subdivision": self.subdivision,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "days": {day.isoformat(): name for day, name in sorted(self.names.items())},
        }

    @classmethod
    def from_wire(cls, raw: object) -> HolidayTable:
        """The table of a campaign document; :class:`HolidayTableError` names what is wrong."""
        if not isinstance(raw, Mapping):
            raise HolidayTableError("the holiday table is not an object")
        country, subdivision, days = raw.get("country"), raw.get("subdivision"), raw.get("days")
        if not isinstance(country, str) or not country:
            raise HolidayTableError("the holiday table names no country")
        if subdivision is not None and not isinstance(subdivision, str):
            raise HolidayTableError("the holiday table's subdivision is not a string")
        first, last = _day(raw.get("first"), "first"), _day(raw.get("last"), "last")
        if not first <= last <= first + timedelta(days=_MAX_DAYS):
            raise HolidayTableError(f"the holiday table's span {first} to {last} is not valid")
        if not isinstance(days, Mapping):
            raise HolidayTableError("the holiday table's days are not an object")
        names: dict[date, str] = {}
        for key, name in days.items():
            day = _day(key, "day")
            if not isinstance(name, str) or not first <= day <= last:
                raise HolidayTableError(f"the holiday table's entry for {key} is not valid")
            names[day] = name
        return cls(country, subdivision, first, last, names)


def _day(value: object, what: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise HolidayTableError(f"the holiday table's {what} is not a date (YYYY-MM-DD)")


@lru_cache(maxsize=256)
def _calendar(country: str, subdivision: str | None) -> Any:
    # Imported with the first calendar, not with the rules (see the module docstring).
    import holidays

    try:
        return holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        return None


def library_holiday(day: date, country: str, subdivision: str | None = None) -> str | None:
    """The holiday library's public holiday on ``day``; a country it does not know has none."""
    calendar = _calendar(country, subdivision)
    if calendar is None:
        return None
    name = calendar.get(day)
    return None if name is None else str(name)


def holiday_table(country: str, today: date, subdivision: str | None = None) -> HolidayTable:
    """What the server lists with a campaign: the library's holidays around ``today``."""
    first = today - timedelta(days=TABLE_DAYS_BEHIND)
    last = today + timedelta(days=TABLE_DAYS_AHEAD)
    return _table(country, subdivision, first, last)


@lru_cache(maxsize=64)
def _table(country: str, subdivision: str | None, first: date, last: date) -> HolidayTable:
    names: dict[date, str] = {}
    day = first
    while day <= last:
        name = library_holiday(day, country, subdivision)
        if name is not None:
            names[day] = name
        day += timedelta(days=1)
    return HolidayTable(country, subdivision, first, last, names)


def holiday_name(
    day: date,
    country: str | None,
    subdivision: str | None = None,
    table: HolidayTable | None = None,
) -> str | None:
    """The public holiday on ``day`` in ``country`` (and its subdivision), or None: from
    ``table`` when it covers the day, else from the library."""
    if country is None:
        return None
    if table is not None and table.covers(day, country, subdivision):
        return table.names.get(day)
    return library_holiday(day, country, subdivision)
