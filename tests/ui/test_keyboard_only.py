"""The whole flow without a mouse: availability, dialling, tones, transfer, the Help sheet."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from agent_app.telephony import protocol as p
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.call_session import CallPhase
from testbed.ports import free_port
from tests.helpers.telephony_peers import Phone
from tests.ui.desk_rig import DeskRig

pytestmark = pytest.mark.integration


def _focus_chain(desk: DeskRig, start: QWidget, limit: int = 60) -> list[QWidget]:
    """Every widget Tab visits from ``start`` until it comes back."""
    start.setFocus()
    desk.wait(lambda: QApplication.focusWidget() is start, "the chain's first widget has focus")
    seen: list[QWidget] = [start]
    for _ in range(limit):
        desk.press_keys("Tab")
        widget = QApplication.focusWidget()
        assert widget is not None
        if widget is start:
            return seen
        seen.append(widget)
    raise AssertionError("Tab never came back to where it started")


def test_the_desk_works_from_the_keyboard_alone(desk: DeskRig, peers: Callable[..., Phone]) -> None:
    # Help: F1 lists every shortcut.
    desk.press("help_shortcuts")
    sheet = desk.window.shortcuts_sheet
    assert sheet is not None
    desk.wait(sheet.isActiveWindow, "the shortcut sheet opens with the keyboard")
    texts = [sheet.table.item(r, 1).text() for r in range(sheet.table.rowCount())]
    assert "Answer the ringing call" in texts and "Hold or resume" in texts
    desk.shot("16-shortcuts", sheet)
    desk.press_keys("Escape")
    desk.wait(lambda: not sheet.isVisible(), "Escape closes it")
    desk.wait(desk.window.isActiveWindow, "back to the window")

    # Every control Tab reaches says what it is.
    chain = _focus_chain(desk, desk.panel.number)
    unnamed = [w.objectName() for w in chain if not w.accessibleName()]
    assert unnamed == [], f"controls without an accessible name: {unnamed}"
    names = {w.objectName() for w in chain}
    assert {"numberField", "dialButton", "keypadButton", "readyButton"} <= names

    # Not ready with a reason (F10, arrows, Enter), then Ready (F9).
    desk.press("not_ready")
    menu = desk.window.agent_bar.menu if desk.window.agent_bar else None
    assert menu is not None
    desk.wait(lambda: QGuiApplication.focusWindow() is menu.windowHandle(), "the menu has the keys")
    desk.shot("17-reasons", menu)
    desk.press_keys("Down", menu)
    desk.press_keys("Return", menu)
    desk.wait(lambda: desk.session.reason is not None, "a reason is chosen")
    desk.wait(
        lambda: QGuiApplication.focusWindow() is desk.window.windowHandle(), "the keys are back"
    )
    assert desk.session.reason is not None and desk.session.reason.code == "lunch"
    assert desk.window.agent_bar is not None
    assert desk.window.agent_bar.label.text() == "Not ready (Lunch)"
    desk.shot("18-not-ready-lunch")
    desk.press("ready")
    desk.wait(lambda: desk.session.state is AgentState.READY, "Ready")

    # Dial by keyboard, send tones with the digit keys, transfer by keyboard.
    alice_port, bob_port = free_port(), free_port()
    alice = peers("listen", "--port", str(alice_port), "--auto-answer")
    bob = peers("listen", "--port", str(bob_port), "--auto-answer")
    alice.ready()
    bob.ready()
    desk.press("dial_focus")
    desk.type_text(f"sip:alice@127.0.0.1:{alice_port}")
    desk.press_keys("Return")
    desk.wait(lambda: len(desk.session.calls) == 1, "the call is placed")
    call = desk.only_call()
    desk.wait(lambda: call.phase is CallPhase.TALKING, "alice answered")

    desk.press("keypad")
    desk.wait(desk.panel.keypad.isVisible, "the keypad shows")
    assert QApplication.focusWidget() is desk.panel.keys["1"]
    desk.press_keys("5")
    desk.press_keys("#")
    desk.peer_event(alice.events, p.DtmfReceived, digit="5")
    desk.peer_event(alice.events, p.DtmfReceived, digit="#")
    assert "tones sent: 5#" in desk.panel.call_detail.text()
    desk.shot("19-keypad")

    desk.press("transfer")
    dialog = desk.panel.transfer_dialog
    assert dialog is not None
    desk.wait(lambda: QApplication.focusWidget() is dialog.target, "typing goes to the dialog")
    desk.type_text(f"sip:bob@127.0.0.1:{bob_port}")
    desk.press_keys("Return")
    desk.peer_event(bob.events, p.IncomingCall)
    desk.wait(lambda: not desk.session.calls, "the transferred call left the desk")
    assert call.end_reason == "transferred"
    assert desk.session.state is AgentState.WRAP_UP
