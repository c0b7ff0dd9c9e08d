"""Automatic lock after inactivity (HIPAA 164.312(a)(2)(iii), automatic logoff).

Pure logic with an injectable clock: the Qt layer reports input activity and polls
:meth:`IdleLock.poll`; when the agent has been idle for the configured time the
screen locks and PHI is hidden until the agent signs in again. A lock never touches
a call in progress: the phone keeps working behind the lock screen.

The inactivity lock never starts while the agent is busy with a call or its after-call
work (:meth:`IdleLock.set_busy`): an agent listening to a caller touches no key for
minutes. The idle time counts again from the moment the work is over.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


class IdleLock:
    def __init__(self, timeout_s: float, clock: Clock = time.monotonic) -> None:
        if timeout_s <= 0:
            raise ValueError("idle timeout must be positive")
        self._timeout_s = timeout_s
        self._clock = clock
        self._last_activity = clock()
        self._locked = False
        self._busy = False
        self._listeners: list[Callable[[bool], None]] = []

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def timeout_s(self) -> float:
        return self._timeout_s

    @property
    def busy(self) -> bool:
        return self._busy

    def seconds_until_lock(self) -> float:
        if self._locked:
            return 0.0
        if self._busy:
            return self._timeout_s
        return max(0.0, self._timeout_s - (self._clock() - self._last_activity))

    def subscribe(self, listener: Callable[[bool], None]) -> None:
        """``listener(locked)`` runs on every change of state."""
        self._listeners.append(listener)

    def activity(self) -> None:
        """Input from the agent; ignored while locked (only a sign-in unlocks)."""
        if not self._locked:
            self._last_activity = self._clock()

    def set_busy(self, busy: bool) -> None:
        """A call or its wrap-up is under way (True) or over (False): no inactivity lock
        starts meanwhile, and the idle time starts again when the work ends."""
        if busy == self._busy:
            return
        self._busy = busy
        if not busy:
            self._last_activity = self._clock()

    def poll(self) -> bool:
        """Lock if the idle time has run out; returns whether the screen is locked."""
        if self._busy:
            return self._locked
        if not self._locked and self._clock() - self._last_activity >= self._timeout_s:
            self.lock()
        return self._locked

    def lock(self) -> None:
        if not self._locked:
            self._locked = True
            self._notify()

    def unlock(self) -> None:
        """Called after the agent has authenticated again."""
        if self._locked:
            self._locked = False
            self._last_activity = self._clock()
            self._notify()

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener(self._locked)
