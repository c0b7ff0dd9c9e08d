"""The after-call work countdown in the window: the state bar counts it down, Ready waits
for the disposition and says why, and a countdown that runs out shows Not ready —
Disposition pending (never Ready) until the agent submits. Real engine, real caller, the
journal as the desk's outbox."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.call_session import CallPhase
from agent_app.workflow.desk_settings import DeskSettings
from tests.helpers.telephony_peers import Phone
from tests.ui.desk_rig import CALLER, DeskRig

pytestmark = pytest.mark.integration

LIMIT_S = 4.0


def test_the_countdown_runs_out_into_disposition_pending_and_the_submit_ends_it(
    desk_factory: Callable[..., DeskRig], peers: Callable[..., Phone]
) -> None:
    rig = desk_factory(settings=DeskSettings(wrap_up_limit_s=LIMIT_S))
    bar, panel = rig.window.agent_bar, rig.window.disposition
    assert bar is not None and panel is not None
    assert panel.pages.currentWidget() is panel.idle_page
    rig.press("ready")
    rig.wait(lambda: rig.session.state is AgentState.READY, "Ready after F9")
    caller = peers("call", rig.address, "--username", CALLER, "--duration", "30")
    caller.ready()
    rig.wait(lambda: rig.session.offered_call is not None, "the call rings")
    rig.press("answer")
    call = rig.only_call()
    rig.wait(lambda: call.phase is CallPhase.TALKING, "talking")
    rig.press("hangup")
    rig.wait(lambda: rig.session.state is AgentState.WRAP_UP, "after-call work")

    rig.wait(lambda: bar.timer.text().endswith("left"), "the bar counts the work down")
    assert bar.timer.accessibleName() == "After-call work time left"
    assert "Submit the disposition" in bar.note.text()
    rig.wait(panel.filter_box.hasFocus, "the keys go to the outcome filter")
    assert panel.call_title.text() == f"Call from {CALLER}"
    rig.shot("wrap-up-05-countdown")

    rig.wait(
        lambda: rig.session.state is AgentState.NOT_READY,
        "the countdown ran out",
        timeout=int(LIMIT_S * 1000) + 10_000,
    )
    assert bar.label.text() == "Not ready — Disposition pending"
    assert "ran out of time" in bar.note.text()
    rig.press("ready")
    assert rig.session.state is AgentState.NOT_READY, "Ready waits for the disposition"
    assert "submit the disposition" in bar.note.text()
    assert panel.work is not None and panel.work.call is call, "the wrap-up is still owed"
    rig.shot("wrap-up-06-disposition-pending")

    # No code tree on this desk: the built-in codes are always there to choose.
    panel.filter_box.setFocus()
    rig.type_text("zzz")
    rig.press_keys("Return")
    assert panel.code_problem.isVisible()
    assert panel.code_problem.text() == "No code matches “zzz”."
    assert panel.filter_box.hasFocus()
    rig.press_keys("Ctrl+A")
    rig.type_text("handled")
    assert not panel.code_problem.isVisible()
    rig.press_keys("Return")
    assert panel.work.code == "SYS_HANDLED"
    assert panel.notes.hasFocus()
    rig.type_text("Line dropped twice.")
    rig.press("submit_disposition")  # Ctrl+Enter from inside the notes
    rig.wait(lambda: not rig.session.wrap_ups, "submitted")
    assert panel.pages.currentWidget() is panel.idle_page
    assert rig.session.state is AgentState.NOT_READY, "only the agent makes themself Ready"
    rig.press("ready")
    rig.wait(lambda: rig.session.state is AgentState.READY, "Ready once the work is done")
    # Nobody sends this desk's journal: every entry is still there to read (once each).
    entries = [e for e in rig.journal.next_batch() if e.kind == "disposition"]
    assert [(e.id, e.payload["code"]) for e in entries] == [(call.record_id, "SYS_HANDLED")]
    assert entries[0].payload["notes"] == "Line dropped twice."
