"""The outbound calling rules, one implementation for the desk and the server.

:func:`evaluate` takes plain values (the patient, the campaign, the attempt history, the centre's
caps, the instant) and returns a :class:`Verdict`: may this patient be called now, and if not,
why (a reason code with its parameters, and a plain English sentence) and from when.

The rules, in the order they are checked:

1. do-not-call, withdrawn consent, an unknown time zone, an empty calling window: never;
2. the campaign's ``max_attempts``, counted over the attempts of that campaign: never again;
3. the retry interval of the patient's latest attempt in any campaign, by its disposition code;
4. for a call under the healthcare exemption, the centre's caps over the exempt attempts of all
   campaigns (rolling 24 hours and 7 days; by default 1 and 3);
5. the calling window in the patient's local wall-clock time: 08:00-21:00, or the campaign's
   window where it is narrower; no call on a public holiday of the patient's country.

An instant is inside the window when the wall clock of the patient's zone shows a time in
``[start, end)``, on a day that is not a public holiday; that definition holds across DST changes
(a missing or repeated hour) and in zones with half-hour offsets. Every time is an aware
``datetime``; naive ones are refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pulse_contract.holiday_calendar import HolidayTable, holiday_name

# -- defaults -------------------------------------------------------------------------------

LEGAL_START: Final = time(8, 0)
"""No call before this local time (TCPA, 47 CFR 64.1200(c)(1)); a campaign may only narrow it."""
LEGAL_END: Final = time(21, 0)
"""No call from this local time on."""
AMBER_MINUTES: Final = 30
"""The indicator turns amber when the window closes within this many minutes."""

# System dispositions: recorded by the desk without typing when a call does not connect (the
# desk's built-in ``SYS_*`` codes); they feed the retry rules like any other code.
BUSY: Final = "SYS_BUSY"
NO_ANSWER: Final = "SYS_NO_ANSWER"
REJECTED: Final = "SYS_REJECTED"
DROPPED: Final = "SYS_DROPPED"
"""The call ended before it was answered (the network or the far end dropped it)."""
FAILED: Final = "SYS_FAILED"
"""The call could not be placed (a SIP failure other than busy or rejected)."""
VOICEMAIL_LEFT: Final = "SYS_VOICEMAIL"
"""The campaign's message was left on an answering machine."""
SYSTEM_CODES: Final = (BUSY, NO_ANSWER, REJECTED, DROPPED, FAILED, VOICEMAIL_LEFT)

DEFAULT_RETRY_AFTER: Final[Mapping[str, timedelta]] = {
    BUSY: timedelta(minutes=15),
    NO_ANSWER: timedelta(hours=4),
    REJECTED: timedelta(hours=24),
    DROPPED: timedelta(minutes=30),
    FAILED: timedelta(minutes=30),
    VOICEMAIL_LEFT: timedelta(hours=24),
    # The same outcomes when an agent picks them from a code tree under their usual names.
    "BUSY": timedelta(minutes=15),
    "NO_ANSWER": timedelta(hours=4),
    "VOICEMAIL": timedelta(hours=24),
}
"""Wait after the latest attempt, by its disposition code; codes not named here wait
``RetryRules.default``. On the server, a code with a wait puts the patient back in the
campaign's queue; a code without one ends the patient's turn in that campaign."""

OPT_OUT_CODES: Final = frozenset({"DNC_REQUEST"})
"""Codes that always mean "do not call me again", whatever the code tree says; a tree may flag
more (``opt_out`` on a code)."""


@dataclass(frozen=True, slots=True)
class ExemptionCaps:
    """The centre's limits on calls made under the healthcare exemption (FCC 20-186), per
    patient across campaigns, over rolling periods."""

    per_day: int = 1
    per_week: int = 3


