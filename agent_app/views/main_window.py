"""The agent's main window: panel areas for call, patient, campaign, script and
disposition, and the status bar.

Panels that the core does not drive yet are shown empty and disabled, never with
placeholder data.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QMainWindow, QWidget

from agent_app import __version__
from agent_app.views.forms import child, load_form
from agent_app.views.status_bar import PulseStatusBar

PANELS = ("callPanel", "patientPanel", "queuePanel", "scriptPanel", "dispositionPanel")


class MainWindow(QMainWindow):
    def __init__(self, agent_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"Pulse {__version__} — {agent_name}")
        central = QWidget(self)
        self._form = load_form("main_window.ui", central)
        self.setCentralWidget(central)
        self.panels = {name: child(self._form, QGroupBox, name) for name in PANELS}
        self.status = PulseStatusBar(self)
        self.setStatusBar(self.status)
        self.resize(1200, 760)
