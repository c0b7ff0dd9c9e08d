"""A clock for desks under test that always reads inside a patient's calling hours.

The calling rules refuse calls at night and on public holidays in the patient's zone, so a
test that dials would pass or fail with the hour the suite runs at. This clock runs at the
real pace (attempts keep their order and spacing) but is shifted to a weekday morning.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pulse_contract.calling_rules import holiday_name

MORNING = time(10, 0)
"""Local start of the shifted day: hours of calling ahead before the window closes."""


def calling_hours_clock(
    time_zone: str = "America/New_York", country: str = "US"
) -> Callable[[], datetime]:
    """Real time moved forward to the next weekday, non-holiday 10:00 in ``time_zone``."""
    zone = ZoneInfo(time_zone)
    real = datetime.now(UTC)
    day = real.astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5 or holiday_name(day, country) is not None:
        day += timedelta(days=1)
    target = datetime.combine(day, MORNING, tzinfo=zone).astimezone(UTC)
    shift = target - real
    return lambda: datetime.now(UTC) + shift
