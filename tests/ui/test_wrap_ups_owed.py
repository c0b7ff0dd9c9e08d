"""Two wrap-ups owed at once (a waiting call answered, both ended): the disposition panel says
which one it shows, the agent switches between them from the keyboard, and each is
submitted on its own. Real engine, real callers, the journal as the desk's outbox."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QApplication

from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.call_session import CallPhase, CallSession
from tests.helpers.telephony_peers import Phone
from tests.ui.desk_rig import DeskRig

pytestmark = pytest.mark.integration

FIRST = "+12025550144"  # synthetic (555-01xx is reserved for fiction)
SECOND = "+12025550145"


def _rings(rig: DeskRig, peers: Callable[..., Phone], number: str) -> CallSession:
    caller = peers("call", rig.address, "--username", number, "--duration", "60")
    caller.ready()
    rig.wait(lambda: rig.session.offered_call is not None, "the call rings")
    call = rig.session.offered_call
    assert call is not None
    return call


def test_two_owed_wrap_ups_are_told_apart_and_submitted_one_by_one(
    desk: DeskRig, peers: Callable[..., Phone]
) -> None:
    panel = desk.window.disposition
    assert panel is not None
    desk.press("ready")
    desk.wait(lambda: desk.session.state is AgentState.READY, "Ready")
    first = _rings(desk, peers, FIRST)
    desk.press("answer")
    desk.wait(lambda: first.phase is CallPhase.TALKING, "talking to the first caller")
    second = _rings(desk, peers, SECOND)
    desk.press("answer")
    desk.wait(lambda: second.phase is CallPhase.TALKING, "the waiting call answered")
    desk.press("hangup")
    desk.wait(lambda: second.phase is CallPhase.ENDED, "the second call ended")
    assert panel.work is not None and panel.work.call is second
    assert not panel.filter_box.hasFocus(), "a call is still up: the keys stay with it"
    assert not panel.owed.isVisible() and panel.which.text() == ""

    desk.wait(lambda: desk.session.focus is first, "the held call is the one shown")
    desk.press("hold")
    desk.wait(lambda: first.media_state == "active", "the first call is resumed")
    desk.press("hangup")
    desk.wait(lambda: not desk.session.calls, "both calls ended")
    desk.wait(panel.filter_box.hasFocus, "the keys go to the wrap-up")
    assert panel.work is not None and panel.work.call is second, "the oldest owed first"
    assert panel.which.text() == "1 of 2"
    assert panel.owed.isVisible() and panel.owed.count() == 2
    assert SECOND in panel.owed.item(0).text() and FIRST in panel.owed.item(1).text()
    desk.shot("wrap-up-07-two-owed")

    desk.press_keys("Shift+Tab")  # back to the list of owed wrap-ups
    assert panel.owed.hasFocus()
    desk.press_keys("Down")
    assert panel.work is not None and panel.work.call is first
    assert panel.which.text() == "2 of 2"
    assert panel.call_title.text() == f"Call from {FIRST}"
    desk.press_keys("Tab")
    assert panel.filter_box.hasFocus()
    desk.type_text("handled")
    desk.press_keys("Return")
    desk.press("submit_disposition")
    desk.wait(lambda: len(desk.session.wrap_ups) == 1, "the first call's wrap-up is done")
    assert [w.call for w in desk.session.wrap_ups] == [second]
    assert panel.work is not None and panel.work.call is second
    assert not panel.owed.isVisible() and panel.which.text() == ""
    assert QApplication.focusWidget() is panel.filter_box, "on to the next one"

    desk.type_text("handled")
    desk.press_keys("Return")
    desk.press("submit_disposition")
    desk.wait(lambda: not desk.session.wrap_ups, "both submitted")
    assert panel.pages.currentWidget() is panel.idle_page
    assert desk.session.state is AgentState.READY
    records = {
        e.id: e.payload["code"] for e in desk.journal.next_batch() if e.kind == "disposition"
    }
    assert records == {first.record_id: "SYS_HANDLED", second.record_id: "SYS_HANDLED"}
