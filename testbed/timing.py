"""Waiting for events, and printing what a benchmark measured.

``wait_until`` polls a condition and fails naming what it waited for, so a test waits for
an event rather than for a guessed time. ``Figures`` prints a benchmark's figures as one
JSON line each; ``percentile`` reads a latency off a list of samples.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 20.0,
    interval: float = 0.05,
    *,
    what: str | Callable[[], str] = "",
) -> T:
    """Poll ``predicate`` every ``interval`` seconds until it returns something true;
    return that. Raise AssertionError naming ``what`` (or the predicate) after
    ``timeout`` seconds; a callable ``what`` is asked only then, for the state at the end.
    The predicate may raise to give up early (a peer that died)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    awaited = what() if callable(what) else what
    awaited = awaited or getattr(predicate, "__qualname__", repr(predicate))
    raise AssertionError(f"timed out after {timeout:g} s waiting for {awaited}")


def holds_for(
    predicate: Callable[[], object],
    duration: float,
    interval: float = 0.05,
    *,
    what: str = "",
) -> None:
    """Check that ``predicate`` stays true for ``duration`` seconds: for a test whose point
    is that something does not happen within a window. Raise AssertionError naming
    ``what`` as soon as it does not hold."""
    deadline = time.monotonic() + duration
    while True:
        if not predicate():
            awaited = what or getattr(predicate, "__qualname__", repr(predicate))
            raise AssertionError(f"no longer true: {awaited}")
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)


def percentile(samples: Sequence[float], q: float) -> float:
    """The sample at rank ``q`` (0..1) of the sorted samples (no interpolation)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Figures:
    """One benchmark's figures, each printed on stdout as a JSON line:
    ``{"benchmark", "figure", "value", "unit"}`` plus ``"target"`` when it has one and
    any extra context given by keyword."""

    def __init__(self, benchmark: str, *, digits: int = 2) -> None:
        self.benchmark = benchmark
        self.digits = digits

    def emit(
        self,
        figure: str,
        value: float | Sequence[float],
        unit: str,
        target: str = "",
        **extra: object,
    ) -> None:
        """Print one figure; ``value`` rounded to the benchmark's digits (a list: each)."""
        rounded: float | list[float] = (
            round(value, self.digits)
            if isinstance(value, int | float)
            else [round(v, self.digits) for v in value]
        )
        line: dict[str, object] = {
            "benchmark": self.benchmark,
            "figure": figure,
            "value": rounded,
            "unit": unit,
        }
        if target:
            line["target"] = target
        line.update(extra)
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
