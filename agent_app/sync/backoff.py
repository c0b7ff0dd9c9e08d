"""Exponential backoff with full jitter (the AWS Architecture Blog's "full jitter").

The n-th consecutive failure waits a uniform random time in ``[0, min(cap, base * 2**n)]``,
so hundreds of workstations that lost the server together do not all come back in the same
second. A server's Retry-After is a floor.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    def __init__(
        self,
        *,
        base_s: float = 1.0,
        cap_s: float = 60.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if base_s <= 0 or cap_s < base_s:
            raise ValueError("backoff needs 0 < base_s <= cap_s")
        self.base_s = base_s
        self.cap_s = cap_s
        self._rand = rand
        self.failures = 0

    def ceiling(self) -> float:
        """The upper bound of the next wait."""
        return min(self.cap_s, self.base_s * float(1 << min(self.failures, 30)))

    def next_delay(self, *, floor_s: float | None = None) -> float:
        """Record one more failure and return how long to wait before the next try."""
        delay = float(self._rand()) * self.ceiling()
        self.failures += 1
        if floor_s is not None:
            delay = max(delay, min(floor_s, self.cap_s * 5))
        return delay

    def reset(self) -> None:
        self.failures = 0
