"""Ringing that cannot be missed, and the lock screen around calls."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QApplication, QLabel

from agent_app.sync.login import LoginError, LoginResult
from agent_app.workflow.call_session import CallPhase
from tests.helpers.telephony_peers import Phone
from tests.ui.desk_rig import CALLER, DeskRig

pytestmark = pytest.mark.integration


def _ring(desk: DeskRig, peers: Callable[..., Phone]) -> Phone:
    caller = peers(
        "call", desk.address, "--username", CALLER, "--duration", "60", "--timeout", "60"
    )
    caller.ready()
    desk.wait(lambda: desk.session.offered_call is not None, "the call rings")
    return caller


def _unlocks_with(password: str) -> Callable[[str, str], LoginResult]:
    def authenticate(agent_id: str, given: str) -> LoginResult:
        if given != password:
            raise LoginError("Agent ID or password is not correct.")
        return LoginResult(agent_id, "Agent Seven", "agent", "a", "r", 900)

    return authenticate


def test_the_inactivity_lock_waits_for_the_call_and_its_after_call_work(
    desk: DeskRig, peers: Callable[..., Phone]
) -> None:
    lock = desk.window.idle_lock
    desk.session.go_ready()
    _ring(desk, peers)
    desk.press("answer")
    desk.wait(lambda: desk.only_call().phase is CallPhase.TALKING, "talking")
    desk.idle_clock.now += 3600  # a long call without a key pressed
    assert lock.poll() is False and not desk.window.is_locked

    desk.press("hangup")
    desk.wait(lambda: not desk.session.calls and desk.session.wrap_ups, "after-call work")
    desk.idle_clock.now += 3600
    assert lock.poll() is False, "no lock during after-call work"

    assert desk.session.complete_wrap_up(desk.session.wrap_ups[0].record_id)
    desk.wait(lambda: not lock.busy, "the work is over")
    desk.idle_clock.now += lock.timeout_s - 1
    assert lock.poll() is False, "the idle time counts from the end of the work"
    desk.idle_clock.now += 2
    assert lock.poll() is True
    desk.wait(lambda: desk.window.is_locked, "locked")


def test_a_call_on_a_locked_screen_shows_incoming_call_and_nothing_else_until_unlocked(
    desk_factory: Callable[..., DeskRig], peers: Callable[..., Phone]
) -> None:
    desk = desk_factory(authenticate=_unlocks_with("right"))
    desk.session.go_ready()
    desk.window.idle_lock.lock()
    desk.wait(lambda: desk.window.is_locked, "locked")
    _ring(desk, peers)

    screen = desk.window.lock_screen
    desk.wait(screen.incoming.isVisible, "the lock screen says a call rings")
    shown = [label.text() for label in screen.findChildren(QLabel) if label.isVisible()]
    assert "Incoming call" in shown
    assert not any(CALLER in text or "202" in text for text in shown), "no number while locked"
    assert desk.window.work_area.isHidden()
    assert not desk.panel.actions_by_name["answer"].isEnabled(), "no call control while locked"
    desk.press("answer")
    assert (
        desk.session.offered_call is not None and desk.session.calls[0].phase is CallPhase.RINGING
    )
    desk.shot("20-locked-ringing")

    desk.wait(lambda: QApplication.focusWidget() is screen.password, "the password has focus")
    desk.type_text("right")
    desk.press_keys("Return")
    desk.wait(lambda: not desk.window.is_locked, "unlocked in one step")
    desk.wait(
        lambda: QApplication.focusWidget() is desk.panel.buttons["answer"], "Answer has the focus"
    )
    desk.shot("21-unlocked-ringing")
    desk.press_keys("Space")
    desk.wait(lambda: desk.only_call().phase is CallPhase.TALKING, "answered after unlocking")
    assert not screen.incoming.isVisible()


def test_a_ringing_call_brings_a_minimised_window_forward_with_the_number_only(
    desk: DeskRig, peers: Callable[..., Phone]
) -> None:
    alert = desk.window.ring_alert
    assert alert is not None
    desk.session.go_ready()
    desk.window.showMinimized()
    desk.wait(desk.window.isMinimized, "minimised")
    _ring(desk, peers)
    desk.wait(lambda: not desk.window.isMinimized(), "the window comes forward")
    assert alert.notifications == [("Incoming call", CALLER)]

    desk.press("decline")  # the ringing window has the keys
    desk.wait(lambda: not desk.session.calls, "declined")
    desk.window.idle_lock.lock()
    desk.window.showMinimized()
    desk.wait(desk.window.isMinimized, "minimised again")
    _ring(desk, peers)
    desk.wait(lambda: len(alert.notifications) == 2, "a second notification")
    assert alert.notifications[-1] == ("Incoming call", ""), "locked: not even the number"
