"""Where a call goes: a typed number or a directory entry, and how (blind, warm, conference).

The dialog is given the directory as a list of :class:`DirectoryEntry` (the campaign's
nurse lines, departments, supervisors) and the region in which typed national numbers
are read. It only chooses: the softphone panel sends the intent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QWidget,
)

from agent_app.views.forms import child, load_form
from agent_app.workflow.dial_string import DialProblem, InvalidDialString, dial_target

ENTRY_ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class DirectoryEntry:
    """One place a call can be sent: a name the agent recognises and what to dial."""

    name: str
    target: str
    """A number, an extension or a SIP address."""
    note: str = ""


def directory_entries(items: Iterable[Any]) -> list[DirectoryEntry]:
    """Entries from whatever the store's directory yields (objects or mappings with a
    name/label and a number/target/uri), skipping any without both."""
    found: list[DirectoryEntry] = []
    for item in items:
        if isinstance(item, DirectoryEntry):
            found.append(item)
            continue
        name = _first_text(item, "name", "label", "display_name")
        target = _first_text(item, "target", "number", "uri")
        if name and target:
            found.append(
                DirectoryEntry(name, target, _first_text(item, "note", "description", "kind"))
            )
    return found


# A module-level function, not a closure in the loop above: Qt's message extractor loses
# track of the classes that follow a function defined inside a loop.
def _first_text(item: Any, *names: str) -> str:
    for name in names:
        value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


class TransferMode(StrEnum):
    BLIND = "blind"
    WARM = "warm"
    CONFERENCE = "conference"


@dataclass(frozen=True)
class TransferChoice:
    mode: TransferMode
    target: str
    label: str
    """What the agent chose, as shown (a directory name or the number)."""


class TransferDialog(QDialog):
    def __init__(
        self,
        entries: Sequence[DirectoryEntry],
        *,
        region: str,
        mode: TransferMode = TransferMode.BLIND,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("transferDialog")
        self.setWindowTitle(self.tr("Transfer or add a party"))
        self.setMinimumWidth(460)
        form = load_form("transfer_dialog.ui", self)
        if (layout := form.layout()) is not None:
            layout.setContentsMargins(16, 16, 16, 16)
        self.target = child(form, QLineEdit, "targetField")
        self.directory = child(form, QListWidget, "directoryList")
        self.error = child(form, QLabel, "errorLabel")
        self.buttons = child(form, QDialogButtonBox, "buttons")
        self.radios = {
            TransferMode.BLIND: child(form, QRadioButton, "blindRadio"),
            TransferMode.WARM: child(form, QRadioButton, "warmRadio"),
            TransferMode.CONFERENCE: child(form, QRadioButton, "conferenceRadio"),
        }
        self.radios[mode].setChecked(True)
        self._region = region
        self._chosen: DirectoryEntry | None = None
        self.choice: TransferChoice | None = None
        for entry in entries:
            text = f"{entry.name}  ·  {entry.target}"
            item = QListWidgetItem(f"{text}  ·  {entry.note}" if entry.note else text)
            item.setData(ENTRY_ROLE, entry)
            self.directory.addItem(item)
        if not entries:
            self.directory.hide()
        self.target.textEdited.connect(self._filter)
        self.target.installEventFilter(self)
        self.directory.currentItemChanged.connect(self._picked)
        self.directory.itemActivated.connect(lambda _item: self._accept())
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.error.hide()
        self.target.setFocus()

    @property
    def mode(self) -> TransferMode:
        return next(m for m, radio in self.radios.items() if radio.isChecked())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down from the field goes to the (filtered) directory, as in a search box.
        if (
            watched is self.target
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and self.directory.isVisible()
        ):
            self.directory.setFocus()
            if self.directory.currentRow() < 0:
                self._select_first_visible()
            return True
        return super().eventFilter(watched, event)

    def _filter(self, text: str) -> None:
        self._chosen = None
        needle = text.strip().casefold()
        for row in range(self.directory.count()):
            item = self.directory.item(row)
            entry: DirectoryEntry = item.data(ENTRY_ROLE)
            haystack = f"{entry.name} {entry.target} {entry.note}".casefold()
            item.setHidden(bool(needle) and needle not in haystack)

    def _select_first_visible(self) -> None:
        for row in range(self.directory.count()):
            if not self.directory.item(row).isHidden():
                self.directory.setCurrentRow(row)
                return

    def _picked(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is None or item.isHidden():
            return
        entry: DirectoryEntry = item.data(ENTRY_ROLE)
        self._chosen = entry
        self.target.setText(entry.name)

    def _accept(self) -> None:
        entry = self._chosen
        if entry is not None and self.target.text().strip() == entry.name:
            self.choice = TransferChoice(self.mode, entry.target, entry.name)
            self.accept()
            return
        try:
            target = dial_target(self.target.text(), self._region)
        except InvalidDialString as exc:
            self.error.setText(
                self.tr("Type a number or choose someone from the directory.")
                if exc.problem is DialProblem.EMPTY
                else self.tr("This is not a number that can be called.")
            )
            self.error.show()
            self.target.setFocus()
            return
        self.choice = TransferChoice(self.mode, target, target)
        self.accept()
