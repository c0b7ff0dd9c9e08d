"""The queue panel: the previewed patient with the calling-rules badge, Call now / Skip, the
progressive countdown, the callbacks list with due alerts, and the voicemail key."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from agent_app.telephony import protocol as p
from agent_app.views.queue_panel import QueuePanel
from agent_app.views.script_panel import ScriptPanel
from agent_app.workflow.call_scripts import CallScripts
from agent_app.workflow.call_session import CallPhase
from agent_app.workflow.dial_rules import Attempt, DialGate, shared_rules
from agent_app.workflow.outbound import Callback, Phase
from server.seed import REMINDER_SCRIPT
from testbed.ports import free_port
from tests.helpers.telephony_peers import Phone
from tests.ui.desk_rig import DeskRig
from tests.unit.workflow.outbound_fakes import NOW, NUMBERS, Rig, lease, rig

SHOTS_ENV = "PULSE_TEST_SCREENSHOTS"
"""Set to a directory (``make screenshots`` does) to keep a picture of each state."""


def shot(view: QWidget, name: str) -> None:
    folder = os.environ.get(SHOTS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()  # let the layouts settle, as the event loop would
        view.grab().save(str(Path(folder) / f"{name}.png"))


def panel(qtbot: QtBot, r: Rig, *, message: str | None = None) -> QueuePanel:
    view = QueuePanel(r.desk.session, message_for=lambda _campaign: message)
    qtbot.addWidget(view)
    view.resize(460, 560)
    view.show()
    return view


def test_the_badge_is_green_amber_or_red_before_the_agent_tries(qtbot: QtBot) -> None:
    r = rig(dnc={"pat-2"})
    r.source.queue = [lease("pat-1"), lease("pat-2")]
    session = r.campaign(batch_size=0)
    view = panel(qtbot, r)
    view.set_session(session, start=True)
    assert view.pages.currentWidget() is view.lease_page
    assert view.badge.property("level") == "ok"
    assert not view.reason.isVisible()
    shot(view, "queue-preview-green")
    # Half an hour before the campaign's window closes (20:00 in New York): amber.
    r.clock[0] = NOW.replace(hour=0, minute=40) + timedelta(days=1)  # 19:40 the day before
    view.show_session()
    assert view.badge.property("level") == "warning"
    assert "20:00" in view.reason.text()
    shot(view, "queue-preview-amber")
    r.clock[0] = NOW
    assert view.skip()
    assert session.lease is not None and session.lease.patient_id == "pat-2"
    assert view.badge.property("level") == "problem"
    assert "do-not-call" in view.reason.text()
    shot(view, "queue-preview-red")


def test_call_now_dials_through_the_desk_and_a_refusal_is_shown(qtbot: QtBot) -> None:
    r = rig(dnc={"pat-1"})
    r.source.queue = [lease("pat-1"), lease("pat-2")]
    session = r.campaign(batch_size=0)
    view = panel(qtbot, r)
    view.set_session(session, start=True)
    assert not view.dial_button.isEnabled()  # red: the button is off, and the key is refused
    view.dial_action.trigger()
    assert [c.target for c in r.desk.engine.sent(p.Dial)] == []
    assert "do-not-call" in view.message.text()
    assert session.lease is not None and session.lease.patient_id == "pat-2"
    assert view.dial_button.isEnabled()
    qtbot.mouseClick(view.dial_button, Qt.MouseButton.LeftButton)
    assert [c.target for c in r.desk.engine.sent(p.Dial)] == [NUMBERS["pat-2"]]
    assert not view.dial_button.isEnabled()


def test_progressive_shows_its_countdown_and_dials_by_itself(qtbot: QtBot) -> None:
    r = rig()
    r.source.queue = [lease("pat-1")]
    session = r.campaign("progressive", preview_s=3.0, batch_size=0)
    view = panel(qtbot, r)
    view.set_session(session, start=True)
    assert view.mode_label.text() == "Progressive"
    assert view.countdown.isVisible() and "3" in view.countdown.text()
    shot(view, "queue-progressive-countdown")
    r.desk.clock.advance(3.5)
    qtbot.waitUntil(lambda: session.phase is Phase.ON_CALL, timeout=3000)
    assert [c.target for c in r.desk.engine.sent(p.Dial)] == [NUMBERS["pat-1"]]
    assert not view.countdown.isVisible()


def test_callbacks_are_listed_with_the_due_ones_marked(qtbot: QtBot) -> None:
    r = rig()
    r.source.due = [
        Callback("cb-1", "pat-1", "camp-out", NOW - timedelta(minutes=5), for_anyone=True),
        Callback("cb-2", "pat-3", "camp-out", NOW + timedelta(hours=3)),
    ]
    r.source.queue = [lease("pat-2")]
    view = panel(qtbot, r)
    view.set_session(r.campaign(batch_size=0), start=True)
    rows = [view.callbacks.item(i).text() for i in range(view.callbacks.count())]
    assert len(rows) == 2
    assert rows[0].startswith("Due") and rows[0].endswith("for anyone")
    assert not rows[1].startswith("Due") and rows[1].endswith("for me")
    assert view.due_badge.text() == "1 due"
    assert view.due_badge.property("level") == "warning"
    shot(view, "queue-callbacks-due")


def test_a_campaign_starts_when_the_agent_presses_start(qtbot: QtBot) -> None:
    r = rig()
    r.source.queue = [lease("pat-1")]
    session = r.campaign(batch_size=0)
    view = panel(qtbot, r)
    view.set_session(session)
    assert view.pages.currentWidget() is view.idle_page and r.source.queue  # nothing asked
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    assert session.running and view.pages.currentWidget() is view.lease_page
    assert view.skip()  # the list is done: the panel says so and offers Next patient
    assert view.pages.currentWidget() is view.idle_page
    assert "No patient to call" in view.idle_label.text()


def test_the_voicemail_key_leaves_the_campaigns_message(qtbot: QtBot) -> None:
    r = rig()
    r.source.queue = [lease("pat-1")]
    view = panel(qtbot, r, message="/messages/reminder.wav")
    view.set_session(r.campaign(batch_size=0), start=True)
    assert view.dial()
    call = r.desk.session.calls[0]
    r.desk.confirm(call.call_id)
    view.voicemail_action.trigger()
    assert r.desk.engine.sent(p.DropMessage) == [
        p.DropMessage(call.call_id, "/messages/reminder.wav")
    ]
    assert r.desk.session.calls == ()


def test_a_pasted_number_of_a_do_not_call_patient_is_never_dialled(
    desk_factory: Callable[..., DeskRig], peers: Callable[..., Phone]
) -> None:
    """The softphone, with the real engine and a peer that would answer: a number pasted,
    then redialled after the patient opted out, never leaves the desk once it is forbidden."""
    peer_port = free_port()
    callee = peers("listen", "--port", str(peer_port), "--auto-answer")
    callee.ready()
    desk = desk_factory(domain=f"127.0.0.1:{peer_port}")
    r = rig()
    lookup = {n: [pid] for pid, n in NUMBERS.items()}
    desk.session.gate = DialGate(
        lookup=lambda number: lookup.get(number, []),
        reads=r.cache,
        rules=shared_rules,
        now=lambda: NOW,
        state=r.state,
    )
    desk.press("dial_focus")
    QApplication.clipboard().setText("Mobile: (202) 555-0101")
    desk.press_keys("Ctrl+V")
    desk.press_keys("Return")
    desk.wait(lambda: len(desk.session.calls) == 1, "a callable patient's number is dialled")
    desk.wait(lambda: desk.only_call().phase is CallPhase.TALKING, "the peer answered")
    desk.press("hangup")
    desk.wait(lambda: not desk.session.calls, "the call ended")
    assert desk.session.complete_wrap_up(desk.session.wrap_ups[0].record_id)

    desk.session.gate.opt_out("pat-1")  # the patient asked not to be called any more
    desk.press("redial")
    assert desk.session.calls == ()  # a dial the rules refuse never becomes a call
    QApplication.clipboard().setText("+1 202 555 0101")
    desk.press("dial_focus")
    desk.press_keys("Ctrl+V")
    desk.press_keys("Return")
    assert desk.session.calls == ()
    assert desk.panel.number.text() != ""  # left for the agent to see, not dialled
    assert "do-not-call" in desk.window.status.currentMessage()


def test_a_previewed_patient_shows_their_script_and_attempt_history_before_the_call(
    qtbot: QtBot,
) -> None:
    """The queue panel tells the script panel whom it previews (as the window wires them):
    the campaign's first step shows read-only, in the patient's words, before the dial; the
    call placed then gets its own run, and the attempts the server knows are on the card."""
    r = rig()
    r.source.queue = [
        lease(
            "pat-1",
            attempts=(
                Attempt("pat-1", NOW - timedelta(days=2), "SYS_BUSY", "camp-out"),
                Attempt("pat-1", NOW - timedelta(days=1), "SYS_NO_ANSWER", "camp-out"),
            ),
        )
    ]
    session = r.campaign(batch_size=0)
    session.campaign["script_id"] = "scr-1"  # type: ignore[index]
    script_doc = {"id": "scr-1", "name": "Reminder", "version": 1, "variants": REMINDER_SCRIPT}
    scripts = CallScripts(
        r.desk.session,
        documents=lambda feed, i: script_doc if feed == "scripts" else r.cache.document(feed, i),
        patient=r.cache.get,
        agent_name="Sam",
    )
    script = ScriptPanel(r.desk.session, scripts)
    qtbot.addWidget(script)
    script.show()
    view = panel(qtbot, r)
    view.previewing.connect(script.show_preview)
    assert script.page == "idle"

    view.set_session(session, start=True)
    assert session.phase is Phase.PREVIEW
    assert script.previewing and script.page == "run"
    assert script.step_text.text() == (
        "Hello, may I speak with Test? This is Sam calling from the clinic."
    )
    assert script.preview_note.isVisible()
    assert not script.forward_button.isEnabled() and not script.back_button.isEnabled()
    assert view.attempts.count() == 2
    shown = [view.attempts.item(i).text() for i in range(view.attempts.count())]
    assert shown[0].endswith("No answer") and shown[1].endswith("Busy")  # newest first
    shot(view, "queue-preview-history")
    script.resize(560, 420)
    shot(script, "script-07-preview-before-the-call")

    assert view.dial()
    qtbot.waitUntil(lambda: script.call is not None, timeout=5000)
    assert not script.previewing and not script.preview_note.isVisible()
    assert script.run is not None and script.forward_button.isEnabled()
    assert view.previewed == ("", "")


def test_a_previewed_or_listed_patient_is_shown_only_once_the_view_is_audited(
    qtbot: QtBot,
) -> None:
    r = rig()
    r.source.due = [Callback("cb-1", "pat-3", "camp-out", NOW + timedelta(hours=3))]
    r.source.queue = [lease("pat-1"), lease("pat-2")]
    audit = r.desk.audit
    audit.fail = True  # the audit log cannot be written
    view = panel(qtbot, r)
    view.set_session(r.campaign(batch_size=0), start=True)
    record = r.cache.patients["pat-1"]
    assert record.family_name not in view.patient_name.text()
    assert "could not be audited" in view.patient_name.text()
    assert record.family_name not in view.callbacks.item(0).text()

    audit.fail = False
    view.show_session()
    view.show_session()  # shown again: audited once
    assert view.patient_name.text() == f"{record.given_name} {record.family_name}"
    reasons = [(e["patient_id"], e["reason"]) for e in audit.events if e["action"] == "view"]
    assert sorted(reasons) == [("pat-1", "lease lease-pat-1-1"), ("pat-3", "callback cb-1")]
