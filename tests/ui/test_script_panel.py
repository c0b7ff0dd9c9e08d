"""The script panel in the window, with the real engine process, a pulse-phone caller and a
real encrypted store: a Spanish-speaking patient calls, the Spanish version shows, the agent
answers, reads the recording notice, takes a branch, goes back and forward, all from the
keyboard; a merge field shows its label until the caller is verified, then the value."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from agent_app.views.patient_panel import PatientPanel
from agent_app.views.script_panel import ScriptPanel
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.call_session import CallPhase
from agent_app.workflow.identity_gate import Verification
from agent_app.workflow.script_run import ScriptRun
from server.schemas import ScriptOut
from server.seed import REMINDER_SCRIPT
from testbed.store_population import campaign_item, patient_items
from tests.helpers.telephony_peers import Phone
from tests.ui.central_desk import NoMouse
from tests.ui.desk_rig import DeskRig, store_desk

pytestmark = pytest.mark.integration

CALLER = "+13125550161"  # synthetic (555-01xx is reserved for fiction)
PANEL_SHOTS = os.environ.get("PULSE_PANEL_SHOTS")


def script_document(version: int = 1) -> dict[str, Any]:
    doc = {
        "id": "script-1",
        "name": "Appointment reminder",
        "version": version,
        "variants": copy.deepcopy(REMINDER_SCRIPT),
    }
    return ScriptOut.model_validate(doc).model_dump(mode="json")


def spanish_patient() -> dict[str, Any]:
    [item] = patient_items(1, seed=31)
    item.update(
        id="pat-es-1",
        language="es",
        phones=[{"number": CALLER, "kind": "mobile"}],
        campaign_ids=["camp-a"],
    )
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
    cache.apply_snapshot("scripts", [script_document()], cursor="s1", first=True, last=True)
    cache.apply_snapshot("patients", [spanish_patient()], cursor="p1", first=True, last=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def desk(qtbot: QtBot, store: AgentStore) -> Iterator[DeskRig]:
    """The window as the app composes it: phone, patient card and script over the store."""
    rig = store_desk(qtbot, store)
    try:
        yield rig
    finally:
        rig.phone.stop()


def script_of(rig: DeskRig) -> ScriptPanel:
    [panel] = rig.window.panels["scriptPanel"].findChildren(ScriptPanel)
    return panel


def run_of(panel: ScriptPanel) -> ScriptRun:
    run = panel.run
    assert run is not None
    return run


def patients_of(rig: DeskRig) -> PatientPanel:
    [panel] = rig.window.panels["patientPanel"].findChildren(PatientPanel)
    return panel


def shot(rig: DeskRig, name: str) -> None:
    """The window (``make screenshots``) and, in the panel folder, the script panel alone."""
    rig.shot(name)
    if PANEL_SHOTS:
        QApplication.processEvents()
        Path(PANEL_SHOTS).mkdir(parents=True, exist_ok=True)
        assert script_of(rig).grab().save(str(Path(PANEL_SHOTS) / f"{name}.png"))


def test_a_spanish_speaking_caller_gets_the_spanish_script_from_ring_to_wrap_up(
    desk: DeskRig, peers: Callable[..., Phone], store: AgentStore
) -> None:
    rig, script = desk, script_of(desk)
    patient = spanish_patient()
    family, given = patient["family_name"], patient["given_name"]
    assert script.page == "idle"
    idle = script.idle_page.findChild(QLabel, "idleLabel")
    assert idle is not None and idle.text() == "The script appears when a call starts."
    shot(rig, "script-01-idle")
    no_mouse = NoMouse()
    QApplication.instance().installEventFilter(no_mouse)  # type: ignore[union-attr]
    try:
        rig.press("ready")
        rig.wait(lambda: rig.session.state is AgentState.READY, "Ready after F9")
        caller = peers("call", rig.address, "--username", CALLER, "--duration", "60")
        caller.ready()

        # The card and the Spanish script pop while the call rings.
        rig.wait(lambda: script.page == "run", "the script shows while the call rings")
        call = rig.session.offered_call
        assert call is not None and call.patient_id == "pat-es-1"
        run = run_of(script)
        assert run.language == "es" and run.version == 1
        assert script.title.text() == "Appointment reminder"
        assert script.version.text() == "version 1"
        assert script.language_box.currentText() == "Spanish"
        assert not script.language_note.isVisible(), "the patient's language is shown"
        assert script.step_text.text() == (
            f"Hola, ¿puedo hablar con {given}? Le habla Agent Seven de la clínica."
        )
        assert script.progress_label.text().startswith("Step 1 of at least ")
        shot(rig, "script-02-ringing-spanish")

        rig.press("answer")
        rig.wait(lambda: call.phase is CallPhase.TALKING, "talking after Ctrl+Shift+A")

        # Greeting, then the recording notice, which must be read before moving on.
        rig.press("script")
        rig.wait(script.forward_button.hasFocus, "Ctrl+Shift+S goes to the script")
        rig.press("script_forward")
        rig.wait(lambda: run.current.id == "notice", "notice")
        assert script.disclosure_badge.isVisible() and script.read_check.isVisible()
        assert script.read_check.hasFocus(), "the check comes first on a disclosure"
        assert not script.forward_button.isEnabled()
        rig.press("script_forward")
        assert run.current.id == "notice", "an unread disclosure keeps the agent on it"
        assert script.read_check.hasFocus()
        shot(rig, "script-03-disclosure")
        rig.press_keys("Space")
        rig.wait(script.read_check.isChecked, "marked as read with Space")
        assert run.is_read("notice")
        rig.press("script_forward")
        rig.wait(lambda: run.current.id == "verify", "on to the identity question")
        assert script.answer_buttons[0].hasFocus(), "the focus follows the step"
        assert [b.text() for b in script.answer_buttons if b.isVisible()] == [
            "1   confirmado",
            "2   no es el paciente",
        ]

        # The answer "1" leads to the reminder; the last name is a label until verified.
        rig.press_keys("1")
        rig.wait(lambda: run.current.id == "remind", "the branch of answer 1")
        text = script.step_text.text()
        assert text.startswith(f"Gracias, {given} [last name]. Tiene una cita el ")
        assert "[appointment time]" in text
        assert family not in text and "•" not in text
        shot(rig, "script-04-before-verification")

        patients = patients_of(rig)
        rig.press("verify")
        rig.wait(patients.card.identity.family_name.hasFocus, "to the identity form")
        rig.type_text(family)
        for _ in range(6):
            if patients.card.identity.birth_date.hasFocus():
                break
            rig.press_keys("Tab")
        rig.type_text(patient["birth_date"])
        rig.press_keys("Return")
        rig.wait(lambda: call.identity.state is Verification.VERIFIED, "verified")
        rig.wait(lambda: family in script.step_text.text(), "the last name after verification")
        assert script.step_text.text().startswith(f"Gracias, {given} {family}. ")
        shot(rig, "script-05-verified")

        # "No" leads to rescheduling; back shows the answer given; forward keeps the path.
        rig.press("script")
        rig.wait(script.answer_buttons[0].hasFocus, "Ctrl+Shift+S goes to the first answer")
        rig.press_keys("2")
        rig.wait(lambda: run.current.id == "reschedule", "the branch of answer 2")
        rig.press("script_back")
        rig.wait(lambda: run.current.id == "remind", "back one step")
        assert script.answer_buttons[1].property("chosen") is True
        assert script.answer_buttons[1].hasFocus(), "the focus is on the answer given"
        rig.press("script_forward")
        rig.wait(lambda: run.current.id == "reschedule", "forward along the path")
        rig.press("script_forward")
        rig.wait(lambda: run.current.id == "close", "next")
        assert script.forward_button.text() == "Finish"
        rig.press("script_forward")
        rig.wait(lambda: run.complete, "finished")
        assert script.progress_label.text() == "Script done: 6 steps"
        shot(rig, "script-06-done")

        # The answers are the call's.
        assert getattr(call, "script", None) is run
        assert run.as_record() == {
            "script_id": "script-1",
            "version": 1,
            "language": "es",
            "answers": [
                {"step": "verify", "answer": "confirmado"},
                {"step": "remind", "answer": "no"},
            ],
            "disclosures": {"notice": True},
        }
        assert store.journal.drafts()[call.record_id]["script"] == run.snapshot()

        # After the caller hangs up the script stays for the wrap-up.
        rig.press("hangup")
        rig.wait(lambda: call.phase is CallPhase.ENDED, "hung up")
        assert script.call is call and script.page == "run"
        assert no_mouse.seen == 0, "the flow needed the mouse"
    finally:
        QApplication.instance().removeEventFilter(no_mouse)  # type: ignore[union-attr]
