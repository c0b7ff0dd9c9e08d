"""The script panel: what to say on the call in front of the agent, one step at a time.

It shows the call's :class:`~agent_app.workflow.script_run.ScriptRun` (the step's text
large, merge fields filled as the identity gate allows, else their label in brackets; the
caller's answers as buttons, 1–9 from the keyboard; back and forward; progress; the
language note and switcher; a disclosure's "Read to the caller" check) and sends every
step to :class:`~agent_app.workflow.call_scripts.CallScripts`, which saves it. Script text
is shown as plain text, never as markup. The rules are the run's; this panel only shows.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from agent_app.store.agent_store import AgentStore
from agent_app.views import shortcuts
from agent_app.views.forms import child, load_form
from agent_app.views.styling import set_level
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.call_scripts import CallScripts, NoScript
from agent_app.workflow.call_session import CallSession
from agent_app.workflow.events import WorkflowEvent
from agent_app.workflow.script_run import MergeField, ScriptRun, plain_text

ANSWER_KEYS = "123456789"

# Sizes and shapes; the colours are the palette's (styling.style_sheet).
SCRIPT_PANEL_STYLE = """
#idleLabel, #messageLabel { font-size: 11pt; padding: 16px; }
#scriptTitle { font-weight: 600; font-size: 11pt; }
#languageNote, #previewNote { border-radius: 4px; padding: 5px 8px; }
QProgressBar { border: none; border-radius: 4px; }
QProgressBar::chunk { border-radius: 4px; }
#stepFrame { border-radius: 8px; }
#disclosureBadge { font-weight: 600; }
#stepText { font-size: 15pt; }
#readCheck { font-size: 11pt; font-weight: 600; }
#answersTitle { font-weight: 600; }
#answersBox QPushButton { text-align: left; padding: 7px 12px; font-size: 11pt; }
#answersBox QPushButton[chosen="true"] { font-weight: 600; }
"""


class ScriptPanel(QWidget):
    """The call script; see the module docstring.

    Given a parent without a layout (the main window's group box), the panel fills it.
    """

    stepped = Signal()
    """The agent took a step of the call's script (an answer may unblock its wrap-up)."""

    def __init__(
        self, session: AgentSession, scripts: CallScripts, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("scriptPanelView")
        self.setAccessibleName(self.tr("Call script"))
        self.setStyleSheet(SCRIPT_PANEL_STYLE)
        self._session, self._scripts = session, scripts
        area = QScrollArea(self)
        area.setObjectName("scriptScroll")
        area.setAccessibleName(self.tr("Call script"))
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget(area)
        form = load_form("script_panel.ui", inner)
        area.setWidget(inner)
        self.scroll_area = area
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(area)

        self._find_parts(form)
        answers_layout = QVBoxLayout(self.answers_box)
        answers_layout.setContentsMargins(0, 0, 0, 0)
        answers_layout.setSpacing(6)
        self.answer_buttons: list[QPushButton] = []
        self._shown_step: tuple[object, ...] | None = None

        self._connect()

        self._call: CallSession | None = None
        self._preview: tuple[str, str] | None = None
        """(campaign id, patient id) of the leased patient previewed before the call."""
        self._preview_run: tuple[tuple[str, str], ScriptRun | NoScript] | None = None
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self.refresh)
        unsubscribe = session.subscribe(self._on_event)
        # A plain function, not a bound method: it must not need this (dying) wrapper.
        self.destroyed.connect(lambda *_: unsubscribe())
        if parent is not None and parent.layout() is None:
            host = QVBoxLayout(parent)
            host.setContentsMargins(0, 0, 0, 0)
            host.addWidget(self)
        self.refresh()

    def _find_parts(self, form: QWidget) -> None:
        self.pages = child(form, QStackedWidget, "pages")
        self.idle_page = child(form, QWidget, "idlePage")
        self.message_page = child(form, QWidget, "messagePage")
        self.run_page = child(form, QWidget, "runPage")
        self.message = child(form, QLabel, "messageLabel")
        self.title = child(form, QLabel, "scriptTitle")
        self.version = child(form, QLabel, "versionLabel")
        self.language_box = child(form, QComboBox, "languageBox")
        self.language_note = child(form, QLabel, "languageNote")
        self.preview_note = child(form, QLabel, "previewNote")
        self.progress_bar = child(form, QProgressBar, "progressBar")
        self.progress_label = child(form, QLabel, "progressLabel")
        self.step_frame = child(form, QFrame, "stepFrame")
        self.disclosure_badge = child(form, QLabel, "disclosureBadge")
        self.step_text = child(form, QLabel, "stepText")
        self.read_check = child(form, QCheckBox, "readCheck")
        self.answers_title = child(form, QLabel, "answersTitle")
        self.answers_box = child(form, QWidget, "answersBox")
        self.back_button = child(form, QPushButton, "backButton")
        self.forward_button = child(form, QPushButton, "forwardButton")
        self.save_problem = child(form, QLabel, "saveProblem")

    def _fit_page(self, _index: int = 0) -> None:
        # The stack is as tall as the page shown: the hidden script page, taller than the
        # panel, would otherwise give the short idle note a scroll bar.
        # A stack's height for a width counts every page, so the script page's wrapping
        # labels wrap only while it is shown.
        current = self.pages.currentWidget()
        for page in (self.idle_page, self.message_page, self.run_page):
            policy = QSizePolicy.Policy.Preferred if page is current else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)
        running = current is self.run_page
        for label in self._wrapping:
            label.setWordWrap(running)
        # A one-line note never needs a scroll bar, whatever the panel's height.
        self.scroll_area.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if running
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.pages.updateGeometry()

    def _connect(self) -> None:
        self._wrapping = [label for label in self.run_page.findChildren(QLabel) if label.wordWrap()]
        self.pages.currentChanged.connect(self._fit_page)
        self._fit_page()
        self.focus_action = shortcuts.bind(self, "script")
        self.back_action = shortcuts.bind(self, "script_back")
        self.forward_action = shortcuts.bind(self, "script_forward")
        self.back_button.setToolTip(shortcuts.tooltip("script_back"))
        self.forward_button.setToolTip(shortcuts.tooltip("script_forward"))
        self.focus_action.triggered.connect(self.focus_script)
        self.back_action.triggered.connect(self.back)
        self.forward_action.triggered.connect(self.forward)
        self.back_button.clicked.connect(self.back)
        self.forward_button.clicked.connect(self.forward)
        self.read_check.clicked.connect(self._read_clicked)
        self.language_box.activated.connect(self._language_chosen)

    @classmethod
    def for_store(
        cls, session: AgentSession, store: AgentStore, *, agent_name: str, parent: QWidget
    ) -> ScriptPanel:
        """The panel over the store's cache, saving each step as the call's draft."""
        scripts = CallScripts(
            session,
            documents=store.cache.document,
            patient=store.cache.get,
            agent_name=agent_name,
            save_draft=store.journal.save_draft,
            drafts=store.journal.drafts,
        )
        panel = cls(session, scripts, parent)
        panel.destroyed.connect(lambda *_: scripts.close())
        return panel

    # -- reading ---------------------------------------------------------------------------

    @property
    def call(self) -> CallSession | None:
        """The call the panel is about."""
        return self._call

    @property
    def run(self) -> ScriptRun | None:
        return None if self._call is None else self._scripts.run(self._call)

    @property
    def previewing(self) -> bool:
        """The script of a leased patient shows, before any call (read-only)."""
        return self._call is None and self.page == "run" and self._preview is not None

    @Slot(str, str)
    def show_preview(self, campaign_id: str, patient_id: str) -> None:
        """Show this campaign's script for this patient while no call is in front of the
        agent (a preview or a progressive countdown); empty ids: nothing to preview."""
        wanted = (campaign_id, patient_id) if campaign_id and patient_id else None
        if wanted != self._preview:
            self._preview = wanted
            self.refresh()

    @property
    def page(self) -> str:
        """Which page shows: idle, message or run."""
        current = self.pages.currentWidget()
        if current is self.run_page:
            return "run"
        return "message" if current is self.message_page else "idle"

    # -- the agent's steps -----------------------------------------------------------------

    def focus_script(self) -> None:
        """Ctrl+Shift+S: to the step's first control (the check, an answer, or Next)."""
        if self.page == "run":
            self._primary().setFocus(Qt.FocusReason.ShortcutFocusReason)

    def answer(self, index: int) -> bool:
        call = self._call
        done = call is not None and self._scripts.answer(call, index)
        self._after_step()
        return done

    def back(self) -> None:
        if self._call is not None:
            self._scripts.back(self._call)
        self._after_step()

    def forward(self) -> None:
        if self._call is not None:
            self._scripts.forward(self._call)
        self._after_step()

    def _read_clicked(self, checked: bool) -> None:
        if self._call is not None:
            self._scripts.mark_read(self._call, checked)
        self._after_step()

    def _language_chosen(self, index: int) -> None:
        language = self.language_box.itemData(index)
        if self._call is not None and isinstance(language, str):
            self._scripts.switch_language(self._call, language)
        self._after_step()

    def _after_step(self) -> None:
        had_focus = self._has_focus()
        self._pending.stop()
        self.refresh()
        self.stepped.emit()
        if had_focus and self.page == "run":
            self._primary().setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Digits are answers here, never tones for the call.
        text = event.text()
        plain = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if plain and len(text) == 1 and text in ANSWER_KEYS and self.page == "run":
            self.answer(int(text) - 1)
            event.accept()
            return
        super().keyPressEvent(event)

    def _has_focus(self) -> bool:
        focused = QApplication.focusWidget()
        return focused is not None and (focused is self or self.isAncestorOf(focused))

    def _primary(self) -> QWidget:
        run = self.run
        if run is None:
            return self
        if run.needs_reading:
            return self.read_check
        if self.answer_buttons and not run.frozen:
            chosen = run.chosen
            return self.answer_buttons[chosen if chosen is not None else 0]
        if self.forward_button.isEnabled():
            return self.forward_button
        return self.back_button if self.back_button.isEnabled() else self.step_text

    # -- following the session --------------------------------------------------------------

    def _on_event(self, event: WorkflowEvent) -> None:
        # After the event's other views are painted: the card pops first, and a burst of
        # call events costs one refresh.
        self._pending.start()

    def refresh(self) -> None:
        self._call = call = self._followed()
        if call is None:
            if self._preview is not None:
                self._show_preview(*self._preview)
                return
            self._shown_step = None
            self.pages.setCurrentWidget(self.idle_page)
            return
        run = self._scripts.run(call)
        if run is None:
            self._shown_step = None
            self.message.setText(self._why(self._scripts.why_none(call)))
            self.pages.setCurrentWidget(self.message_page)
            return
        self._show_run(call, run)
        self.pages.setCurrentWidget(self.run_page)

    def _followed(self) -> CallSession | None:
        """The call the agent talks on; else the newest ringing; else the one shown while it
        lasts or awaits its wrap-up (as the patient panel follows calls)."""
        session = self._session
        active = session.active_call
        if active is not None:
            return self._about(active)
        live = session.calls
        offered = [c for c in live if c.offered]
        if offered:
            return offered[-1]
        current = self._call
        if current is not None and current in live:
            return current
        if live:
            return self._about(live[-1])
        if current is not None and any(w.call is current for w in session.wrap_ups):
            return current
        return None

    def _about(self, call: CallSession) -> CallSession:
        """A consult call is about the caller it was placed for: their script stays."""
        if call.consult_of is None:
            return call
        session = self._session
        for other in (*session.calls, *(w.call for w in session.wrap_ups)):
            if other.record_id == call.consult_of:
                return other
        return call

    def _why(self, reason: NoScript) -> str:
        texts = {
            NoScript.NO_CAMPAIGN: self.tr(
                "No script yet: the call's campaign is known once the patient is chosen."
            ),
            NoScript.NO_SCRIPT: self.tr("This call's campaign has no script."),
            NoScript.NOT_CACHED: self.tr(
                "The campaign's script has not reached this desk yet. It is shown once it "
                "is synced."
            ),
            NoScript.UNREADABLE: self.tr(
                "The campaign's script cannot be shown: it is damaged. Tell your supervisor."
            ),
        }
        return texts[reason]

    # -- showing a run ------------------------------------------------------------------------

    def _show_preview(self, campaign_id: str, patient_id: str) -> None:
        key = (campaign_id, patient_id)
        if self._preview_run is None or self._preview_run[0] != key:
            self._preview_run = (key, self._scripts.preview(campaign_id, patient_id))
        run = self._preview_run[1]
        if isinstance(run, NoScript):
            self._shown_step = None
            self.message.setText(self._why(run))
            self.pages.setCurrentWidget(self.message_page)
            return
        self._show_run(None, run, self._scripts.preview_values(run, patient_id))
        self.pages.setCurrentWidget(self.run_page)

    def _show_run(
        self, call: CallSession | None, run: ScriptRun, values: dict[str, str] | None = None
    ) -> None:
        """``call`` None: a preview before the call, shown and never changed."""
        preview = call is None
        self.preview_note.setVisible(preview)
        step = run.current
        self.title.setText(run.name)
        self.version.setText(self.tr("version {version}").format(version=run.version))
        self._show_languages(run)
        self._show_progress(run)
        self.step_frame.setProperty("disclosure", step.disclosure)
        self.step_frame.style().unpolish(self.step_frame)
        self.step_frame.style().polish(self.step_frame)
        self.disclosure_badge.setVisible(step.disclosure)
        segments = run.text(values if call is None else self._scripts.values(call))
        self.step_text.setText(plain_text(segments, self._label))
        self.read_check.setVisible(step.disclosure)
        read = run.is_read(step.id)
        self.read_check.setChecked(read)
        self.read_check.setEnabled(
            not preview and step.disclosure and not run.frozen and (not read or run.can_unmark())
        )
        key = (
            id(run),
            run.language,
            run.position,
            len(run.path),
            run.chosen,
            run.needs_reading,
            run.complete,
        )
        if key != self._shown_step:
            self._shown_step = key
            self._show_answers(run, usable=not preview)
            self.scroll_area.verticalScrollBar().setValue(0)  # a new step is read from its top
        self.back_button.setEnabled(not preview and run.can_back())
        self.forward_button.setEnabled(not preview and run.can_forward())
        at_end = step.ends and run.position == len(run.path) - 1
        if at_end:
            self.forward_button.setText(self.tr("Done") if run.complete else self.tr("Finish"))
        else:
            self.forward_button.setText(self.tr("Next"))
        self.save_problem.setVisible(call is not None and call.record_id in self._scripts.unsaved)

    def _show_languages(self, run: ScriptRun) -> None:
        box = self.language_box
        wanted = list(run.languages)
        have = [box.itemData(i) for i in range(box.count())]
        if have != wanted:
            box.blockSignals(True)
            box.clear()
            for language in wanted:
                box.addItem(language_name(language), language)
            box.blockSignals(False)
        box.setCurrentIndex(wanted.index(run.language))
        box.setEnabled(len(wanted) > 1 and not run.frozen and self._call is not None)
        note = ""
        level = "warning"
        shown = language_name(run.language)
        if run.frozen:
            note = self.tr(
                "Kept as recorded with version {version}; this desk now has a newer one."
            ).format(version=run.version)
            level = "neutral"
        elif run.preferred_missing and run.preferred:
            note = self.tr("Shown in {shown}: no {wanted} version of this script.").format(
                shown=shown, wanted=language_name(run.preferred)
            )
        elif run.shown_instead and run.preferred:
            note = self.tr("Shown in {shown}; the patient prefers {wanted}.").format(
                shown=shown, wanted=language_name(run.preferred)
            )
            level = "neutral"
        self.language_note.setText(note)
        self.language_note.setVisible(bool(note))
        set_level(self.language_note, level)

    def _show_progress(self, run: ScriptRun) -> None:
        progress = run.progress()
        total = progress.on_path + (progress.ahead or 0)
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(progress.done)
        if progress.complete:
            text = self.tr("Script done: {done} steps").format(done=progress.done)
        elif progress.ahead:
            # The fewest steps the call can still take: a branch may make it longer.
            text = self.tr("Step {position} of at least {total}").format(
                position=progress.position, total=total
            )
        else:
            text = self.tr("Step {position} of {total}").format(
                position=progress.position, total=progress.on_path
            )
        self.progress_label.setText(text)
        self.progress_bar.setAccessibleDescription(text)

    def _show_answers(self, run: ScriptRun, *, usable: bool = True) -> None:
        layout = self.answers_box.layout()
        assert layout is not None
        for button in self.answer_buttons:
            layout.removeWidget(button)
            button.hide()
            button.deleteLater()
        self.answer_buttons = []
        step = run.current
        chosen = run.chosen
        usable = usable and not run.frozen and not run.needs_reading
        for index, branch in enumerate(step.branches):
            number = index + 1
            button = QPushButton(self.answers_box)
            button.setObjectName(f"answer{number}")
            # The answer is the script's text: "&" must not become a mnemonic.
            label = branch.answer.replace("&", "&&")
            button.setText(f"{number}   {label}" if number <= len(ANSWER_KEYS) else label)
            button.setAccessibleName(
                self.tr("Answer {number}: {answer}").format(number=number, answer=branch.answer)
            )
            if number <= len(ANSWER_KEYS):
                button.setToolTip(
                    self.tr("The caller's answer (key {number})").format(number=number)
                )
            button.setProperty("chosen", index == chosen)
            if index == chosen:
                button.setAccessibleDescription(self.tr("The answer given before"))
            button.setEnabled(usable)
            button.clicked.connect(lambda _checked=False, i=index: self.answer(i))
            layout.addWidget(button)
            button.show()  # now: the focus may have to move to it at once
            self.answer_buttons.append(button)
        self.answers_title.setVisible(bool(step.branches))
        self.answers_box.setVisible(bool(step.branches))

    def _label(self, merge_field: MergeField) -> str:
        labels = {
            "agent.display_name": self.tr("your name"),
            "campaign.name": self.tr("campaign"),
            "patient.given_name": self.tr("first name"),
            "patient.family_name": self.tr("last name"),
            "patient.full_name": self.tr("full name"),
            "patient.birth_date": self.tr("date of birth"),
            "patient.mrn": self.tr("MRN"),
            "patient.phone": self.tr("phone number"),
            "patient.care_program": self.tr("care program"),
            "appointment.time": self.tr("appointment time"),
        }
        return labels.get(merge_field.key, merge_field.label)


def language_name(code: str) -> str:
    """``"es"`` → "Spanish"; an unknown code is shown as given."""
    locale = QLocale(code)
    if locale.language() in (QLocale.Language.C, QLocale.Language.AnyLanguage):
        return code
    return QLocale.languageToString(locale.language())
