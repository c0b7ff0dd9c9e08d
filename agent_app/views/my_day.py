"""The My day dialog: the agent's figures for today, read from the journal on this workstation."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from agent_app.store.errors import StoreError
from agent_app.views.call_history import duration_text
from agent_app.views.forms import child, load_form
from agent_app.workflow.my_day import MyDay

log = logging.getLogger(__name__)

# Sizes and shapes; the colours are the palette's (styling.style_sheet).
MY_DAY_STYLE = """
#dayTitle { font-size: 14pt; font-weight: 600; }
#callsValue, #handleValue, #wrapUpValue, #talkValue {
    font-size: 22pt; font-weight: 600; border-top-left-radius: 8px;
    border-top-right-radius: 8px; padding: 10px 14px 2px 14px; }
#callsCaption, #handleCaption, #wrapUpCaption, #talkCaption {
    border-bottom-left-radius: 8px; border-bottom-right-radius: 8px; padding: 0 14px 10px 14px; }
QListWidget::item, QTableWidget::item { padding: 4px 6px; }
"""


class MyDayDialog(QDialog):
    def __init__(self, read: Callable[[], MyDay], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("myDayDialog")
        self.setWindowTitle(self.tr("My day"))
        self.setStyleSheet(MY_DAY_STYLE)
        self.resize(760, 480)
        self._read = read
        form = load_form("my_day.ui", self)
        self.title = child(form, QLabel, "dayTitle")
        self.calls = child(form, QLabel, "callsValue")
        self.handle = child(form, QLabel, "handleValue")
        self.wrap_up = child(form, QLabel, "wrapUpValue")
        self.talk = child(form, QLabel, "talkValue")
        self.codes = child(form, QTableWidget, "codesTable")
        self.callbacks = child(form, QListWidget, "callbacksList")
        self.waiting = child(form, QLabel, "waitingLabel")
        self.codes.setHorizontalHeaderLabels([self.tr("Code"), self.tr("Count")])
        header = self.codes.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        child(form, QPushButton, "refreshButton").clicked.connect(self.refresh)
        child(form, QDialogButtonBox, "buttonBox").rejected.connect(self.reject)
        self.day: MyDay | None = None
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        try:
            day = self._read()
        except StoreError as exc:
            log.warning("my day not read (%s)", type(exc).__name__)
            self.waiting.setText(self.tr("The local store is not open; the figures are not shown."))
            return
        self.show_day(day)

    def show_day(self, day: MyDay) -> None:
        self.day = day
        self.title.setText(self.tr("My day — {date}").format(date=day.day.strftime("%A %d %B")))
        self.calls.setText(str(day.calls_handled))
        average = day.average_handle_s
        self.handle.setText("—" if average is None else duration_text(average))
        self.wrap_up.setText(duration_text(day.wrap_up_s))
        self.talk.setText(duration_text(day.talk_s))
        self.codes.setRowCount(len(day.dispositions))
        for row, (code, count) in enumerate(day.dispositions):
            self.codes.setItem(row, 0, QTableWidgetItem(code))
            self.codes.setItem(row, 1, QTableWidgetItem(str(count)))
        self.callbacks.clear()
        for callback in day.callbacks_due:
            text = callback.at.strftime("%H:%M")
            if callback.overdue:
                text = self.tr("{time} (overdue)").format(time=text)
            self.callbacks.addItem(text)
        if not day.callbacks_due:
            self.callbacks.addItem(self.tr("No callbacks due today"))
        self.waiting.setText(
            self.tr("Everything recorded today has reached the server.")
            if not day.waiting
            else self.tr("One of today's records is not on the server yet.")
            if day.waiting == 1
            else self.tr("{count} of today's records are not on the server yet.").format(
                count=day.waiting
            )
        )
        for label in (self.calls, self.handle, self.wrap_up, self.talk):
            label.setAccessibleDescription(label.text())
