"""The card's identity gate form: the identifiers the caller gives, the attempts left, and the
audited "show without verification" with its reason.

It only collects what the agent types and shows the workflow's verdict; the comparison, the
attempt count and the lock are the workflow's (:mod:`agent_app.workflow.identity_gate`).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QLabel, QLineEdit, QPushButton, QWidget

from agent_app.views import shortcuts
from agent_app.views.forms import child, load_form
from agent_app.views.styling import set_level
from agent_app.workflow.identity import BIRTH_DATE, Claim, Outcome
from agent_app.workflow.identity_gate import IdentityStatus, Verification
from agent_app.workflow.reveal_reasons import RevealReason

_REASONS_CONTEXT = "RevealReasons"


class IdentityForm(QWidget):
    verify_requested = Signal(object)  # Claim
    reveal_requested = Signal(str)  # the reason as audited

    def __init__(self, reasons: Sequence[RevealReason], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identityForm")
        form = load_form("identity_form.ui", self)
        self.verify_box = child(form, QFrame, "verifyBox")
        self.family_name = child(form, QLineEdit, "familyName")
        self.given_name = child(form, QLineEdit, "givenName")
        self.birth_date = child(form, QLineEdit, "birthDate")
        self.mrn = child(form, QLineEdit, "mrn")
        self.attempts = child(form, QLabel, "attemptsLabel")
        self.verify_button = child(form, QPushButton, "verifyButton")
        self.result = child(form, QLabel, "resultLabel")
        self.reveal_box = child(form, QFrame, "revealBox")
        self.reveal_reason = child(form, QComboBox, "revealReason")
        self.reveal_note = child(form, QLineEdit, "revealNote")
        self.reveal_button = child(form, QPushButton, "revealButton")
        self.verify_button.setToolTip(shortcuts.tooltip("verify", self.tr("Check identity")))
        self._inputs = (self.family_name, self.given_name, self.birth_date, self.mrn)
        self._reasons = tuple(reasons)
        self.reveal_reason.addItem(self.tr("Choose a reason…"), None)
        for reason in self._reasons:
            label = QCoreApplication.translate(_REASONS_CONTEXT, reason.label)
            self.reveal_reason.addItem(label, reason.code)
        for field in self._inputs:
            field.returnPressed.connect(self._submit_claim)
        self.verify_button.clicked.connect(self._submit_claim)
        self.reveal_button.clicked.connect(self._submit_reveal)
        self.reveal_note.returnPressed.connect(self._submit_reveal)
        self.reveal_reason.currentIndexChanged.connect(self._update_reveal_button)
        self.reveal_note.textChanged.connect(self._update_reveal_button)
        self._open = True
        self._update_reveal_button()

    # -- what the panel shows -------------------------------------------------------------

    def reset(self) -> None:
        """A new call or patient: nothing typed for the last one stays on screen."""
        for field in self._inputs:
            field.clear()
        self.reveal_reason.setCurrentIndex(0)
        self.reveal_note.clear()
        self.show_message("", "neutral")

    def show_status(self, status: IdentityStatus, max_attempts: int) -> None:
        """Enable what the gate allows now: checks while unverified, nothing once locked."""
        self._open = status.state is Verification.UNVERIFIED
        for widget in (*self._inputs, self.verify_button):
            widget.setEnabled(self._open)
        self.reveal_box.setVisible(status.state is not Verification.LOCKED)
        self.reveal_reason.setEnabled(self._open)
        self.reveal_note.setEnabled(self._open)
        self._update_reveal_button()
        failed = status.failed_attempts
        if failed:
            self.attempts.setText(
                self.tr("Failed checks: {failed} of {limit}").format(
                    failed=failed, limit=max_attempts
                )
            )
            set_level(self.attempts, "problem" if failed >= max_attempts else "warning")
        else:
            self.attempts.setText(
                self.tr("{limit} checks allowed on this call").format(limit=max_attempts)
            )
            set_level(self.attempts, "neutral")
        if status.state is Verification.LOCKED:
            self.show_message(
                self.tr(
                    "Locked after {failed} failed checks. Do not discuss health information on "
                    "this call; offer a call back to the number on file."
                ).format(failed=failed),
                "problem",
            )

    def show_outcome(self, status: IdentityStatus | None, max_attempts: int) -> None:
        """Say what the check just made found (``None``: it could not be made)."""
        if status is None:
            self.show_message(
                self.tr("The check could not be written to the audit log, so it was not made."),
                "problem",
            )
            return
        check = status.last_check
        if status.state is Verification.VERIFIED:
            self.reset()
            self.show_message(self.tr("Identity verified."), "ok")
        elif status.state is Verification.LOCKED:
            self.reset()
            self.show_status(status, max_attempts)
        elif check is not None and check.outcome is Outcome.INSUFFICIENT:
            if BIRTH_DATE in check.unreadable:
                text = self.tr(
                    "The date of birth could not be read: type it like 1961-07-04 or 4 Jul 1961."
                )
            else:
                text = self.tr("Enter at least two identifiers the caller gives.")
            self.show_message(text, "warning")
        elif check is not None and check.outcome is Outcome.MISMATCH:
            # Which identifier was wrong is not said: a caller guessing must not learn it.
            self.reset()
            self.show_message(
                self.tr(
                    "Those identifiers do not match the record ({failed} of {limit} checks failed)."
                ).format(failed=status.failed_attempts, limit=max_attempts),
                "warning",
            )

    def show_message(self, text: str, level: str) -> None:
        self.result.setText(text)
        self.result.setVisible(bool(text))
        set_level(self.result, level)

    def focus_first(self) -> None:
        if self.family_name.isEnabled():
            self.family_name.setFocus()
            self.family_name.selectAll()

    # -- what the agent does --------------------------------------------------------------

    def claim(self) -> Claim:
        return Claim(
            family_name=self.family_name.text(),
            given_name=self.given_name.text(),
            birth_date=self.birth_date.text(),
            mrn=self.mrn.text(),
        )

    def _submit_claim(self) -> None:
        if self._open:
            self.verify_requested.emit(self.claim())

    def _chosen_reason(self) -> RevealReason | None:
        code = self.reveal_reason.currentData()
        return next((r for r in self._reasons if r.code == code), None)

    def _update_reveal_button(self) -> None:
        reason = self._chosen_reason()
        ready = reason is not None and (not reason.note_required or self.reveal_note.text().strip())
        self.reveal_button.setEnabled(self._open and bool(ready))

    def _submit_reveal(self) -> None:
        reason = self._chosen_reason()
        if reason is None or not self.reveal_button.isEnabled():
            return
        self.reveal_requested.emit(reason.audit_text(self.reveal_note.text()))
