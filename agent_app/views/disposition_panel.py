"""The disposition panel: the outcome of the call in after-call work, recorded from the keyboard.

It shows one owed wrap-up at a time (which one, when several are owed), the call it is for,
the campaign's code tree filtered by typing, the fields the chosen code requires, and
notes. Every change goes to the workflow's :class:`WrapUpWork` at once, which saves the
draft; what is wrong comes from :meth:`WrapUpWork.problems` and is shown next to its
field. Submit (Ctrl+Enter, or Enter in the empty filter box) hands the work to
:meth:`WrapUpWork.submit`. The rules (codes, required fields, calling window, the system
code of a failed call) are the workflow's: this panel shows them and sends changes.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime, QEvent, QObject, Qt, QTime, QTimeZone, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from agent_app.views import shortcuts
from agent_app.views.call_history import clock_time, duration_text, shown_number
from agent_app.views.forms import child, load_form
from agent_app.views.styling import set_level
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.call_session import CallSession, Direction
from agent_app.workflow.disposition import (
    CONSENT_PROBLEM,
    CodeNode,
    FieldSpec,
    Wording,
    WrapUpWork,
)
from agent_app.workflow.events import (
    CallChanged,
    CallFinished,
    WorkflowEvent,
    WrapUpAdded,
    WrapUpDone,
)

log = logging.getLogger(__name__)

_CONTEXT = "Disposition"

CODE_ROLE = Qt.ItemDataRole.UserRole
RECORD_ROLE = Qt.ItemDataRole.UserRole
DATETIME_FORMAT = "d MMM yyyy, HH:mm"
"""The day first: Up on a fresh editor moves the callback a day on, the usual step."""
CODE_PROBLEM = "code"
"""The key of :meth:`WrapUpWork.problems` that is about the code itself."""
NOTES_PROBLEM = "notes"
SYSTEM_HEADING = ""
"""The code of the built-in codes' heading row (no code has an empty name)."""

# Sizes and shapes; the colours are the palette's (styling.style_sheet).
DISPOSITION_STYLE = """
#callFacts { border-radius: 6px; }
#callTitle { font-weight: 600; }
#whichLabel { font-weight: 600; }
#idleLabel { font-size: 11pt; padding: 24px; }
#filterLabel, #notesLabel { font-weight: 600; }
QTreeWidget#codeTree { font-size: 11pt; }
QTreeWidget#codeTree::item { padding: 4px 2px; }
QListWidget#owedList { font-size: 10.5pt; }
QListWidget#owedList::item { padding: 4px 6px; }
QLineEdit, QDateTimeEdit, QComboBox { min-height: 28px; }
QPushButton#submitButton { font-weight: 600; padding: 6px 18px; border-radius: 6px; }
"""

_END_WORDS = {
    "local": "You hung up",
    "remote": "The other side hung up",
    "transferred": "Transferred",
    "replaced": "Replaced by another call",
    "declined": "Declined",
    "refused": "Refused while not available",
    "media_timeout": "The audio was lost",
    "error": "Ended by an error",
    "lost": "Lost when the phone stopped",
    "engine_restart": "Lost when the phone stopped",
    "engine_lost": "Lost when the phone stopped",
}
_UNANSWERED_WORDS = {"local": "Cancelled", "remote": "Hung up before an answer"}
_FAILED_DEFAULT = "The call failed"
_FAILED_WORDS = {
    486: "Busy",
    600: "Busy",
    408: "No answer",
    480: "No answer",
    487: "No answer",
    603: "Rejected",
}


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def end_reason_text(call: CallSession) -> str:
    """Why the call ended, in the agent's words (with the SIP code of a failed attempt)."""
    if not call.answered and (call.end_code >= 400 or call.end_reason == "failed"):
        text = _tr(_FAILED_WORDS.get(call.end_code, _FAILED_DEFAULT))
        return f"{text} (SIP {call.end_code})" if call.end_code else text
    if not call.answered and call.end_reason in ("local", "remote"):
        return _tr(_UNANSWERED_WORDS[call.end_reason])
    known = _END_WORDS.get(call.end_reason)
    return _tr(known) if known else call.end_reason


