"""The refused-items dialog: what the server refused and why; correct a disposition, send again.

It shows :class:`~agent_app.workflow.refused_items.RefusedItems` and sends its two intents
(a corrected copy, or the item again unchanged); the list is read again after each, so an
item that went out leaves the list and cannot be sent a second time from here.
"""

from __future__ import annotations

import json
from datetime import datetime

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from agent_app.store.errors import StoreError
from agent_app.views.forms import child, load_form
from agent_app.workflow.refused_items import RefusedItem, RefusedItems, field_value

KIND_LABELS = {
    "disposition": "Disposition",
    "call_record": "Call record",
    "callback": "Callback",
    "audit": "Audit event",
    "agent_state": "State change",
}


def local_time(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return moment.astimezone().strftime("%H:%M")


def _shown(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value)


class RefusedItemsDialog(QDialog):
    def __init__(self, refused: RefusedItems, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("refusedItemsDialog")
        self.setWindowTitle(self.tr("Items the server refused"))
        self.resize(820, 520)
        self._refused = refused
        form = load_form("parked_items.ui", self)
        self.list = child(form, QListWidget, "refusedList")
        self.detail = child(form, QWidget, "detailBox")
        self.reason = child(form, QLabel, "reasonLabel")
        self.code = child(form, QLineEdit, "codeEdit")
        self.fields = child(form, QTableWidget, "fieldsTable")
        self.notes = child(form, QPlainTextEdit, "notesEdit")
        self.send_corrected = child(form, QPushButton, "sendCorrectedButton")
        self.send_again = child(form, QPushButton, "sendAgainButton")
        self.empty = child(form, QLabel, "emptyLabel")
        self.fields.setHorizontalHeaderLabels([self.tr("Field"), self.tr("Value")])
        self.reason.setStyleSheet("padding: 6px 8px;")  # its colours are the palette's
        child(form, QDialogButtonBox, "buttonBox").rejected.connect(self.reject)
        self.list.currentRowChanged.connect(self._show_current)
        self.send_corrected.clicked.connect(self._send_corrected)
        self.send_again.clicked.connect(self._send_again)
        self._items: list[RefusedItem] = []
        self.refresh()

    # -- the list ----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        try:
            self._items = self._refused.items()
        except StoreError:
            self._items = []
            self.empty.setText(self.tr("The local store is not open; nothing can be shown."))
        self.list.clear()
        for item in self._items:
            kind = self.tr(KIND_LABELS.get(item.kind, item.kind))
            row = QListWidgetItem(f"{kind} · {local_time(item.created_at)}")
            row.setToolTip(item.reason)
            self.list.addItem(row)
        has_items = bool(self._items)
        self.detail.setVisible(has_items)
        self.list.setVisible(has_items)
        self.empty.setVisible(not has_items)
        if has_items:
            self.list.setCurrentRow(0)
            self.list.setFocus()

    @property
    def current(self) -> RefusedItem | None:
        row = self.list.currentRow()
        return self._items[row] if 0 <= row < len(self._items) else None

    @Slot(int)
    def _show_current(self, _row: int) -> None:
        item = self.current
        if item is None:
            return
        self.reason.setText(self.tr("The server's reason: {reason}").format(reason=item.reason))
        editable = item.editable
        for widget in (self.code, self.fields, self.notes, self.send_corrected):
            widget.setEnabled(editable)
        self.code.setText(item.code)
        self.notes.setPlainText(item.notes)
        values = item.fields
        self.fields.setRowCount(len(values))
        for index, (name, value) in enumerate(values.items()):
            label = QTableWidgetItem(name)
            label.setFlags(label.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.fields.setItem(index, 0, label)
            self.fields.setItem(index, 1, QTableWidgetItem(_shown(value)))
        self.send_again.setDefault(not editable)
        self.send_corrected.setDefault(editable)

    # -- the two intents ---------------------------------------------------------------------

    def _edited_fields(self, item: RefusedItem) -> dict[str, object]:
        before = item.fields
        edited: dict[str, object] = {}
        for row in range(self.fields.rowCount()):
            name_cell, value_cell = self.fields.item(row, 0), self.fields.item(row, 1)
            if name_cell is None:
                continue
            name = name_cell.text()
            edited[name] = field_value(
                before.get(name), value_cell.text() if value_cell is not None else ""
            )
        return edited

    @Slot()
    def _send_corrected(self) -> None:
        item = self.current
        if item is None or not item.editable:
            return
        try:
            self._refused.correct(
                item,
                code=self.code.text(),
                notes=self.notes.toPlainText(),
                fields=self._edited_fields(item),
            )
        except StoreError:
            self.reason.setText(self.tr("The corrected copy could not be saved; try again."))
            return
        self.refresh()

    @Slot()
    def _send_again(self) -> None:
        item = self.current
        if item is None:
            return
        try:
            self._refused.resend(item.id)
        except StoreError:
            self.reason.setText(self.tr("The item could not be queued again; try again."))
            return
        self.refresh()
