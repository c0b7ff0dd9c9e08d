"""The patient search of a call whose caller id found nobody (or the wrong person): name and
date of birth, or MRN. The panel runs the search through the store, which audits it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QPushButton, QWidget

from agent_app.store.records import PatientRecord
from agent_app.views import shortcuts
from agent_app.views.forms import child, load_form
from agent_app.views.patient_picker import chosen_id, fill_list
from agent_app.views.styling import set_level
from agent_app.workflow.identity import parse_date


@dataclass(frozen=True, repr=False)
class SearchQuery:
    """By MRN when ``mrn`` is set, else by family name and ``birth_date`` (ISO)."""

    mrn: str = ""
    family_name: str = ""
    given_name: str = ""
    birth_date: str = ""

    def __repr__(self) -> str:  # what the agent typed about a patient is PHI
        return "SearchQuery(...)"


class PatientSearch(QWidget):
    submitted = Signal(object)  # SearchQuery
    chosen = Signal(str)  # patient id
    back_requested = Signal()

    def __init__(self, *, day_first: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientSearch")
        self._day_first = day_first
        form = load_form("patient_search.ui", self)
        self.title = child(form, QLabel, "searchTitle")
        self.family_name = child(form, QLineEdit, "familyName")
        self.given_name = child(form, QLineEdit, "givenName")
        self.birth_date = child(form, QLineEdit, "birthDate")
        self.mrn = child(form, QLineEdit, "mrn")
        self.search_button = child(form, QPushButton, "searchButton")
        self.back_button = child(form, QPushButton, "backButton")
        self.result = child(form, QLabel, "searchResult")
        self.results = child(form, QListWidget, "results")
        self.choose_button = child(form, QPushButton, "chooseButton")
        self.search_button.setToolTip(shortcuts.tooltip("search"))
        self._inputs = (self.family_name, self.given_name, self.birth_date, self.mrn)
        for field in self._inputs:
            field.returnPressed.connect(self._submit)
        self.search_button.clicked.connect(self._submit)
        self.back_button.clicked.connect(self.back_requested)
        self.results.itemActivated.connect(lambda _item: self._choose())
        self.results.itemSelectionChanged.connect(self._update_choose)
        self.choose_button.clicked.connect(self._choose)
        self.reset()

    def reset(self, title: str = "") -> None:
        for field in self._inputs:
            field.clear()
        self.title.setText(title)
        self.show_message("", "neutral")
        self.results.clear()
        self.results.hide()
        self._update_choose()

    def set_title(self, title: str) -> None:
        self.title.setText(title)

    def focus_first(self) -> None:
        self.family_name.setFocus()
        self.family_name.selectAll()

    def show_results(self, records: Sequence[PatientRecord]) -> None:
        fill_list(self.results, records)
        self.results.setVisible(bool(records))
        if not records:
            self.show_message(
                self.tr("No patient found. Check the spelling and the date, or try the MRN."),
                "warning",
            )
        else:
            self.show_message(
                self.tr("{count} found: choose the caller (arrow keys, then Enter).").format(
                    count=len(records)
                ),
                "neutral",
            )
            # The agent asked for these: the first is ready for Enter, not yet chosen.
            self.results.setCurrentRow(0)
            self.results.setFocus()
        self._update_choose()

    def show_message(self, text: str, level: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))
        set_level(self.result, level)

    def query(self) -> SearchQuery | None:
        """What to search for, or None (after saying what is missing)."""
        mrn = self.mrn.text().strip()
        if mrn:
            return SearchQuery(mrn=mrn)
        family, given = self.family_name.text().strip(), self.given_name.text().strip()
        said = self.birth_date.text().strip()
        if not family or not said:
            self.show_message(
                self.tr("Enter the family name and the date of birth, or the MRN."), "warning"
            )
            return None
        born = parse_date(said, day_first=self._day_first)
        if born is None:
            self.show_message(
                self.tr(
                    "The date of birth could not be read: type it like 1961-07-04 or 4 Jul 1961."
                ),
                "warning",
            )
            return None
        return SearchQuery(family_name=family, given_name=given, birth_date=born.isoformat())

    def _submit(self) -> None:
        query = self.query()
        if query is not None:
            self.submitted.emit(query)

    def _update_choose(self) -> None:
        self.choose_button.setEnabled(chosen_id(self.results) is not None)
        self.choose_button.setVisible(self.results.count() > 0)

    def _choose(self) -> None:
        patient_id = chosen_id(self.results)
        if patient_id is not None:
            self.chosen.emit(patient_id)