def _moment(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None


def talk_seconds(call: CallSession) -> float | None:
    """Answered to ended, from the call's server times (None when never answered)."""
    answered, ended = _moment(call.answered_at), _moment(call.ended_at)
    if answered is None:
        return None
    if ended is None:
        return call.talk_time()
    return max(0.0, (ended - answered).total_seconds())


@dataclass
class _FieldRow:
    spec: FieldSpec
    editor: QWidget
    problem: QLabel


class TimeEdit(QDateTimeEdit):
    """A date-time editor that Tab leaves, like every other field of the form (Qt's own
    walks its parts with Tab; Left and Right, and typing, still do)."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


class _Keys(QObject):
    """Down in the filter box goes into the tree; Up on the tree's first row goes back."""

    def __init__(self, panel: DispositionPanel) -> None:
        super().__init__(panel)
        self._panel = panel

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        panel = self._panel
        if watched is panel.filter_box and event.key() == Qt.Key.Key_Down:
            panel.enter_tree()
            return True
        if (
            watched is panel.tree
            and event.key() == Qt.Key.Key_Up
            and panel.tree.currentItem() is panel.first_visible()
        ):
            panel.filter_box.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return False


class DispositionPanel(QWidget):
    """The wrap-up of the calls that owe one; see the module docstring.

    Given a parent without a layout (the main window's group box), the panel fills it.
    """

    def __init__(self, session: AgentSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dispositionPanelView")
        self.setAccessibleName(self.tr("Disposition"))
        self.setStyleSheet(DISPOSITION_STYLE)
        self._session = session
        form = load_form("disposition_panel.ui", self)
        self.pages = child(form, QStackedWidget, "pages")
        self.idle_page = child(form, QWidget, "idlePage")
        self.work_page = child(form, QWidget, "workPage")
        self.facts = child(form, QFrame, "callFacts")
        self.call_title = child(form, QLabel, "callTitle")
        self.call_details = child(form, QLabel, "callDetails")
        self.which = child(form, QLabel, "whichLabel")
        self.owed = child(form, QListWidget, "owedList")
        self.filter_box = child(form, QLineEdit, "filterBox")
        self.tree = child(form, QTreeWidget, "codeTree")
        self.code_problem = child(form, QLabel, "codeProblem")
        self.fields_host = child(form, QWidget, "fieldsHost")
        self.notes = child(form, QPlainTextEdit, "notes")
        self.notes_problem = child(form, QLabel, "notesProblem")
        self.saved = child(form, QLabel, "savedLabel")
        self.submit_button = child(form, QPushButton, "submitButton")
        self.consent_problem = child(form, QLabel, "consentProblem")
        layout = self.fields_host.layout()
        assert isinstance(layout, QFormLayout)
        self.fields_form = layout
        self.fields_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        for label in (self.code_problem, self.notes_problem, self.consent_problem):
            set_level(label, "problem")

        self.submit_action = shortcuts.bind(self, "submit_disposition")
        self.submit_button.setToolTip(shortcuts.tooltip("submit_disposition"))
        self.rows: dict[str, _FieldRow] = {}
        self._work: WrapUpWork | None = None
        self._chosen: str | None = None  # record id the agent picked among several owed
        self._tree_of: int | None = None  # id() of the code tree shown
        self._fields_for: str | None = None  # the code whose fields are shown
        self._filling = False
        self._tried = False
        self._touched: set[str] = set()
        self._keys = _Keys(self)
        self.filter_box.installEventFilter(self._keys)
        self.tree.installEventFilter(self._keys)
        self._connect()

        unsubscribe = session.subscribe(self._on_event)
        # A plain function, not a bound method: it must not need this (dying) wrapper.
        self.destroyed.connect(lambda *_: unsubscribe())
        if parent is not None and parent.layout() is None:
            layout_host = QVBoxLayout(parent)
            layout_host.setContentsMargins(0, 0, 0, 0)
            layout_host.addWidget(self)
        self.refresh()

    def _connect(self) -> None:
        self.filter_box.textChanged.connect(self._apply_filter)
        self.filter_box.returnPressed.connect(self._filter_entered)
        self.tree.currentItemChanged.connect(self._current_code_changed)
        self.tree.itemActivated.connect(self._code_activated)
        self.notes.textChanged.connect(self._notes_changed)
        self.submit_button.clicked.connect(self.submit)
        self.submit_action.triggered.connect(self.submit)
        self.owed.currentItemChanged.connect(self._owed_chosen)

    # -- reading ---------------------------------------------------------------------------

    @property
    def work(self) -> WrapUpWork | None:
        """The wrap-up shown (None: nothing is owed)."""
        return self._work

    def items(self) -> list[QTreeWidgetItem]:
        """Every row of the code tree, depth first (the order the agent reads them)."""
        found: list[QTreeWidgetItem] = []

        def walk(item: QTreeWidgetItem | None) -> None:
            if item is None:
                return
            found.append(item)
            for i in range(item.childCount()):
                walk(item.child(i))

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i))
        return found

    def first_visible(self) -> QTreeWidgetItem | None:
        return next((item for item in self.items() if not item.isHidden()), None)

    def item_for(self, code: str) -> QTreeWidgetItem | None:
        return next((item for item in self.items() if item.data(0, CODE_ROLE) == code), None)

    # -- following the session ---------------------------------------------------------------

    def _on_event(self, event: WorkflowEvent) -> None:
        if isinstance(event, WrapUpAdded | WrapUpDone):
            starting = isinstance(event, WrapUpAdded)
            self.refresh(focus=starting and not self._session.calls)
        elif isinstance(event, CallFinished):
            # The last call the agent talked on ended while work was owed: the keys come
            # here now (a call refused meanwhile never takes them from the notes).
            focused = QApplication.focusWidget()
            typing_here = focused is not None and self.isAncestorOf(focused)
            self.refresh(
                focus=event.call.answered
                and not typing_here
                and not self._session.calls
                and bool(self._session.wrap_ups)
            )
        elif (
            isinstance(event, CallChanged)
            and self._work is not None
            and event.call.record_id == self._work.call.record_id
        ):
            self.refresh()

    def refresh(self, *, focus: bool = False) -> None:
        """Show the wrap-up owed (the one the agent picked, else the oldest)."""
        owed = [item.record_id for item in self._session.wrap_ups]
        if self._chosen not in owed:
            self._chosen = None
        record_id = self._chosen or (owed[0] if owed else None)
        work = None if record_id is None else self._session.wrap_up_work(record_id)
        if work is None:
            self._show_idle()
            return
        if self._work is None or self._work.call.record_id != work.call.record_id:
            self._tried = False
            self._touched = set()
            self._work = work
            self._fill(work)
        else:
            self._work = work
            self._sync_code(work)
        self._show_owed(owed, work.call.record_id)
        self._show_call(work.call)
        self._show_hint(work)
        self._show_problems()
        self.pages.setCurrentWidget(self.work_page)
        if focus:
            self.filter_box.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_idle(self) -> None:
        focused = QApplication.focusWidget()
        had_focus = focused is not None and self.isAncestorOf(focused)
        self._work = None
        self._tree_of = None
        self._fields_for = None
        self.submit_action.setEnabled(False)
        self.pages.setCurrentWidget(self.idle_page)
        if had_focus:
            self.window().setFocus(Qt.FocusReason.OtherFocusReason)

    # -- the call and the list of owed wrap-ups ---------------------------------------------

    def _show_call(self, call: CallSession) -> None:
        number = shown_number(call.number) or self.tr("Unknown number")
        if call.direction is Direction.OUTBOUND:
            self.call_title.setText(self.tr("Call to {number}").format(number=number))
        else:
            self.call_title.setText(self.tr("Call from {number}").format(number=number))
        talk = talk_seconds(call)
        length = (
            self.tr("not answered")
            if talk is None
            else self.tr("{duration} talking").format(duration=duration_text(talk))
        )
        parts = [clock_time(call.started_at), length]
        if call.end_reason:
            parts.append(end_reason_text(call))
        self.call_details.setText("  ·  ".join(p for p in parts if p))
        self.facts.setAccessibleDescription(f"{self.call_title.text()}. {self.call_details.text()}")

    def _show_owed(self, owed: list[str], shown: str) -> None:
        several = len(owed) > 1
        self.which.setText(
            self.tr("{index} of {count}").format(index=owed.index(shown) + 1, count=len(owed))
            if several
            else ""
        )
        self.owed.setVisible(several)
        listed = [self.owed.item(i).data(RECORD_ROLE) for i in range(self.owed.count())]
        self.owed.blockSignals(True)
        try:
            if listed != owed:
                self.owed.clear()
                for record_id in owed:
                    item = QListWidgetItem(self._owed_text(record_id))
                    item.setData(RECORD_ROLE, record_id)
                    self.owed.addItem(item)
            self.owed.setCurrentRow(owed.index(shown))
        finally:
            self.owed.blockSignals(False)
        if several:
            # As tall as its rows (up to four): no empty box under a short list.
            rows = min(len(owed), 4) * max(self.owed.sizeHintForRow(0), 1)
            self.owed.setFixedHeight(rows + 2 * self.owed.frameWidth() + 2)

    def _owed_text(self, record_id: str) -> str:
        call = self._session.call(record_id)
        if call is None:
            return record_id
        number = shown_number(call.number) or self.tr("Unknown number")
        return f"{number}  ·  {clock_time(call.started_at)}"

    @Slot(QListWidgetItem, QListWidgetItem)
    def _owed_chosen(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        self._chosen = item.data(RECORD_ROLE)
        self.refresh()

    # -- the code tree -----------------------------------------------------------------------

    def _fill(self, work: WrapUpWork) -> None:
        """A new wrap-up on screen: its tree, and its draft in every editor."""
        self._filling = True
        try:
            self.filter_box.clear()
            self._build_tree(work)
            self.notes.setPlainText(work.notes)
            self._fields_for = None
            self._sync_code(work)
        finally:
            self._filling = False
        self.saved.setText("")

    def _show_hint(self, work: WrapUpWork) -> None:
        """An unanswered call's code, chosen by the desk: say so until the agent acts."""
        node = work.node
        if self._touched or node is None or work.call.answered:
            return
        label = _tr(node.label) if node in work.system_tree.codes else node.label
        self.saved.setText(
            self.tr("“{code}” is chosen for this unanswered call: Enter submits").format(code=label)
        )

    def _build_tree(self, work: WrapUpWork) -> None:
        """The campaign's codes, then the built-in ones (always a valid choice)."""
        self.tree.clear()
        self._tree_of = id(work.tree)

        def add(node: CodeNode, parent: QTreeWidgetItem | None, label: str) -> QTreeWidgetItem:
            item = QTreeWidgetItem([label])
            item.setData(0, CODE_ROLE, node.code)
            item.setToolTip(0, node.code)
            if not node.selectable:
                # A heading: the arrows pass over it, only its codes can be chosen.
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            if parent is None:
                self.tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
            for sub in node.children:
                add(sub, item, sub.label)
            return item

        if work.tree is not None:
            for node in work.tree.codes:
                add(node, None, node.label)
        heading = QTreeWidgetItem([self.tr("System codes")])
        heading.setFlags(heading.flags() & ~Qt.ItemFlag.ItemIsSelectable)
        heading.setData(0, CODE_ROLE, SYSTEM_HEADING)
        self.tree.addTopLevelItem(heading)
        for node in work.system_tree.codes:
            # The built-in codes' labels are source text (the campaign's come translated).
            add(node, heading, _tr(node.label))
        self.tree.expandAll()
        # The built-in codes are a fallback: folded unless the campaign has none.
        heading.setExpanded(work.tree is None or work.find(work.code) in work.system_tree.codes)

    def _sync_code(self, work: WrapUpWork) -> None:
        """The tree's choice and the field editors follow the work's code."""
        if self._tree_of != id(work.tree):
            self._build_tree(work)
        code = work.code
        item = None if code is None else self.item_for(code)
        was = self._filling
        self._filling = True
        try:
            if item is not None and self.tree.currentItem() is not item:
                self.tree.setCurrentItem(item)
            elif item is None:
                self.tree.clearSelection()
            self._build_fields(work)
        finally:
            self._filling = was

    @Slot(str)
    def _apply_filter(self, text: str) -> None:
        work = self._work
        if work is None:
            return
        wanted = text.strip()
        matched: set[str] | None = None
        if wanted:
            trees = [work.system_tree] if work.tree is None else [work.tree, work.system_tree]
            matched = {node.code for tree in trees for node in tree.filter(wanted)}

        def show(item: QTreeWidgetItem | None, parent_matched: bool) -> bool:
            if item is None:
                return False
            here = matched is None or parent_matched or item.data(0, CODE_ROLE) in matched
            any_child = False
            for i in range(item.childCount()):
                any_child |= show(item.child(i), here)
            visible = here or any_child
            item.setHidden(not visible)
            return visible

        for i in range(self.tree.topLevelItemCount()):
            show(self.tree.topLevelItem(i), False)
        self.tree.expandAll()
        self._show_problems()  # a "no code matches" from Enter goes with the old text

    def _first_choosable(self) -> QTreeWidgetItem | None:
        return next(
            (
                item
                for item in self.items()
                if not item.isHidden() and item.flags() & Qt.ItemFlag.ItemIsSelectable
            ),
            None,
        )

    def enter_tree(self) -> None:
        """Down from the filter box: into the tree, on the chosen code if it is shown,
        else on the first code the filter left."""
        current = self.tree.currentItem()
        if current is None or current.isHidden() or self.filter_box.text():
            current = self._first_choosable() or self.first_visible()
        if current is not None:
            self.tree.setCurrentItem(current)
        self.tree.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def _filter_entered(self) -> None:
        """Enter in the filter box: with text, take the first code it leaves and go on to
        the details; empty, submit (a failed call's system code takes this one key)."""
        if not self.filter_box.text().strip():
            self.submit()
            return
        item = self._first_choosable()
        if item is None:
            self.code_problem.setText(
                self.tr("No code matches “{text}”.").format(text=self.filter_box.text().strip())
            )
            self.code_problem.setVisible(True)
            return
        self.tree.setCurrentItem(item)
        self._focus_details()

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _current_code_changed(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        work = self._work
        if self._filling or work is None or item is None:
            return
        if not item.flags() & Qt.ItemFlag.ItemIsSelectable:
            return
        code = item.data(0, CODE_ROLE)
        if code == work.code:
            return
        if not work.set_code(code):
            log.info("wrap-up %s: code not taken", work.call.record_id)
        self._touched.add(CODE_PROBLEM)
        self._after_change()
        self._build_fields(work)
        self._show_problems()

    @Slot(QTreeWidgetItem, int)
    def _code_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.flags() & Qt.ItemFlag.ItemIsSelectable:
            self._focus_details()
        else:
            item.setExpanded(not item.isExpanded())

    def _focus_details(self) -> None:
        """After the code: its first field, else the notes."""
        first = next(iter(self.rows.values()), None)
        target = self.notes if first is None else first.editor
        target.setFocus(Qt.FocusReason.TabFocusReason)

    # -- the code's fields -------------------------------------------------------------------

    def _build_fields(self, work: WrapUpWork) -> None:
        if self._fields_for == work.code and self._fields_for is not None:
            return
        focused = QApplication.focusWidget()
        had_focus = focused is not None and self.fields_host.isAncestorOf(focused)
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.rows.clear()
        self._fields_for = work.code
        node = work.node
        specs = () if node is None else node.fields
        for spec in specs:
            row = self._field_row(work, spec)
            self.rows[spec.name] = row
            host = QWidget(self.fields_host)
            box = QVBoxLayout(host)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            box.addWidget(row.editor)
            if spec.type == "datetime":
                box.addWidget(self._zone_label(work, host))
            if spec.is_callback:
                box.addWidget(self._callback_for(work, host))
            box.addWidget(row.problem)
            label = QLabel(spec.label, self.fields_host)
            label.setBuddy(row.editor)
            self.fields_form.addRow(label, host)
        self.fields_host.setVisible(bool(specs))
        self._order_tabs()
        if had_focus:
            self._focus_details()

    def _field_row(self, work: WrapUpWork, spec: FieldSpec) -> _FieldRow:
        value = work.fields.get(spec.name)
        problem = QLabel(self.fields_host)
        problem.setObjectName(f"problem_{spec.name}")
        problem.setWordWrap(True)
        problem.setTextFormat(Qt.TextFormat.PlainText)
        problem.setAccessibleName(self.tr("Problem with {field}").format(field=spec.label))
        set_level(problem, "problem")
        editor: QWidget
        if spec.type == "datetime":
            editor = self._datetime_editor(work, spec, value)
        elif spec.type == "bool":
            combo = QComboBox(self.fields_host)
            combo.addItem(self.tr("Choose yes or no"), None)
            combo.addItem(self.tr("Yes"), True)
            combo.addItem(self.tr("No"), False)
            combo.setCurrentIndex(max(0, combo.findData(value)) if isinstance(value, bool) else 0)
            combo.currentIndexChanged.connect(
                lambda _i, name=spec.name, box=combo: self._set_field(name, box.currentData())
            )
            editor = combo
        else:
            line = QLineEdit(self.fields_host)
            line.setMaxLength(2000)
            line.setText(value if isinstance(value, str) else "")
            line.textEdited.connect(lambda text, name=spec.name: self._set_field(name, text))
            editor = line
        editor.setObjectName(f"field_{spec.name}")
        editor.setAccessibleName(spec.label)
        return _FieldRow(spec, editor, problem)

    def _zone(self, work: WrapUpWork) -> QTimeZone:
        if work.time_zone:
            zone = QTimeZone(work.time_zone.encode())
            if zone.isValid():
                return zone
        return QTimeZone.systemTimeZone()

    def _datetime_editor(self, work: WrapUpWork, spec: FieldSpec, value: Any) -> QDateTimeEdit:
        zone = self._zone(work)
        editor = TimeEdit(self.fields_host)
        editor.setTimeZone(zone)
        editor.setDisplayFormat(DATETIME_FORMAT)
        editor.setCalendarPopup(True)
        now = QDateTime.currentDateTime().toTimeZone(zone)
        # The minimum stands for "not chosen yet": a required time is never guessed.
        unset = QDateTime(now.date(), QTime(now.time().hour(), now.time().minute()), zone)
        editor.setMinimumDateTime(unset)
        editor.setSpecialValueText(self.tr("Not chosen: type or use the arrows"))
        chosen = (
            QDateTime.fromString(value, Qt.DateFormat.ISODate) if isinstance(value, str) else None
        )
        if chosen is not None and chosen.isValid():
            if chosen < unset:
                editor.setMinimumDateTime(chosen)
            editor.setDateTime(chosen.toTimeZone(zone))
        else:
            editor.setDateTime(unset)
        editor.dateTimeChanged.connect(
            lambda moment, name=spec.name, box=editor: self._datetime_changed(name, box, moment)
        )
        return editor

    def _callback_for(self, work: WrapUpWork, parent: QWidget) -> QComboBox:
        """Whose callback: the agent's own, or anyone's on the campaign."""
        combo = QComboBox(parent)
        combo.setObjectName("callbackFor")
        combo.setAccessibleName(self.tr("Who calls back"))
        choices = (
            ("me", self.tr("I will call back")),
            ("anyone", self.tr("Anyone on the campaign calls back")),
        )
        for whom, text in choices:
            combo.addItem(text, whom)
        combo.setCurrentIndex(max(0, combo.findData(work.callback_for)))
        combo.currentIndexChanged.connect(
            lambda _i, box=combo: work.set_callback_for(str(box.currentData()))
        )
        return combo

    def _zone_label(self, work: WrapUpWork, parent: QWidget) -> QLabel:
        zone = self._zone(work)
        name = bytes(zone.id().data()).decode()
        if work.time_zone:
            text = self.tr("Patient's time ({zone})").format(zone=name)
        else:
            text = self.tr("Your time ({zone}); the patient's time zone is not known").format(
                zone=name
            )
        start, end = work.calling_window
        text += "  ·  " + self.tr("calling hours {start}–{end}").format(start=start, end=end)
        label = QLabel(text, parent)
        label.setObjectName("zoneLabel")
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        set_level(label, "neutral")
        return label

    def _datetime_changed(self, name: str, editor: QDateTimeEdit, moment: QDateTime) -> None:
        if moment == editor.minimumDateTime():
            self._set_field(name, None)
        else:
            shown = moment.toTimeZone(editor.timeZone())
            # ISO 8601 with the patient's offset: the time as the patient was told it.
            self._set_field(name, shown.toString(Qt.DateFormat.ISODate))

    def _set_field(self, name: str, value: Any) -> None:
        work = self._work
        if self._filling or work is None:
            return
        work.set_field(name, value)
        self._touched.add(name)
        self._after_change()
        self._show_problems()

    @Slot()
    def _notes_changed(self) -> None:
        work = self._work
        if self._filling or work is None:
            return
        work.set_notes(self.notes.toPlainText())
        self._after_change()

    def _after_change(self) -> None:
        self.saved.setText(self.tr("Draft saved"))

    def _order_tabs(self) -> None:
        chain: list[QWidget] = [self.owed, self.filter_box, self.tree]
        chain += [row.editor for row in self.rows.values()]
        chain += [self.notes, self.submit_button]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    # -- problems and submit -----------------------------------------------------------------

    def _show_problems(self) -> None:
        work = self._work
        if work is None:
            return
        problems = work.problems()
        shown = set(problems) if self._tried else self._touched
        code_text = problems.get(CODE_PROBLEM, "") if CODE_PROBLEM in shown else ""
        self.code_problem.setText(self._translated(code_text))
        self.code_problem.setVisible(bool(code_text))
        notes_text = problems.get(NOTES_PROBLEM, "")  # too long: shown at once
        self.notes_problem.setText(self._translated(notes_text))
        self.notes_problem.setVisible(bool(notes_text))
        for name, row in self.rows.items():
            text = problems.get(name, "") if name in shown else ""
            row.problem.setText(self._translated(text))
            row.problem.setVisible(bool(text))
            row.editor.setAccessibleDescription(row.problem.text())
        self._show_submit(self._translated(problems.get(CONSENT_PROBLEM, "")))

    def _show_submit(self, blocked_by: str) -> None:
        """Submit is unavailable while the recording consent is owed (nothing in this panel
        can give it: the script's disclosure step does), and says why, in words."""
        self.consent_problem.setText(blocked_by)
        self.consent_problem.setVisible(bool(blocked_by))
        self.submit_button.setEnabled(not blocked_by)
        self.submit_action.setEnabled(not blocked_by)
        self.submit_button.setAccessibleDescription(blocked_by)
        self.submit_button.setToolTip(blocked_by or shortcuts.tooltip("submit_disposition"))

    @Slot()
    def recheck(self) -> None:
        """Check the shown wrap-up again (a script step was taken: the consent may be in)."""
        if self._work is not None:
            self._show_problems()

    @staticmethod
    def _translated(text: str) -> str:
        # The workflow's messages are source text, translated where its problems are; a
        # message with values (a field's name, a limit) is translated first, then filled in.
        if isinstance(text, Wording):
            return QCoreApplication.translate("Workflow", text.source).format(**text.values)
        return QCoreApplication.translate("Workflow", text) if text else ""

    @Slot()
    def submit(self) -> bool:
        """Submit the shown wrap-up; when something is missing, show it and go there."""
        work = self._work
        if work is None:
            return False
        self._tried = True
        if work.problems():
            self._show_problems()
            self._focus_problem(work.problems())
            return False
        record_id = work.call.record_id
        if not work.submit():
            self._show_problems()
            self.saved.setText(self.tr("Not submitted: the disposition could not be saved"))
            return False
        log.info("wrap-up %s submitted", record_id)
        # The session tells of the finished wrap-up; a next one (or the idle page) follows.
        self.refresh(focus=bool(self._session.wrap_ups) and not self._session.calls)
        return True

    def _focus_problem(self, problems: dict[str, str]) -> None:
        if CODE_PROBLEM in problems:
            self.filter_box.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if NOTES_PROBLEM in problems:
            self.notes.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        for name, row in self.rows.items():
            if name in problems:
                row.editor.setFocus(Qt.FocusReason.OtherFocusReason)
                return
