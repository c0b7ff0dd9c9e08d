"""The holiday table a campaign carries: built from the library on the server, read back on the
desk, preferred by the rules inside its span, and refused with a reason when malformed."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pulse_contract.calling_rules import CallContext, evaluate
from pulse_contract.holiday_calendar import (
    TABLE_DAYS_AHEAD,
    TABLE_DAYS_BEHIND,
    HolidayTable,
    HolidayTableError,
    holiday_name,
    holiday_table,
    library_holiday,
)

TODAY = date(2026, 12, 7)


def _table(**days: str) -> HolidayTable:
    names = {
        date.fromisoformat(day.removeprefix("d").replace("_", "-")): n for day, n in days.items()
    }
    return HolidayTable("US", None, date(2026, 1, 1), date(2027, 12, 31), names)


def test_the_servers_table_lists_the_librarys_holidays_over_its_span() -> None:
    table = holiday_table("US", TODAY)
    assert table.first == TODAY - timedelta(days=TABLE_DAYS_BEHIND)
    assert table.last == TODAY + timedelta(days=TABLE_DAYS_AHEAD)
    assert table.names[date(2026, 12, 25)] == "Christmas Day"
    assert table.names[date(2027, 7, 5)] == library_holiday(date(2027, 7, 5), "US")
    day = table.first
    while day <= table.last:  # every day of the span agrees with the library
        assert table.names.get(day) == library_holiday(day, "US"), day
        day += timedelta(days=1)


def test_a_table_survives_the_wire() -> None:
    table = holiday_table("GB", TODAY, "ENG")
    wire = table.to_wire()
    assert wire["country"] == "GB" and wire["subdivision"] == "ENG"
    assert wire["days"]["2026-12-28"] == library_holiday(date(2026, 12, 28), "GB", "ENG")
    assert HolidayTable.from_wire(wire) == table


def test_the_table_answers_inside_its_span_and_the_library_outside() -> None:
    table = _table(d2026_03_04="Founders' Day")  # a Wednesday no library lists
    assert holiday_name(date(2026, 3, 4), "US", None, table) == "Founders' Day"
    # Inside the span the table is the whole truth: a day it does not list is a working day.
    assert holiday_name(date(2026, 12, 25), "US", None, table) is None
    assert holiday_name(date(2028, 12, 25), "US", None, table) == "Christmas Day"
    # A table of another place is not asked.
    assert holiday_name(date(2026, 3, 4), "CA", None, table) is None
    assert holiday_name(date(2026, 3, 4), "US", "TX", table) is None
    assert holiday_name(date(2026, 3, 4), None, None, table) is None


def test_the_rules_judge_a_day_by_the_campaigns_table() -> None:
    noon_chicago = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
    ctx = CallContext(time_zone="America/Chicago", holidays=_table(d2026_03_04="Founders' Day"))
    verdict = evaluate(ctx, noon_chicago)
    assert (verdict.allowed, verdict.reason) == (False, "holiday")
    assert verdict.params["holiday"] == "Founders' Day"
    # The next calling day is the table's next working day, at the window's opening.
    assert verdict.next_allowed_at == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    assert evaluate(CallContext(time_zone="America/Chicago"), noon_chicago).allowed


def test_a_desk_judging_from_the_table_never_loads_the_library() -> None:
    # In a process of its own: the library, once imported by another test, stays imported.
    probe = (
        "import sys; from datetime import UTC, date, datetime; "
        "from pulse_contract.calling_rules import CallContext, evaluate; "
        "from pulse_contract.holiday_calendar import HolidayTable; "
        "t = HolidayTable('US', None, date(2026, 1, 1), date(2027, 12, 31), "
        "{date(2026, 12, 25): 'Christmas Day'}); "
        "v = evaluate(CallContext(time_zone='America/Chicago', holidays=t), "
        "datetime(2026, 12, 25, 18, 0, tzinfo=UTC)); "
        "print(v.reason, 'holidays' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "holiday False"


def _wire(**changes: Any) -> dict[str, Any]:
    wire = _table(d2026_12_25="Christmas Day").to_wire()
    wire.update(changes)
    return {k: v for k, v in wire.items() if v is not ...}


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ([], "is not an object"),
        (_wire(country=...), "names no country"),
        (_wire(country=""), "names no country"),
        (_wire(subdivision=7), "subdivision is not a string"),
        (_wire(first="25/12/2026"), "first is not a date"),
        (_wire(last=None), "last is not a date"),
        (_wire(first="2027-01-01", last="2026-01-01"), "span 2027-01-01 to 2026-01-01"),
        (_wire(first="2020-01-01", last="2030-01-01"), "span 2020-01-01 to 2030-01-01"),
        (_wire(days=["2026-12-25"]), "days are not an object"),
        (_wire(days={"Christmas": "Christmas Day"}), "day is not a date"),
        (_wire(days={"2026-12-25": 25}), "entry for 2026-12-25"),
        (_wire(days={"2029-12-25": "Christmas Day"}), "entry for 2029-12-25"),
    ],
)
def test_a_malformed_table_is_refused_with_its_reason(raw: object, problem: str) -> None:
    with pytest.raises(HolidayTableError, match=problem):
        HolidayTable.from_wire(raw)
