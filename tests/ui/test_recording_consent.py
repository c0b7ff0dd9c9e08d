"""A campaign that needs recording consent: after an answered call the wrap-up cannot be
submitted until the script's disclosure step has the patient's answer, and the disposition
panel says why its Submit is unavailable; the answer given in the script panel frees it."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from agent_app.views.disposition_panel import DispositionPanel
from agent_app.views.script_panel import ScriptPanel
from agent_app.workflow.call_scripts import CallScripts
from server.seed import OUTCOMES
from tests.unit.workflow.fakes import make_desk, patient
from tests.unit.workflow.test_consent import SCRIPT

CALLER = "+12025550143"
SHOTS_ENV = "PULSE_TEST_SCREENSHOTS"
"""Set to a directory (``make screenshots`` does) to keep a picture of each state."""


def shot(view: QWidget, name: str) -> None:
    folder = os.environ.get(SHOTS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        view.resize(460, 720)
        QApplication.processEvents()  # let the layouts settle, as the event loop would
        view.grab().save(str(Path(folder) / f"{name}.png"))


REASON = (
    "This campaign needs the patient's answer to the recording disclosure: record it in the "
    "script first."
)


class Cache:
    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {
            ("campaigns", "camp-a"): {
                "id": "camp-a",
                "name": "Check-ins",
                "kind": "inbound",
                "code_tree_id": "tree-1",
                "script_id": SCRIPT["id"],
                "recording_consent": True,
            },
            ("code_trees", "tree-1"): {
                "id": "tree-1",
                "name": "Outcomes",
                "version": 1,
                **copy.deepcopy(OUTCOMES),
            },
            ("scripts", SCRIPT["id"]): SCRIPT,
        }
        self.patients = {"pat-1": patient()}

    def document(self, feed: str, item_id: str) -> dict[str, Any] | None:
        return self.docs.get((feed, item_id))

    def get(self, patient_id: str) -> Any:
        return self.patients.get(patient_id)


def test_submit_waits_for_the_disclosure_answer_and_says_why(qtbot: QtBot) -> None:
    cache = Cache()
    d = make_desk(cache=lambda: cache)  # type: ignore[arg-type, return-value]
    d.lookup.numbers[CALLER] = ["pat-1"]
    scripts = CallScripts(d.session, documents=cache.document, patient=cache.get)
    script = ScriptPanel(d.session, scripts)
    wrap_up = DispositionPanel(d.session)
    script.stepped.connect(wrap_up.recheck)  # as the main window wires them
    for view in (script, wrap_up):
        qtbot.addWidget(view)
        view.show()

    d.connect("c1", CALLER)
    qtbot.waitUntil(lambda: script.page == "run", timeout=5000)
    d.end("c1")
    qtbot.waitUntil(lambda: wrap_up.work is not None, timeout=5000)
    work = wrap_up.work
    assert work is not None and work.set_code("CONFIRMED")
    wrap_up.recheck()
    assert not wrap_up.submit_button.isEnabled()
    assert not wrap_up.submit_action.isEnabled()
    assert wrap_up.consent_problem.isVisible() and wrap_up.consent_problem.text() == REASON
    assert wrap_up.consent_problem.property("level") == "problem"
    assert wrap_up.submit_button.accessibleDescription() == REASON
    assert not wrap_up.submit()
    assert [i for i in d.outbox.items if i[0] == "disposition"] == []
    shot(wrap_up, "wrap-up-08-consent-missing")

    script.forward()  # to the disclosure
    qtbot.mouseClick(script.read_check, Qt.MouseButton.LeftButton)  # read to the patient
    assert not wrap_up.submit_button.isEnabled(), "read, but not answered yet"
    script.answer(0)  # the patient agrees
    assert wrap_up.submit_button.isEnabled() and wrap_up.submit_action.isEnabled()
    assert not wrap_up.consent_problem.isVisible()
    assert wrap_up.submit_button.accessibleDescription() == ""
    qtbot.mouseClick(wrap_up.submit_button, Qt.MouseButton.LeftButton)
    [(_kind, payload, _)] = [i for i in d.outbox.items if i[0] == "disposition"]
    assert payload["code"] == "CONFIRMED"
    assert {"step": "consent", "answer": "agrees"} in payload["script"]["answers"]


def test_a_patient_not_reached_is_submitted_without_the_consent(qtbot: QtBot) -> None:
    cache = Cache()
    d = make_desk(cache=lambda: cache)  # type: ignore[arg-type, return-value]
    d.lookup.numbers[CALLER] = ["pat-1"]
    scripts = CallScripts(d.session, documents=cache.document, patient=cache.get)
    wrap_up = DispositionPanel(d.session)
    qtbot.addWidget(wrap_up)
    wrap_up.show()
    d.connect("c1", CALLER)
    d.end("c1")
    qtbot.waitUntil(lambda: wrap_up.work is not None, timeout=5000)
    work = wrap_up.work
    assert work is not None and scripts.run(work.call) is not None
    assert work.set_code("CONFIRMED")
    wrap_up.recheck()
    assert not wrap_up.submit_button.isEnabled()
    assert work.set_code("VOICEMAIL")  # an answering machine took the call
    wrap_up.recheck()
    assert wrap_up.submit_button.isEnabled() and not wrap_up.consent_problem.isVisible()
    assert wrap_up.submit()
