"""Calls through the desk: a real engine process and real pulse-phone peers on loopback."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QApplication

from agent_app.telephony import protocol as p
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.call_session import CallPhase
from agent_app.workflow.line_status import AudioQuality
from testbed.ports import free_port
from tests.helpers.telephony_peers import Phone
from tests.ui.desk_rig import CALLER, DeskRig

pytestmark = pytest.mark.integration


def _caller(peers: Callable[..., Phone], desk: DeskRig, *extra: str) -> Phone:
    caller = peers(
        "call", desk.address, "--username", CALLER, "--duration", "60", "--timeout", "60", *extra
    )
    caller.ready()
    return caller


def test_incoming_call_rings_and_is_answered_held_resumed_and_hung_up_by_keyboard(
    desk: DeskRig, peers: Callable[..., Phone]
) -> None:
    desk.press("ready")
    desk.wait(lambda: desk.session.state is AgentState.READY, "Ready after F9")
    desk.shot("01-ready")
    caller = _caller(peers, desk)

    desk.wait(lambda: desk.session.offered_call is not None, "the call rings on the desk")
    panel = desk.panel
    assert panel.buttons["answer"].isVisible() and panel.buttons["answer"].isEnabled()
    assert panel.caller.text() == CALLER
    assert "ringing" in panel.call_state.text().lower()
    assert desk.window.status.agent.text().startswith("State: Ringing")
    desk.shot("02-ringing")

    desk.press("answer")
    desk.wait(lambda: desk.only_call().phase is CallPhase.TALKING, "talking after Ctrl+Shift+A")
    desk.wait(lambda: desk.phone.line_status().audio is AudioQuality.GOOD, "audio flows both ways")
    assert desk.window.status.quality.text() == "Audio: flowing"
    assert not panel.buttons["answer"].isVisible()
    desk.shot("03-talking")

    desk.press("hold")
    desk.wait(lambda: desk.only_call().media_state == "local_hold", "the engine holds the call")
    assert panel.buttons["hold"].text() == "Resume"
    desk.wait(lambda: desk.window.status.quality.text() == "Audio: on hold", "on hold shown")
    desk.shot("04-held")

    desk.press("hold")
    desk.wait(lambda: desk.only_call().media_state == "active", "the call is resumed")
    assert desk.only_call().phase is CallPhase.TALKING

    desk.press("mute")
    desk.wait(lambda: desk.only_call().muted, "muted")
    assert panel.buttons["mute"].isChecked() and panel.buttons["mute"].text() == "Unmute"
    desk.shot("05-muted")
    desk.press("mute")
    desk.wait(lambda: not desk.only_call().muted, "unmuted")

    desk.press("hangup")
    desk.wait(lambda: not desk.session.calls, "the call ended")
    ended = desk.peer_event(caller.events, p.CallEnded)
    assert ended.ended_by == "remote"
    assert desk.session.state is AgentState.WRAP_UP
    assert desk.panel.history.history.count() == 1
    assert CALLER in desk.panel.history.history.item(0).text()
    desk.shot("06-wrap-up")


def test_not_ready_refuses_the_caller_with_486_and_lists_the_missed_call(
    desk: DeskRig, peers: Callable[..., Phone]
) -> None:
    assert desk.session.state is AgentState.NOT_READY  # a shift starts Not ready
    caller = _caller(peers, desk)
    ended = desk.peer_event(caller.events, p.CallEnded)
    assert ended.code == 486
    desk.wait(lambda: desk.panel.history.missed.count() == 1, "the refused call is listed")
    assert CALLER in desk.panel.history.missed.item(0).text()
    assert desk.panel.history_tabs.tabText(1) == "Missed (1)"
    assert desk.session.calls == ()
    desk.panel.history_tabs.setCurrentIndex(1)
    desk.shot("07-missed")


def test_a_pasted_number_is_normalised_and_dialled(
    desk_factory: Callable[..., DeskRig], peers: Callable[..., Phone]
) -> None:
    peer_port = free_port()
    callee = peers("listen", "--port", str(peer_port), "--auto-answer")
    callee.ready()
    desk = desk_factory(domain=f"127.0.0.1:{peer_port}")
    desk.press("dial_focus")
    assert QApplication.focusWidget() is desk.panel.number
    QApplication.clipboard().setText("Mobile: (202) 555-0143, after 5 pm")
    desk.press_keys("Ctrl+V")
    assert desk.panel.number_hint.text() == "Calls +12025550143"
    desk.shot("08-pasted")
    desk.press_keys("Return")

    desk.wait(lambda: len(desk.session.calls) == 1, "the call is placed")
    call = desk.only_call()
    assert call.number == "+12025550143"
    incoming = desk.peer_event(callee.events, p.IncomingCall)
    assert incoming.number == "agent"
    desk.wait(lambda: call.phase is CallPhase.TALKING, "the peer answered")
    assert desk.panel.number.text() == ""
    desk.shot("09-outgoing")
    desk.press("hangup")
    desk.wait(lambda: not desk.session.calls, "the call ended")

    assert desk.session.complete_wrap_up(desk.session.wrap_ups[0].record_id)
    desk.press("redial")
    desk.wait(lambda: len(desk.session.calls) == 1, "redial places the same call again")
    assert desk.only_call().number == "+12025550143"
    desk.press("hangup")
    desk.wait(lambda: not desk.session.calls, "the redial ended")


def test_engine_killed_mid_call_is_reported_and_the_phone_recovers(
    desk: DeskRig, peers: Callable[..., Phone]
) -> None:
    desk.session.go_ready()
    first = _caller(peers, desk)
    desk.wait(lambda: desk.session.offered_call is not None, "the call rings")
    desk.press("answer")
    desk.wait(lambda: desk.only_call().phase is CallPhase.TALKING, "talking")
    pid = desk.phone.engine_pid
    assert pid is not None

    os.kill(pid, signal.SIGKILL)
    desk.wait(lambda: not desk.session.calls, "the lost call left the desk", timeout=30_000)
    desk.wait(
        lambda: "restarted" in desk.window.status.currentMessage(), "the desk says what happened"
    )
    assert len(desk.session.wrap_ups) == 1, "the lost call still owes its after-call work"
    desk.wait(lambda: desk.phone.engine_pid not in (None, pid), "a new engine process runs")
    desk.wait(lambda: desk.session.registered, "the phone takes calls again", timeout=30_000)
    assert desk.window.status.registration.text() == "Phone: ready (direct calls)"
    desk.shot("10-engine-restarted")
    first.stop()

    assert desk.session.complete_wrap_up(desk.session.wrap_ups[0].record_id)
    desk.press("ready")
    second = _caller(peers, desk)
    desk.wait(lambda: desk.session.offered_call is not None, "a new call rings after restart")
    desk.press("answer")
    desk.wait(lambda: desk.only_call().phase is CallPhase.TALKING, "talking again")
    desk.press("hangup")
    assert desk.peer_event(second.events, p.CallEnded).ended_by == "remote"