@dataclass(frozen=True, slots=True)
class RetryRules:
    """How long to wait after an attempt, by its disposition code."""

    after: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_RETRY_AFTER))
    default: timedelta = timedelta(0)

    def wait_after(self, code: str | None) -> timedelta:
        if code is None:
            return self.default
        return self.after.get(code, self.default)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One call placed to the patient, in any campaign."""

    at: datetime
    """When the call was placed (aware)."""
    campaign_id: str | None
    code: str | None = None
    """Its disposition code; None while not yet disposed."""
    exempt: bool = False
    """Placed under the healthcare exemption (counts against :class:`ExemptionCaps`)."""


@dataclass(frozen=True, slots=True)
class CallContext:
    """Everything the rules need about one patient and one campaign, as plain values."""

    time_zone: str
    """IANA name of the patient's zone, e.g. ``America/Chicago``."""
    country: str | None = "US"
    """ISO 3166 code whose public holidays are skipped; None: no holiday calendar."""
    subdivision: str | None = None
    """A state or province, for its own holidays as well (optional)."""
    holidays: HolidayTable | None = None
    """The holidays the server listed with the campaign; a day outside it (or no table) asks
    the holiday library (:mod:`pulse_contract.holiday_calendar`)."""
    do_not_call: bool = False
    consent: bool = True
    campaign_id: str | None = None
    window_start: str | time = LEGAL_START
    """The campaign's window, "HH:MM"; the rules use the part inside 08:00-21:00."""
    window_end: str | time = LEGAL_END
    max_attempts: int | None = None
    """Attempts allowed in this campaign; None: no campaign limit."""
    exempt: bool = False
    """This call would be made under the healthcare exemption."""
    attempts: tuple[Attempt, ...] = ()
    """The patient's attempt history across campaigns, in any order."""
    retry: RetryRules = field(default_factory=RetryRules)
    caps: ExemptionCaps = field(default_factory=ExemptionCaps)
    amber_minutes: int = AMBER_MINUTES


Indicator = Literal["green", "amber", "red"]

Reason = Literal[
    "ok",
    "do_not_call",
    "no_consent",
    "unknown_time_zone",
    "no_window",
    "max_attempts",
    "retry_wait",
    "exempt_daily_cap",
    "exempt_weekly_cap",
    "holiday",
    "outside_window",
]

MESSAGES: Final[Mapping[str, str]] = {
    "ok": "Allowed: {local_time} in {time_zone}",
    "do_not_call": "The patient is on the do-not-call list",
    "no_consent": "The patient has withdrawn consent to be called",
    "unknown_time_zone": "The patient's time zone is not known: {time_zone}",
    "no_window": "The campaign's calling hours {start}-{end} leave no time inside 08:00-21:00",
    "max_attempts": "Attempt limit reached: {count} of {limit} in this campaign",
    "retry_wait": (
        "Too soon after the last attempt ({code}): next try at {next_local} in {time_zone}"
    ),
    "exempt_daily_cap": (
        "Healthcare call limit reached: {count} in the last 24 hours (at most {limit})"
    ),
    "exempt_weekly_cap": (
        "Healthcare call limit reached: {count} in the last 7 days (at most {limit})"
    ),
    "holiday": "Public holiday in the patient's country ({country}): {holiday} on {date}",
    "outside_window": "Outside the patient's calling hours: {local_time} in {time_zone}",
}
"""The sentence of each reason, with its parameters in braces (the desk translates these)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one patient at one instant."""

    allowed: bool
    reason: Reason
    """``ok`` when allowed; otherwise the first rule that forbids the call."""
    params: Mapping[str, str]
    """The reason's parameters as display strings (local times as HH:MM)."""
    indicator: Indicator
    """green: allowed; amber: allowed, but the window closes within ``amber_minutes``; red."""
    next_allowed_at: datetime | None
    """When the call becomes allowed (UTC), ``now`` if it is; None if never (do-not-call,
    consent, attempt limit, no window, unknown zone)."""
    window_closes_at: datetime | None = None
    """When allowed: the end of today's window (UTC)."""

    @property
    def message(self) -> str:
        """The reason as a plain English sentence."""
        return MESSAGES[self.reason].format(**self.params)


# -- time helpers ---------------------------------------------------------------------------


