"""The agent's main window: panel areas for call, patient, campaign, script and
disposition, the status bar, and the lock screen that covers them after inactivity.

Panels that the core does not drive yet are shown empty and disabled, never with
placeholder data.
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QGroupBox, QMainWindow, QStackedWidget, QWidget

from agent_app import __version__
from agent_app.views.forms import child, load_form
from agent_app.views.idle_watch import IdleWatch
from agent_app.views.lock_screen import LockScreen
from agent_app.views.login_dialog import Authenticate
from agent_app.views.status_bar import PulseStatusBar
from agent_app.workflow.idle_lock import IdleLock

log = logging.getLogger(__name__)

PANELS = ("callPanel", "patientPanel", "queuePanel", "scriptPanel", "dispositionPanel")


class MainWindow(QMainWindow):
    def __init__(
        self,
        agent_id: str,
        display_name: str,
        *,
        idle_lock: IdleLock,
        authenticate: Authenticate,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"Pulse {__version__} — {display_name}")
        self._stack = QStackedWidget(self)
        self.work_area = QWidget(self._stack)
        self._form = load_form("main_window.ui", self.work_area)
        self.panels = {name: child(self._form, QGroupBox, name) for name in PANELS}
        self.lock_screen = LockScreen(agent_id, authenticate, self._stack)
        self._stack.addWidget(self.work_area)
        self._stack.addWidget(self.lock_screen)
        self.setCentralWidget(self._stack)
        self.status = PulseStatusBar(self)
        self.setStatusBar(self.status)
        self.resize(1200, 760)

        self.idle_lock = idle_lock
        self._idle_watch = IdleWatch(idle_lock, self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self._idle_watch)
        idle_lock.subscribe(self._show_locked)
        self.lock_screen.unlocked.connect(lambda _result: idle_lock.unlock())

    @property
    def is_locked(self) -> bool:
        return self._stack.currentWidget() is self.lock_screen

    def _show_locked(self, locked: bool) -> None:
        if locked:
            log.info("screen locked after inactivity")
            self.lock_screen.reset()
            self._stack.setCurrentWidget(self.lock_screen)
        else:
            log.info("screen unlocked")
            self._stack.setCurrentWidget(self.work_area)

    def closeEvent(self, event: QCloseEvent) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._idle_watch)
        super().closeEvent(event)
