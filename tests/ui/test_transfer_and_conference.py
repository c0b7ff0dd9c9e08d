"""Warm transfer, 3-way conference and call waiting through the desk, with real peers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QApplication

from agent_app.telephony import protocol as p
from agent_app.views.transfer_dialog import DirectoryEntry, TransferMode
from agent_app.workflow.call_session import CallPhase, CallSession
from testbed.ports import free_port
from tests.helpers.telephony_peers import Phone
from tests.ui.desk_rig import CALLER, DeskRig

pytestmark = pytest.mark.integration


def _listener(peers: Callable[..., Phone]) -> tuple[Phone, str]:
    port = free_port()
    peer = peers("listen", "--port", str(port), "--auto-answer")
    peer.ready()
    return peer, f"sip:x@127.0.0.1:{port}"


def _talking_to(desk: DeskRig, target: str) -> CallSession:
    call = desk.session.dial(target)
    assert call is not None
    desk.wait(lambda: call.phase is CallPhase.TALKING, "the first call is up")
    return call


def test_warm_transfer_to_a_directory_entry(desk: DeskRig, peers: Callable[..., Phone]) -> None:
    _alice, alice_uri = _listener(peers)
    bob, bob_uri = _listener(peers)
    desk.panel.set_directory_source(
        lambda: [
            DirectoryEntry("Billing desk", "sip:billing@127.0.0.1:9"),
            DirectoryEntry("Nurse line", bob_uri, "clinical questions"),
        ]
    )
    first = _talking_to(desk, alice_uri)

    desk.press("transfer")
    dialog = desk.panel.transfer_dialog
    assert dialog is not None and dialog.isVisible()
    desk.wait(lambda: QApplication.focusWidget() is dialog.target, "typing goes to the dialog")
    desk.type_text("nurse")
    assert [dialog.directory.item(i).isHidden() for i in range(2)] == [True, False]
    desk.press_keys("Down")
    assert dialog.target.text() == "Nurse line"
    desk.press_keys("Alt+F")  # "Talk to them first" (a mnemonic clicks after a short delay)
    desk.wait(lambda: dialog.mode is TransferMode.WARM, "warm transfer chosen")
    desk.shot("11-transfer-dialog", dialog)
    desk.press_keys("Return")

    desk.wait(lambda: desk.session.consultation is not None, "a consult call is placed")
    about, consult = desk.session.consultation or (None, None)
    assert about is first and consult is not None
    desk.wait(lambda: consult.phase is CallPhase.TALKING, "the nurse line answered")
    assert first.phase is CallPhase.HELD
    assert desk.panel.consult_bar.isVisible()
    desk.shot("12-consulting")

    desk.wait(desk.window.isActiveWindow, "the window has the keyboard again")
    desk.press("transfer")  # with a consult call up: complete the transfer
    replaced = desk.peer_event(bob.events, p.CallReplaced)
    assert replaced.new_call_id
    desk.wait(lambda: not desk.session.calls, "both legs left the desk")
    assert [w.record_id for w in desk.session.wrap_ups] == [first.record_id]
    assert first.end_reason == "transferred"


def test_three_way_conference_and_leaving_it(desk: DeskRig, peers: Callable[..., Phone]) -> None:
    alice, alice_uri = _listener(peers)
    bob, bob_uri = _listener(peers)
    first = _talking_to(desk, alice_uri)

    desk.press("conference")
    dialog = desk.panel.transfer_dialog
    assert dialog is not None and dialog.mode is TransferMode.CONFERENCE
    desk.wait(lambda: QApplication.focusWidget() is dialog.target, "typing goes to the dialog")
    desk.type_text(bob_uri)
    desk.press_keys("Return")
    desk.wait(lambda: desk.session.consultation is not None, "the third party is called")
    _, consult = desk.session.consultation or (None, None)
    assert consult is not None
    desk.wait(lambda: consult.phase is CallPhase.TALKING, "the third party answered")
    desk.wait(desk.window.isActiveWindow, "the window has the keyboard again")

    desk.press("conference")  # with a consult call up: merge
    desk.wait(lambda: len(desk.session.conference) == 2, "a conference of three")
    desk.wait(lambda: first.media_state == "active", "the first caller is off hold")
    assert {c.phase for c in desk.session.calls} == {CallPhase.TALKING}
    assert desk.panel.call_state.text() == "Conference of 2 and you"
    desk.shot("13-conference")

    desk.press("hangup")
    desk.wait(lambda: not desk.session.calls, "leaving the conference ends both legs")
    desk.peer_event(alice.events, p.CallEnded)
    desk.peer_event(bob.events, p.CallEnded)
    assert [w.record_id for w in desk.session.wrap_ups] == [first.record_id]


def test_a_second_call_waits_visibly_and_answering_it_holds_the_first(
    desk: DeskRig, peers: Callable[..., Phone]
) -> None:
    desk.session.go_ready()
    _alice, alice_uri = _listener(peers)
    first = _talking_to(desk, alice_uri)
    caller = peers(
        "call", desk.address, "--username", CALLER, "--duration", "60", "--timeout", "60"
    )
    caller.ready()
    desk.wait(lambda: desk.session.offered_call is not None, "the second call rings")
    panel = desk.panel
    assert panel.waiting.isVisible() and CALLER in panel.waiting_label.text()
    assert panel.caller.text() != CALLER, "the card stays on the call in progress"
    desk.shot("14-call-waiting")

    desk.press("answer")
    second = desk.session.offered_call or desk.session.active_call
    assert second is not None and second is not first
    desk.wait(lambda: second.phase is CallPhase.TALKING, "the second call is answered")
    desk.wait(lambda: first.media_state == "local_hold", "the first call was put on hold")
    assert panel.other_calls.isVisible() and panel.other_calls.count() == 1
    assert "On hold" in panel.other_calls.item(0).text()
    desk.shot("15-one-held")

    desk.press("hangup")
    desk.wait(lambda: second.phase is CallPhase.ENDED, "the second call ended")
    desk.wait(lambda: desk.session.focus is first, "the held call is the one shown")
    desk.press("hold")
    desk.wait(lambda: first.media_state == "active", "the first call is resumed")
    desk.press("hangup")
    desk.wait(lambda: not desk.session.calls, "all calls ended")