def parse_hhmm(value: str | time) -> time:
    """``"08:30"`` as a time (a ``time`` passes through)."""
    if isinstance(value, time):
        return value
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def known_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone this machine knows."""
    return _zone(name) is not None


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone)


def first_instant_at(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the zone's wall clock on ``day`` shows ``wall`` or later.

    Usually the plain conversion; when ``wall`` falls in a gap (clocks moved forward over it),
    the instant the clocks jumped."""
    early = datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)
    if _wall(early, zone).replace(tzinfo=None) == datetime.combine(day, wall):
        # A repeated hour: fold=0 (the default) is already the first of the two.
        return early
    # In a gap the two readings bracket the jump; find it to the second.
    low = datetime.combine(day, wall, tzinfo=zone).replace(fold=1).astimezone(UTC)
    high = early
    low, high = min(low, high), max(low, high)
    target = datetime.combine(day, wall)
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if _wall(mid, zone).replace(tzinfo=None) >= target:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0) + (timedelta(seconds=1) if high.microsecond else timedelta())


def effective_window(start: str | time, end: str | time) -> tuple[time, time]:
    """The campaign's window cut to 08:00-21:00 (start may then be at or after end: no window)."""
    return max(parse_hhmm(start), LEGAL_START), min(parse_hhmm(end), LEGAL_END)


def _in_window(local: datetime, start: time, end: time) -> bool:
    clock = local.time().replace(tzinfo=None)
    return start <= clock < end


def next_window_instant(  # noqa: PLR0917 - a pure helper, called by position
    candidate: datetime,
    zone: ZoneInfo,
    start: time,
    end: time,
    country: str | None,
    subdivision: str | None = None,
    table: HolidayTable | None = None,
) -> datetime:
    """The first instant at or after ``candidate`` inside the window, on a day that is not a
    public holiday (UTC). ``start`` must be before ``end``."""
    local = _wall(candidate, zone)
    day = local.date()
    if _in_window(local, start, end) and holiday_name(day, country, subdivision, table) is None:
        return candidate.astimezone(UTC)
    if local.time().replace(tzinfo=None) >= end:
        day += timedelta(days=1)
    # A year of holidays in a row never happens; the bound only guards against a broken calendar.
    for _ in range(400):
        if holiday_name(day, country, subdivision, table) is None:
            opens = first_instant_at(day, start, zone)
            if opens >= candidate:
                return opens
        day += timedelta(days=1)
    raise RuntimeError("no calling day within 400 days")


def _hhmm(instant: datetime, zone: ZoneInfo) -> str:
    return _wall(instant, zone).strftime("%H:%M")


# -- the rules ------------------------------------------------------------------------------


def _never(reason: Reason, **params: object) -> Verdict:
    return Verdict(
        allowed=False,
        reason=reason,
        params={k: str(v) for k, v in params.items()},
        indicator="red",
        next_allowed_at=None,
    )


def _never_verdict(ctx: CallContext) -> Verdict | None:  # noqa: PLR0911 - one per rule
    """The rules that forbid the call for good, whatever the time."""
    if ctx.do_not_call:
        return _never("do_not_call")
    if not ctx.consent:
        return _never("no_consent")
    if _zone(ctx.time_zone) is None:
        return _never("unknown_time_zone", time_zone=ctx.time_zone)
    start, end = effective_window(ctx.window_start, ctx.window_end)
    if start >= end:
        return _never(
            "no_window",
            start=parse_hhmm(ctx.window_start).strftime("%H:%M"),
            end=parse_hhmm(ctx.window_end).strftime("%H:%M"),
        )
    if ctx.max_attempts is not None:
        mine = sum(1 for a in ctx.attempts if a.campaign_id == ctx.campaign_id)
        if mine >= ctx.max_attempts:
            return _never("max_attempts", count=mine, limit=ctx.max_attempts)
    if ctx.exempt and min(ctx.caps.per_day, ctx.caps.per_week) <= 0:
        cap: Reason = "exempt_daily_cap" if ctx.caps.per_day <= 0 else "exempt_weekly_cap"
        return _never(cap, count=0, limit=0)
    return None


Blocker = tuple[Reason, dict[str, object]]


