"""A "Retry" beside the phone's status when the engine failed to start at sign-in.

Without it a failed start (a busy port, a slow machine) left the phone dead for the shift;
the agent can start it again from the window.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QPushButton, QStatusBar, QWidget

from agent_app.views.desk_phone import DeskPhone
from agent_app.workflow.line_status import LineStatus


class PhoneRetryButton(QPushButton):
    def __init__(self, phone: DeskPhone, bar: QStatusBar, beside: QWidget) -> None:
        super().__init__(bar)
        self.setObjectName("phoneRetryButton")
        self.setText(self.tr("Retry"))
        self.setAccessibleName(self.tr("Start the phone again"))
        self.setToolTip(self.tr("The phone did not start. Start it again."))
        self.setFlat(True)
        # A link's look; its colour is the palette's accent (styling.style_sheet).
        self.setStyleSheet("text-decoration: underline; padding: 0 6px;")
        self._phone = phone
        # Just after the phone's indicator, whatever else the bar holds.
        layout = bar.layout()
        index = -1
        for position in range(layout.count() if layout is not None else 0):
            item = layout.itemAt(position) if layout is not None else None
            found = item.widget() if item is not None else None
            if found is beside:
                index = position + 1
        bar.insertPermanentWidget(index, self) if index >= 0 else bar.addPermanentWidget(self)
        self.hide()
        self.clicked.connect(self._retry)
        phone.line_changed.connect(self._show_line)

    @Slot(object)
    def _show_line(self, _line: LineStatus) -> None:
        self.setVisible(self._phone.start_failure is not None)

    @Slot()
    def _retry(self) -> None:
        if self._phone.retry_start():
            self.hide()
