"""The household picker: a number several patients share. The agent asks who is calling and
picks; nothing is linked, and no card is shown, until they do."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QWidget

from agent_app.store.records import PatientRecord
from agent_app.views import shortcuts
from agent_app.views.forms import child, load_form

_ID = Qt.ItemDataRole.UserRole


def candidate_text(record: PatientRecord) -> str:
    """One line per patient, as little as tells them apart before verification: the first
    name (what the agent greets with), the family initial, the MRN's last digits."""
    masked = record.masked()
    text = QCoreApplication.translate("PatientPicker", "{given} {family}  ·  MRN {mrn}").format(
        given=record.given_name, family=masked.family_initial, mrn=masked.mrn_tail
    )
    if record.care_program:
        text += "  ·  " + record.care_program
    return text


def fill_list(widget: QListWidget, records: Sequence[PatientRecord]) -> None:
    widget.clear()
    for record in records:
        item = QListWidgetItem(candidate_text(record))
        item.setData(_ID, record.id)
        widget.addItem(item)


def chosen_id(widget: QListWidget) -> str | None:
    item = widget.currentItem()
    if item is None or not item.isSelected():
        return None
    value = item.data(_ID)
    return value if isinstance(value, str) else None


class PatientPicker(QWidget):
    chosen = Signal(str)  # patient id
    search_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientPicker")
        form = load_form("patient_picker.ui", self)
        self.title = child(form, QLabel, "pickerTitle")
        self.candidates = child(form, QListWidget, "candidates")
        self.choose_button = child(form, QPushButton, "chooseButton")
        self.search_button = child(form, QPushButton, "searchButton")
        self.search_button.setToolTip(shortcuts.tooltip("search"))
        self.candidates.itemActivated.connect(lambda _item: self._choose())
        self.candidates.itemSelectionChanged.connect(self._update_button)
        self.choose_button.clicked.connect(self._choose)
        self.search_button.clicked.connect(self.search_requested)
        self._update_button()

    def show_candidates(self, records: Sequence[PatientRecord]) -> None:
        """List the patients, none of them selected: the choice is the agent's."""
        self.title.setText(
            self.tr("{count} patients share this number.").format(count=len(records))
        )
        fill_list(self.candidates, records)
        self.candidates.setCurrentRow(-1)
        self._update_button()

    def focus_list(self) -> None:
        self.candidates.setFocus()

    def _update_button(self) -> None:
        self.choose_button.setEnabled(chosen_id(self.candidates) is not None)

    def _choose(self) -> None:
        patient_id = chosen_id(self.candidates)
        if patient_id is not None:
            self.chosen.emit(patient_id)
