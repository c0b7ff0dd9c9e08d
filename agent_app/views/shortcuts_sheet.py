"""Help → Keyboard shortcuts (F1): the desk's shortcut table, read from :mod:`shortcuts`."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from agent_app.views import shortcuts
from agent_app.views.forms import child, load_form


class ShortcutsSheet(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsSheet")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        form = load_form("shortcuts_sheet.ui", self)
        if (layout := form.layout()) is not None:
            layout.setContentsMargins(16, 16, 16, 16)
        self.table = child(form, QTableWidget, "table")
        buttons = child(form, QDialogButtonBox, "buttons")
        buttons.rejected.connect(self.reject)
        rows = [
            (
                QKeySequence(s.keys).toString(QKeySequence.SequenceFormat.NativeText),
                shortcuts.label(s),
            )
            for s in shortcuts.SHORTCUTS
        ]
        rows.append(
            (
                self.tr("0–9, *, #"),
                self.tr("During a call: send tones (when no text field has the focus)"),
            )
        )
        rows.append((self.tr("1–9"), self.tr("In the call script: give the caller's answer")))
        rows.append((self.tr("Tab, Shift+Tab"), self.tr("Move between controls")))
        self.table.setColumnCount(2)
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Action")])
        for row, (keys, text) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setFocus()
