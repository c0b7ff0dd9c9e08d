"""The calling rules: examples, and properties over random instants, zones (DST changes and
half-hour offsets included), holidays, attempt histories and dispositions."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulse_contract import calling_rules as rules
from pulse_contract.calling_rules import Attempt, CallContext, evaluate

ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",  # no DST
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/St_Johns",  # -03:30, with DST
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Adelaide",  # +09:30, DST in the southern summer
    "Australia/Lord_Howe",  # a half-hour DST shift
    "Europe/London",
    "America/Santiago",  # changes clocks at midnight
    "America/Havana",  # changes clocks at midnight
)
COUNTRIES = ("US", "CA", "GB", "IN", "AU", None)
CODES = (*rules.SYSTEM_CODES, "CONFIRMED", "CALLBACK", None)
START = datetime(2020, 1, 1, tzinfo=UTC)
END = datetime(2030, 12, 31, tzinfo=UTC)


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """The instants the zone's UTC offset changed, 2020-2030 (found by bisection)."""
    zone = ZoneInfo(zone_name)
    found = []
    step = timedelta(days=7)
    t = START
    while t < END:
        if t.astimezone(zone).utcoffset() != (t + step).astimezone(zone).utcoffset():
            low, high = t, t + step
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = mid
                else:
                    high = mid
            found.append(high)
        t += step
    return tuple(found)


@st.composite
def instants(draw: st.DrawFn, zone_name: str) -> datetime:
    """Anywhere in the decade, or within a day and a half of one of the zone's clock changes."""
    changes = transitions(zone_name)
    if changes and draw(st.booleans()):
        change = draw(st.sampled_from(changes))
        offset = draw(st.integers(-36 * 3600, 36 * 3600))
        return change + timedelta(seconds=offset)
    seconds = draw(st.integers(0, int((END - START).total_seconds())))
    return START + timedelta(seconds=seconds)


@st.composite
def windows(draw: st.DrawFn) -> tuple[str, str]:
    start = draw(st.integers(6 * 60, 14 * 60))
    end = draw(st.integers(start + 15, 23 * 60 + 59))
    return f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"


@st.composite
def cases(draw: st.DrawFn) -> tuple[CallContext, datetime]:
    zone = draw(st.sampled_from(ZONES))
    now = draw(instants(zone))
    window = draw(windows())
    campaigns = ("c1", "c2")
    attempts = tuple(
        Attempt(
            at=now - timedelta(minutes=draw(st.integers(1, 10 * 24 * 60))),
            campaign_id=draw(st.sampled_from(campaigns)),
            code=draw(st.sampled_from(CODES)),
            exempt=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 6)))
    )
    ctx = CallContext(
        time_zone=zone,
        country=draw(st.sampled_from(COUNTRIES)),
        campaign_id="c1",
        window_start=window[0],
        window_end=window[1],
        max_attempts=draw(st.none() | st.integers(1, 8)),
        exempt=draw(st.booleans()),
        attempts=attempts,
    )
    return ctx, now


def in_window_oracle(ctx: CallContext, instant: datetime) -> bool:
    """The window rule restated from its definition: the local wall clock inside the campaign's
    hours cut to 08:00-21:00, on a day that is not a public holiday."""
    local = instant.astimezone(ZoneInfo(ctx.time_zone))
    start = max(time.fromisoformat(str(ctx.window_start)), time(8))
    end = min(time.fromisoformat(str(ctx.window_end)), time(21))
    if not start <= local.time().replace(tzinfo=None) < end:
        return False
    if ctx.country is None:
        return True
    return local.date() not in calendar(ctx.country)


@cache
def calendar(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country)


def limits_allow(ctx: CallContext, instant: datetime) -> bool:
    """The attempt rules restated: campaign limit, retry interval, exemption caps."""
    mine = sum(a.campaign_id == ctx.campaign_id for a in ctx.attempts)
    if ctx.max_attempts is not None and mine >= ctx.max_attempts:
        return False
    if ctx.attempts:
        latest = max(ctx.attempts, key=lambda a: a.at)
        if instant < latest.at + ctx.retry.wait_after(latest.code):
            return False
    if ctx.exempt:
        exempt = [a for a in ctx.attempts if a.exempt]
        if sum(a.at > instant - timedelta(days=1) for a in exempt) >= ctx.caps.per_day:
            return False
        if sum(a.at > instant - timedelta(days=7) for a in exempt) >= ctx.caps.per_week:
            return False
    return True


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cases())
def test_the_verdict_is_the_rules_restated(case: tuple[CallContext, datetime]) -> None:
    ctx, now = case
    verdict = evaluate(ctx, now)
    expected = in_window_oracle(ctx, now) and limits_allow(ctx, now)
    assert verdict.allowed == expected, (verdict, now.astimezone(ZoneInfo(ctx.time_zone)))
    assert (verdict.indicator == "red") == (not verdict.allowed)


@PROPERTY
@given(cases())
def test_next_allowed_is_allowed_and_nothing_earlier_is(case: tuple[CallContext, datetime]) -> None:
    ctx, now = case
    verdict = evaluate(ctx, now)
    if verdict.next_allowed_at is None:
        assert not verdict.allowed
        assert verdict.reason in ("max_attempts", "no_window")
        return
    nxt = verdict.next_allowed_at
    assert nxt >= now
    assert evaluate(ctx, nxt).allowed
    if nxt > now:
        before = nxt - timedelta(seconds=1)
        assert not (in_window_oracle(ctx, before) and limits_allow(ctx, before))


