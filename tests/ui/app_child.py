"""The real desktop app for the lifecycle tests, signing in to its demo server by itself.

Run as ``python -m tests.ui.app_child``: the same entry as ``pulse-agent --demo``, with the
sign-in dialog submitting the demo account it is offered (the one thing a test cannot type
into another process's offscreen window).

With ``PULSE_TEST_WRAP_UP`` set, the child also works a wrap-up the way an agent would (a
test cannot type into another process's window either) and reports to the JSON file
named by ``PULSE_TEST_WRAP_UP_OUT``:

- ``type``: go Ready, call ``PULSE_TEST_PEER`` (an answering pulse-phone), hang up, type a
  callback disposition with a time and notes, and report what was typed (the test then
  kills the app);
- ``restore``: report the wrap-up the desk reopened, submit it, and report when done.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTime, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDateTimeEdit

from agent_app import cli
from agent_app.views.login_dialog import LoginDialog
from agent_app.views.main_window import MainWindow
from agent_app.workflow.call_session import CallPhase

MODE_ENV = "PULSE_TEST_WRAP_UP"
OUT_ENV = "PULSE_TEST_WRAP_UP_OUT"
PEER_ENV = "PULSE_TEST_PEER"
NOTES = "Call back after the pharmacy opens."
DEMO_PATIENT = 1
"""A patient of the demo world (in both of its campaigns)."""

_exec = LoginDialog.exec
_agents: list[WrapUpAgent] = []


def _exec_signed_in(self: LoginDialog) -> int:
    mode = os.environ.get(MODE_ENV)
    if mode and not _agents:
        # The sign-in runs in the app's event loop: the agent's timer can start now.
        _agents.append(WrapUpAgent(mode, Path(os.environ[OUT_ENV]), os.environ.get(PEER_ENV, "")))
    QTimer.singleShot(0, self.buttons.accepted.emit)
    return _exec(self)


class WrapUpAgent:
    """Steps through one wrap-up on a timer, each step once its condition holds."""

    def __init__(self, mode: str, out: Path, peer: str) -> None:
        self.mode, self.out, self.peer = mode, out, peer
        self.step = 0
        self.report: dict[str, Any] = {}
        self.timer = QTimer()
        self.timer.timeout.connect(self.tick)
        self.timer.start(200)

    @staticmethod
    def window() -> MainWindow | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.disposition is not None:
                return widget
        return None

    def write(self, **values: Any) -> None:
        self.report.update(values)
        partial = self.out.with_suffix(".part")
        partial.write_text(json.dumps(self.report))
        partial.replace(self.out)

    def tick(self) -> None:
        window = self.window()
        if window is None or window.phone is None or window.disposition is None:
            return
        session, panel = window.phone.session, window.disposition
        if self.mode == "restore":
            self._restore(window)
            return
        if self.step == 0 and session.registered and not session.wrap_ups:
            session.go_ready()
            session.dial(self.peer)
            self.step = 1
        elif self.step == 1 and session.active_call is not None:
            call = session.active_call
            if call.phase is CallPhase.TALKING:
                session.hangup(call.call_id)
                self.step = 2
        elif self.step == 2 and panel.work is not None and panel.filter_box.hasFocus():
            # The patient line has no caller id the store knows: the agent links the call
            # to a demo patient (a callback needs one), which brings the campaign's codes.
            # Here, not at the top: the server's modules (its crypto among them) stay out of
            # the desk's process for the tests that look at what it loaded.
            from server.seed import did

            session.choose_patient(panel.work.call.record_id, did("patient", DEMO_PATIENT))
            self.step = 3
        elif self.step == 3 and panel.work is not None and panel.work.tree is not None:
            self.step = 4
            QTest.keyClicks(panel.filter_box, "callback")
            QTest.keyClick(panel.filter_box, Qt.Key.Key_Return)
            editor = panel.rows["callback_at"].editor
            assert isinstance(editor, QDateTimeEdit)
            now = QDateTime.currentDateTime().toTimeZone(editor.timeZone())
            editor.setDateTime(QDateTime(now.date().addDays(2), QTime(11, 30), editor.timeZone()))
            panel.notes.setFocus()
            QTest.keyClicks(panel.notes, NOTES)
            work = panel.work
            self.write(
                record_id=work.call.record_id,
                code=work.code,
                fields=dict(work.fields),
                notes=work.notes,
                shown=editor.dateTime().toSecsSinceEpoch(),
            )

    def _restore(self, window: MainWindow) -> None:
        assert window.phone is not None and window.disposition is not None
        session, panel = window.phone.session, window.disposition
        if self.step == 0 and panel.work is not None:
            work = panel.work
            row = panel.rows.get("callback_at")
            editor = None if row is None else row.editor
            current = panel.tree.currentItem()
            self.write(
                record_id=work.call.record_id,
                code=work.code,
                fields=dict(work.fields),
                notes=panel.notes.toPlainText(),
                tree_code=None if current is None else current.data(0, Qt.ItemDataRole.UserRole),
                shown=(
                    editor.dateTime().toSecsSinceEpoch()
                    if isinstance(editor, QDateTimeEdit)
                    else None
                ),
                state=session.state.value,
            )
            self.step = 1
        elif self.step == 1 and session.registered:
            self.write(submitted=panel.submit())
            self.step = 2
        elif self.step == 2 and not session.wrap_ups:
            self.write(done=True, state_after=session.state.value)
            self.step = 3
            self.timer.stop()


LoginDialog.exec = _exec_signed_in  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(cli.main(["--demo", *sys.argv[1:]]))