def _waits(ctx: CallContext, now: datetime) -> tuple[datetime, Blocker | None]:
    """The earliest instant the retry interval and the exemption caps allow, and the rule
    that sets it (None when it is ``now``)."""
    earliest: datetime = now
    blocker: Blocker | None = None
    attempts = ctx.attempts
    if attempts:
        latest = max(attempts, key=lambda a: a.at)
        retry_at = latest.at + ctx.retry.wait_after(latest.code)
        if retry_at > earliest:
            earliest = retry_at
            blocker = ("retry_wait", {"code": latest.code or "not disposed"})
    if not ctx.exempt:
        return earliest, blocker
    exempt = [a for a in attempts if a.exempt]
    caps: tuple[tuple[timedelta, int, Reason], ...] = (
        (timedelta(days=7), ctx.caps.per_week, "exempt_weekly_cap"),
        (timedelta(days=1), ctx.caps.per_day, "exempt_daily_cap"),
    )
    for period, limit, cap in caps:
        count = sum(1 for a in exempt if a.at > now - period)
        if count < limit:
            continue
        # Free again once the attempt that keeps the count at the limit leaves the period.
        free_at = sorted((a.at for a in exempt), reverse=True)[limit - 1] + period
        if free_at > earliest:
            earliest = free_at
            blocker = (cap, {"count": count, "limit": limit})
    return earliest, blocker


def evaluate(ctx: CallContext, now: datetime) -> Verdict:
    """May the patient of ``ctx`` be called at ``now``? See the module's docstring for the rules."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    never = _never_verdict(ctx)
    if never is not None:
        return never
    zone = _zone(ctx.time_zone)
    assert zone is not None  # checked above
    start, end = effective_window(ctx.window_start, ctx.window_end)
    # Each timed rule gives the earliest instant it allows; the call waits for the latest.
    earliest, blocker = _waits(ctx, now)
    opens = next_window_instant(
        earliest, zone, start, end, ctx.country, ctx.subdivision, ctx.holidays
    )
    local_now = _wall(now, zone)
    params: dict[str, object] = {
        "time_zone": ctx.time_zone,
        "local_time": local_now.strftime("%H:%M"),
    }
    if opens <= now:
        closes = first_instant_at(local_now.date(), end, zone)
        params["closes_local"] = _hhmm(closes, zone)
        return Verdict(
            allowed=True,
            reason="ok",
            params={k: str(v) for k, v in params.items()},
            indicator=(
                "amber" if closes - now <= timedelta(minutes=ctx.amber_minutes) else "green"
            ),
            next_allowed_at=now.astimezone(UTC),
            window_closes_at=closes,
        )
    reason: Reason = "outside_window"
    holiday = holiday_name(local_now.date(), ctx.country, ctx.subdivision, ctx.holidays)
    if blocker is not None:
        reason, extra = blocker
        params.update(extra)
    elif holiday is not None and _in_window(local_now, start, end):
        reason = "holiday"
        params.update(holiday=holiday, country=ctx.country, date=local_now.date().isoformat())
    params["next_local"] = _hhmm(opens, zone)
    return Verdict(
        allowed=False,
        reason=reason,
        params={k: str(v) for k, v in params.items()},
        indicator="red",
        next_allowed_at=opens,
    )


def is_opt_out(code: str, flagged: Iterable[str] = ()) -> bool:
    """Whether a disposition code means the patient asked not to be called again."""
    return code in OPT_OUT_CODES or code in set(flagged)


__all__ = [
    "AMBER_MINUTES",
    "BUSY",
    "DEFAULT_RETRY_AFTER",
    "DROPPED",
    "FAILED",
    "LEGAL_END",
    "LEGAL_START",
    "MESSAGES",
    "NO_ANSWER",
    "OPT_OUT_CODES",
    "REJECTED",
    "SYSTEM_CODES",
    "VOICEMAIL_LEFT",
    "Attempt",
    "CallContext",
    "ExemptionCaps",
    "HolidayTable",
    "Indicator",
    "Reason",
    "RetryRules",
    "Verdict",
    "effective_window",
    "evaluate",
    "first_instant_at",
    "holiday_name",
    "is_opt_out",
    "known_zone",
    "next_window_instant",
    "parse_hhmm",
]
