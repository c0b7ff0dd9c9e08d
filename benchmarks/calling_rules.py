"""The calling rules' cost per decision (:func:`pulse_contract.calling_rules.evaluate`), as the
desk pays it before every dial and on every patient card.

Decisions are drawn at random: a zone among US, half-hour and DST-changing ones, a country's
holidays, an instant anywhere in 2026 (a third of them near a clock change), a history of 0-12
attempts across campaigns with system and other codes, half the campaigns under the healthcare
exemption. The calendars are warmed first (the desk pays that once, at start-up). Each decision
is timed on its own; a control is timed interleaved with it: converting the same instant to the
patient's zone (the least any window check does), so that a slow machine shows in both.

Figures: ``decision_p50_us`` / ``decision_p99_us`` (target: p99 <= 1000 us) and
``control_p50_us`` / ``control_p99_us``; ``allowed_share`` says how many of the decisions
allowed the call. ``python -m benchmarks.calling_rules`` (200,000 decisions) or ``--quick``
(20,000).
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pulse_contract import calling_rules as rules
from testbed.timing import Figures, percentile

FIGURES = Figures("calling_rules", digits=2)
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/St_Johns",
    "Asia/Kolkata",
    "Australia/Adelaide",
)
COUNTRIES = ("US", "US", "US", "CA", "IN", "AU")
CODES = (*rules.SYSTEM_CODES, "CONFIRMED", "CALLBACK", "DECLINED")
YEAR = datetime(2026, 1, 1, tzinfo=UTC)
# 2026's US clock changes, for instants close to them.
CHANGES = (datetime(2026, 3, 8, 8, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC))


def decisions(count: int, seed: int) -> list[tuple[rules.CallContext, datetime]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        if rng.random() < 1 / 3:
            now = rng.choice(CHANGES) + timedelta(seconds=rng.randint(-86400, 86400))
        else:
            now = YEAR + timedelta(seconds=rng.randint(0, 365 * 86400))
        attempts = tuple(
            rules.Attempt(
                at=now - timedelta(minutes=rng.randint(5, 14 * 24 * 60)),
                campaign_id=rng.choice(("c1", "c2", "c3")),
                code=rng.choice(CODES),
                exempt=rng.random() < 0.5,
            )
            for _ in range(rng.randint(0, 12))
        )
        ctx = rules.CallContext(
            time_zone=rng.choice(ZONES),
            country=rng.choice(COUNTRIES),
            campaign_id="c1",
            window_start=rng.choice(("08:00", "09:00", "10:30")),
            window_end=rng.choice(("21:00", "20:00", "17:30")),
            max_attempts=rng.choice((None, 3, 6, 10)),
            exempt=rng.random() < 0.5,
            attempts=attempts,
        )
        out.append((ctx, now))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 decisions")
    args = parser.parse_args()
    count = 20_000 if args.quick else 200_000
    cases = decisions(count, seed=20261206)
    for country in set(COUNTRIES):  # the calendars the desk loads once
        for year in (2025, 2026, 2027):
            rules.holiday_name(datetime(year, 1, 2).date(), country)
    for ctx, now in cases[:1000]:  # warm caches and the interpreter
        rules.evaluate(ctx, now)
    zones = {name: ZoneInfo(name) for name in ZONES}
    timed, control = [], []
    allowed = 0
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()  # a collection inside one decision is the collector's cost, not the rules'
    try:
        for ctx, now in cases:
            zone = zones[ctx.time_zone]
            t0 = clock()
            now.astimezone(zone)
            t1 = clock()
            verdict = rules.evaluate(ctx, now)
            t2 = clock()
            control.append((t1 - t0) / 1000)
            timed.append((t2 - t1) / 1000)
            allowed += verdict.allowed
    finally:
        gc.enable()
    FIGURES.emit("decision_p50_us", percentile(timed, 0.50), "us", decisions=count)
    FIGURES.emit("decision_p99_us", percentile(timed, 0.99), "us", "<= 1000", decisions=count)
    FIGURES.emit("control_p50_us", percentile(control, 0.50), "us", control="astimezone")
    FIGURES.emit("control_p99_us", percentile(control, 0.99), "us", control="astimezone")
    FIGURES.emit("allowed_share", allowed / count, "ratio")


if __name__ == "__main__":
    main()
