"""The script panel's states on a real encrypted store, with a desk fed engine events: the
note when the patient's language has no version, the switcher, a call with no campaign yet,
script text shown as text, answers that are never tones, a draft that could not be saved,
and a new version that waits for the next call."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from agent_app.store.errors import DiskFullError
from agent_app.telephony import protocol as p
from agent_app.views.script_panel import ScriptPanel
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.call_scripts import CallScripts
from agent_app.workflow.call_session import CallSession
from agent_app.workflow.desk_settings import DeskSettings
from server.schemas import ScriptOut
from server.seed import REMINDER_SCRIPT
from testbed.store_population import campaign_item, patient_items
from tests.unit.workflow.fakes import FakeEngine, ManualClock, ServerTime

ACCOUNT = "agent-sip"
SHOTS = os.environ.get("PULSE_PANEL_SHOTS")
FRENCH_CALLER = "+13125550171"  # synthetic numbers (555-01xx is reserved for fiction)
SPANISH_CALLER = "+13125550172"
UNKNOWN_CALLER = "+13125550179"


def script(version: int = 1, variants: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = {
        "id": "script-1",
        "name": "Appointment reminder",
        "version": version,
        "variants": copy.deepcopy(variants or REMINDER_SCRIPT),
    }
    return ScriptOut.model_validate(doc).model_dump(mode="json")


def patient(item_id: str, number: str, language: str, seed: int) -> dict[str, Any]:
    [item] = patient_items(1, seed=seed)
    item.update(id=item_id, language=language, phones=[{"number": number, "kind": "mobile"}])
    return item


@pytest.fixture
def store(secret_backend: object, tmp_path: Path) -> Iterator[AgentStore]:
    opened = AgentStore.open(
        agent_id=f"agent-{abs(hash(str(tmp_path))) % 10**10}",
        workstation_id="ws-script",
        secrets=SecretStore(secret_backend),  # type: ignore[arg-type]
    )
    cache = opened.cache
    cache.apply_snapshot("campaigns", [campaign_item("camp-a")], cursor="c1", first=True, last=True)
    cache.apply_snapshot("scripts", [script()], cursor="s1", first=True, last=True)
    people = [
        patient("pat-fr", FRENCH_CALLER, "fr", 41),
        patient("pat-es", SPANISH_CALLER, "es", 42),
    ]
    cache.apply_snapshot("patients", people, cursor="p1", first=True, last=True)
    try:
        yield opened
    finally:
        opened.close()


@dataclass
class Desk:
    session: AgentSession
    engine: FakeEngine
    scripts: CallScripts
    panel: ScriptPanel
    qtbot: QtBot

    def connect(self, call_id: str, number: str) -> CallSession:
        self.session.handle(p.IncomingCall(call_id, ACCOUNT, number, "", "sip:caller@pbx"))
        assert self.session.answer(call_id)
        self.session.handle(p.CallStateChanged(call_id, "confirmed", 200, "OK"))
        found = self.session.call(call_id)
        assert found is not None
        self.settle()
        return found

    def finish(self, call: CallSession) -> None:
        self.session.handle(p.CallEnded(call.call_id, 200, "Normal", "remote"))
        assert self.session.complete_wrap_up(call.record_id)
        self.session.go_ready()
        self.settle()

    def settle(self) -> None:
        """Let the panel catch up with the session (it refreshes once the event loop runs)."""
        QApplication.processEvents()

    def key(self, key: Qt.Key, modifiers: Any = Qt.KeyboardModifier.NoModifier) -> None:
        widget = QApplication.focusWidget()
        assert widget is not None
        self.qtbot.keyClick(widget, key, modifiers)

    def shoot(self, name: str) -> None:
        if SHOTS:
            QApplication.processEvents()  # let the layouts settle, as the event loop would
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            assert self.panel.grab().save(str(Path(SHOTS) / f"{name}.png"))


class FailingDrafts:
    def __init__(self) -> None:
        self.fail = False
        self.saved: list[str] = []

    def __call__(self, record_id: str, part: str, payload: Any) -> None:
        if self.fail:
            raise DiskFullError("journal: the disk is full; nothing was written")
        self.saved.append(part)


@pytest.fixture
def drafts() -> FailingDrafts:
    return FailingDrafts()


@pytest.fixture
def desk(store: AgentStore, qtbot: QtBot, drafts: FailingDrafts) -> Iterator[Desk]:
    engine = FakeEngine()
    session = AgentSession(
        send=engine,
        outbox=store.journal,
        audit=store.journal.audit,
        lookup=lambda number: [r.id for r in store.caller_lookup(number)],
        settings=DeskSettings(account_id=ACCOUNT),
        clock=ManualClock(),
        server_now=ServerTime(),
    )
    session.handle(p.RegistrationChanged(ACCOUNT, "registered", 200))
    session.go_ready()
    scripts = CallScripts(
        session,
        documents=store.cache.document,
        patient=store.cache.get,
        agent_name="Agent Seven",
        save_draft=drafts,
    )
    panel = ScriptPanel(session, scripts)
    qtbot.addWidget(panel)
    panel.resize(520, 460)
    with qtbot.waitExposed(panel):
        panel.show()
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=5000)
    yield Desk(session, engine, scripts, panel, qtbot)
    scripts.close()


def test_a_language_without_a_version_is_noted_and_the_agent_can_switch(desk: Desk) -> None:
    panel = desk.panel
    desk.connect("c1", FRENCH_CALLER)
    run = panel.run
    assert run is not None and run.language == "en"
    assert panel.language_note.isVisible()
    assert panel.language_note.text() == "Shown in English: no French version of this script."
    assert panel.step_text.text().startswith("Hello, may I speak with ")
    desk.shoot("script-language-note")

    panel.language_box.setFocus()
    desk.key(Qt.Key.Key_Down)  # the combo box's next entry: Spanish
    assert run.language == "es" and run.switched
    assert panel.step_text.text().startswith("Hola")
    assert panel.language_note.text() == "Shown in Spanish: no French version of this script."
    panel.language_box.setFocus()
    desk.key(Qt.Key.Key_Up)
    assert run.language == "en" and panel.step_text.text().startswith("Hello")


def test_the_patients_language_needs_no_note_and_one_version_cannot_be_switched(
    desk: Desk, store: AgentStore
) -> None:
    store.cache.apply_delta("scripts", [script(2, {"en": REMINDER_SCRIPT["en"]})], [], cursor="s2")
    call = desk.connect("c1", SPANISH_CALLER)
    assert desk.panel.language_note.text() == (
        "Shown in English: no Spanish version of this script."
    )
    assert not desk.panel.language_box.isEnabled()
    desk.finish(call)


def test_a_new_version_applies_from_the_next_call(desk: Desk, store: AgentStore) -> None:
    panel = desk.panel
    first = desk.connect("c1", SPANISH_CALLER)
    assert panel.version.text() == "version 1"
    newer = copy.deepcopy(REMINDER_SCRIPT)
    newer["es"]["steps"][0]["text"] = "Buenos días, {{patient.given_name}}."
    store.cache.apply_delta("scripts", [script(2, newer)], [], cursor="s2")
    desk.session.hold("c1")
    desk.session.resume("c1")
    desk.settle()
    assert panel.version.text() == "version 1" and panel.step_text.text().startswith("Hola")
    desk.finish(first)
    desk.connect("c2", SPANISH_CALLER)
    assert panel.version.text() == "version 2"
    assert panel.step_text.text().startswith("Buenos días, ")
    assert not panel.language_note.isVisible()
    panel.language_box.setFocus()
    desk.key(Qt.Key.Key_Up)  # English
    assert panel.language_note.text() == "Shown in English; the patient prefers Spanish."


def test_no_call_no_campaign_and_a_patient_chosen_later(desk: Desk) -> None:
    panel = desk.panel
    assert panel.page == "idle"
    call = desk.connect("c1", UNKNOWN_CALLER)
    assert panel.page == "message"
    assert panel.message.text().startswith("No script yet")
    desk.shoot("script-no-campaign")
    assert desk.session.choose_patient(call.call_id, "pat-es")
    desk.settle()
    assert panel.page == "run" and panel.run is not None and panel.run.language == "es"


def test_script_text_is_text_and_answers_are_never_tones(desk: Desk, store: AgentStore) -> None:
    markup = {
        "en": {
            "steps": [
                {
                    "id": "ask",
                    "text": "<b>Say</b> <a href='x'>this</a> &amp; {{patient.given_name}}",
                    "branches": [
                        {"answer": "Yes & no", "next": "end"},
                        {"answer": "<i>later</i>", "next": "end"},
                    ],
                },
                {"id": "end", "text": "Bye."},
            ]
        }
    }
    store.cache.apply_delta("scripts", [script(3, markup)], [], cursor="s3")
    panel = desk.panel
    call = desk.connect("c1", FRENCH_CALLER)
    given = desk.scripts.values(call)["patient.given_name"]
    assert panel.step_text.textFormat() == Qt.TextFormat.PlainText
    assert panel.step_text.text() == f"<b>Say</b> <a href='x'>this</a> &amp; {given}"
    first, second = panel.answer_buttons
    assert first.text() == "1   Yes && no", "an & in an answer is not a mnemonic"
    assert first.accessibleName() == "Answer 1: Yes & no"
    assert second.text() == "2   <i>later</i>"
    panel.focus_script()
    assert first.hasFocus()
    desk.key(Qt.Key.Key_2)
    run = panel.run
    assert run is not None and run.current.id == "end"
    assert desk.engine.sent(p.SendDtmf) == [], "a digit in the script is an answer, not a tone"
    assert panel.forward_button.hasFocus() and panel.forward_button.text() == "Finish"


def test_a_draft_that_cannot_be_saved_is_said_and_saved_at_the_next_step(
    desk: Desk, drafts: FailingDrafts
) -> None:
    panel = desk.panel
    desk.connect("c1", SPANISH_CALLER)
    drafts.fail = True
    panel.focus_script()
    desk.key(Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert panel.save_problem.isVisible()
    desk.shoot("script-not-saved")
    drafts.fail = False
    desk.key(Qt.Key.Key_Space)  # the notice's check has the focus
    assert not panel.save_problem.isVisible() and drafts.saved == ["script"]


def test_every_control_has_a_name_and_the_shortcuts_are_in_the_tooltips(desk: Desk) -> None:
    panel = desk.panel
    desk.connect("c1", SPANISH_CALLER)
    desk.key(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert panel.forward_button.hasFocus()
    focusable = [
        w
        for w in panel.findChildren(QWidget)
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisibleTo(panel)
    ]
    assert focusable
    assert [w.objectName() for w in focusable if not w.accessibleName()] == []
    assert panel.back_button.toolTip().endswith("(Alt+Left)")
    assert panel.forward_button.toolTip().endswith("(Alt+Right)")
