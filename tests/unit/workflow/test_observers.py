"""The workflow is plain Python, and a Qt object can still observe it through its callbacks."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import QObject, Signal

from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.events import AgentStateChanged, CallAdded, WorkflowEvent
from tests.unit.workflow.fakes import make_desk


def test_the_workflow_imports_no_qt() -> None:
    code = (
        "import sys, agent_app.workflow.agent_session, agent_app.workflow.idle_lock;"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')));"
        "print(qt)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


class Relay(QObject):
    """What a view-side adapter does: one signal carrying each workflow event."""

    event = Signal(object)


def test_a_qt_signal_can_carry_every_event(qtbot: object) -> None:
    desk = make_desk()
    relay = Relay()
    received: list[WorkflowEvent] = []
    relay.event.connect(received.append)
    desk.session.subscribe(relay.event.emit)
    desk.ring("c1")
    assert [type(e) for e in received] == [CallAdded, AgentStateChanged]
    last = received[-1]
    assert isinstance(last, AgentStateChanged) and last.state is AgentState.RINGING