@PROPERTY
@given(cases())
def test_an_allowed_call_knows_when_its_window_closes(case: tuple[CallContext, datetime]) -> None:
    ctx, now = case
    verdict = evaluate(ctx, now)
    if not verdict.allowed:
        return
    closes = verdict.window_closes_at
    assert closes is not None and closes > now
    assert not in_window_oracle(ctx, closes)
    assert in_window_oracle(ctx, closes - timedelta(seconds=1))
    assert (verdict.indicator == "amber") == (closes - now <= timedelta(minutes=30))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ZONES), st.data())
def test_do_not_call_and_withdrawn_consent_are_never_called(zone: str, data: st.DataObject) -> None:
    now = data.draw(instants(zone))
    for ctx in (
        CallContext(time_zone=zone, do_not_call=True),
        CallContext(time_zone=zone, consent=False),
    ):
        verdict = evaluate(ctx, now)
        assert not verdict.allowed and verdict.next_allowed_at is None


def test_the_agent_reads_a_plain_reason() -> None:
    late = datetime(2026, 3, 10, 2, 34, tzinfo=UTC)
    verdict = evaluate(CallContext(time_zone="America/Chicago"), late)
    assert verdict.message == "Outside the patient's calling hours: 21:34 in America/Chicago"
    assert verdict.next_allowed_at == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # 08:00 CDT


def test_a_public_holiday_is_skipped() -> None:
    observed = datetime(2026, 7, 3, 16, 0, tzinfo=UTC)  # a Friday: the day off for the 4th
    verdict = evaluate(CallContext(time_zone="America/New_York"), observed)
    assert verdict.reason == "holiday"
    assert "Independence Day" in verdict.message
    # The 4th itself is a holiday too: Sunday the 5th, 08:00 EDT.
    assert verdict.next_allowed_at == datetime(2026, 7, 5, 12, 0, tzinfo=UTC)


def test_the_exemption_caps_count_across_campaigns() -> None:
    now = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    history = tuple(
        Attempt(now - timedelta(days=d), f"c{d}", "CONFIRMED", exempt=True) for d in (2, 3, 4)
    )
    verdict = evaluate(CallContext(time_zone="America/Chicago", exempt=True, attempts=history), now)
    assert (verdict.reason, verdict.params["count"], verdict.params["limit"]) == (
        "exempt_weekly_cap",
        "3",
        "3",
    )
    # Free when the oldest of the three is a week old, at once inside the window.
    assert verdict.next_allowed_at == now + timedelta(days=3)
    daily = evaluate(
        CallContext(
            time_zone="America/Chicago",
            exempt=True,
            attempts=(Attempt(now - timedelta(hours=3), "c9", "CONFIRMED", exempt=True),),
        ),
        now,
    )
    assert daily.reason == "exempt_daily_cap"


def test_retry_intervals_follow_the_latest_disposition() -> None:
    now = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
    busy = Attempt(now - timedelta(minutes=5), "c1", rules.BUSY)
    verdict = evaluate(CallContext(time_zone="America/Chicago", attempts=(busy,)), now)
    assert verdict.reason == "retry_wait"
    assert verdict.next_allowed_at == busy.at + timedelta(minutes=15)


def test_half_hour_zones_and_a_narrower_campaign_window() -> None:
    now = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)  # 08:30 in Kolkata
    ctx = CallContext(time_zone="Asia/Kolkata", country="IN", window_start="09:00")
    verdict = evaluate(ctx, now)
    assert verdict.reason == "outside_window"
    assert verdict.next_allowed_at == datetime(2026, 3, 11, 3, 30, tzinfo=UTC)


def test_amber_when_the_window_closes_soon() -> None:
    now = datetime(2026, 3, 5, 2, 45, tzinfo=UTC)  # 20:45 in Chicago
    verdict = evaluate(CallContext(time_zone="America/Chicago"), now)
    assert verdict.allowed and verdict.indicator == "amber"
    assert verdict.window_closes_at == datetime(2026, 3, 5, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ctx", "reason"),
    [
        (CallContext(time_zone="Mars/Olympus_Mons"), "unknown_time_zone"),
        (CallContext(time_zone="America/Chicago", window_start="21:30"), "no_window"),
        (
            CallContext(
                time_zone="America/Chicago",
                campaign_id="c1",
                max_attempts=2,
                attempts=(
                    Attempt(datetime(2026, 1, 1, tzinfo=UTC), "c1", rules.NO_ANSWER),
                    Attempt(datetime(2026, 1, 2, tzinfo=UTC), "c1", rules.NO_ANSWER),
                ),
            ),
            "max_attempts",
        ),
    ],
)
def test_rules_that_forbid_for_good(ctx: CallContext, reason: str) -> None:
    verdict = evaluate(ctx, datetime(2026, 3, 4, 16, 0, tzinfo=UTC))
    assert (verdict.allowed, verdict.reason, verdict.next_allowed_at) == (False, reason, None)


def test_a_window_start_in_a_skipped_hour_opens_when_the_clocks_jump() -> None:
    # Havana moves from 00:00 to 01:00 on 2026-03-08; the instant is the jump itself.
    zone = ZoneInfo("America/Havana")
    jump = rules.first_instant_at(date(2026, 3, 8), time(0, 30), zone)
    assert jump.astimezone(zone).time() == time(1, 0)
    assert (jump - timedelta(seconds=1)).astimezone(zone).time() == time(23, 59, 59)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        evaluate(CallContext(time_zone="America/Chicago"), datetime(2026, 3, 4, 16, 0))


def test_the_holiday_library_is_imported_with_the_first_calendar_only() -> None:
    # In a process of its own: this module imports the library for its own checks.
    probe = (
        "import sys; from datetime import date; from pulse_contract import calling_rules as r; "
        "print('holidays' in sys.modules); print(r.holiday_name(date(2026, 12, 25), 'US')); "
        "print('holidays' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split("\n")[:3] == ["False", "Christmas Day", "True"]
