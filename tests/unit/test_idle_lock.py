"""The idle lock's rules, on a hand-driven clock."""

from __future__ import annotations

import pytest

from agent_app.workflow.idle_lock import IdleLock


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_locks_only_after_the_full_idle_time() -> None:
    clock = ManualClock()
    lock = IdleLock(300, clock)
    changes: list[bool] = []
    lock.subscribe(changes.append)
    clock.now += 299
    assert lock.poll() is False
    assert lock.seconds_until_lock() == pytest.approx(1)
    clock.now += 1
    assert lock.poll() is True
    assert changes == [True]


def test_activity_postpones_the_lock() -> None:
    clock = ManualClock()
    lock = IdleLock(60, clock)
    for _ in range(10):
        clock.now += 50
        lock.activity()
        assert lock.poll() is False
    clock.now += 60
    assert lock.poll() is True


def test_activity_while_locked_does_not_unlock() -> None:
    clock = ManualClock()
    lock = IdleLock(60, clock)
    lock.lock()
    lock.activity()
    clock.now += 1
    assert lock.poll() is True
    lock.unlock()
    assert lock.locked is False
    clock.now += 59
    assert lock.poll() is False, "unlocking restarts the idle timer"


def test_no_repeat_notifications() -> None:
    lock = IdleLock(60, ManualClock())
    changes: list[bool] = []
    lock.subscribe(changes.append)
    lock.lock()
    lock.lock()
    lock.unlock()
    lock.unlock()
    assert changes == [True, False]


def test_rejects_a_non_positive_timeout() -> None:
    with pytest.raises(ValueError, match="positive"):
        IdleLock(0)


def test_no_lock_while_busy_and_the_idle_time_restarts_when_the_work_ends() -> None:
    clock = ManualClock()
    lock = IdleLock(300, clock)
    clock.now += 200
    lock.set_busy(True)  # a call starts
    clock.now += 3600
    assert lock.poll() is False
    assert lock.seconds_until_lock() == 300
    lock.set_busy(False)  # the call and its wrap-up are done
    clock.now += 299
    assert lock.poll() is False
    clock.now += 1
    assert lock.poll() is True


def test_busy_does_not_unlock_a_locked_screen() -> None:
    clock = ManualClock()
    lock = IdleLock(300, clock)
    lock.lock()
    lock.set_busy(True)
    assert lock.poll() is True and lock.locked
