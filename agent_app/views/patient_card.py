"""The patient card: what the agent needs to greet the caller, and the rest masked until the
caller's identity is verified (HIPAA 164.514(h), minimum necessary).

Before verification it shows the first name, the care program and the campaign; the full
name, date of birth, MRN and phones are masked (the record's own masked forms, marked
"verify to show"). Every value is plain text. The identity form sits underneath.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from agent_app.store.records import PatientRecord
from agent_app.views import shortcuts
from agent_app.views.calling_rules import BADGE_LEVEL, rule_text
from agent_app.views.forms import child, load_form
from agent_app.views.identity_form import IdentityForm
from agent_app.views.styling import set_level, set_masked
from agent_app.workflow.dial_rules import Level, Verdict
from agent_app.workflow.identity_gate import IdentityStatus, Verification
from agent_app.workflow.reveal_reasons import RevealReason

_FIELDS = ("fullName", "birthDate", "mrn", "phones", "language", "careProgram", "campaign")


class PatientCard(QWidget):
    def __init__(self, reasons: Sequence[RevealReason], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patientCard")
        form = load_form("patient_card.ui", self)
        self.greeting = child(form, QLabel, "greetingName")
        self.badge = child(form, QLabel, "identityBadge")
        self.read_only_banner = child(form, QLabel, "readOnlyBanner")
        self.compliance = child(form, QLabel, "complianceBadge")
        self.compliance_reason = child(form, QLabel, "complianceReason")
        self.show_compliance(None)
        self.fields = {name: child(form, QLabel, name) for name in _FIELDS}
        self.other_patient_button = child(form, QPushButton, "otherPatientButton")
        self.search_button = child(form, QPushButton, "searchButton")
        self.search_button.setToolTip(shortcuts.tooltip("search"))
        host = child(form, QWidget, "identityHost")
        self.identity = IdentityForm(reasons, host)
        layout = QVBoxLayout(host)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.identity)

    def show_patient(
        self,
        record: PatientRecord,
        status: IdentityStatus,
        *,
        campaigns: Sequence[str],
        max_attempts: int,
        read_only: bool,
        can_pick_other: bool,
    ) -> None:
        visible = status.sensitive_visible
        self.greeting.setText(record.given_name)
        self._show_badge(status, max_attempts)
        self.read_only_banner.setVisible(read_only)
        masked = record.masked()
        hidden = self.tr("(verify to show)")
        if visible:
            self._set("fullName", f"{record.given_name} {record.family_name}")
            self._set("birthDate", record.birth_date)
            self._set("mrn", record.mrn)
            phones = [f"{self._kind(p.kind)} {p.number}" for p in record.phones]
        else:
            self._set("fullName", f"{record.given_name} {masked.family_initial} {hidden}", True)
            self._set("birthDate", f"{masked.birth_year} {hidden}", True)
            self._set("mrn", f"{masked.mrn_tail} {hidden}", True)
            tails = zip(record.phones, masked.phone_tails, strict=True)
            phones = [f"{self._kind(p.kind)} {tail}" for p, tail in tails]
        self._set("phones", "\n".join(phones) or self.tr("none on file"), not visible)
        self._set("language", _language_name(record.language))
        self._set("careProgram", record.care_program or self.tr("none"))
        self._set("campaign", ", ".join(campaigns) or self.tr("none"))
        self.other_patient_button.setVisible(can_pick_other and not read_only)
        self.search_button.setVisible(not read_only)
        self.identity.setVisible(not read_only and not visible)
        self.identity.show_status(status, max_attempts)

    def show_compliance(self, verdict: Verdict | None, *, again: bool = False) -> None:
        """The calling rules' indicator: may this patient be called now (None: no rules to
        show); ``again``: the card's call is itself an outbound attempt, so the words say
        whether the patient may be called again. Always words beside the colour, and the
        reason once it is not green."""
        shown = verdict is not None
        self.compliance.setVisible(shown)
        self.compliance_reason.setVisible(shown and bool(verdict and verdict.reason))
        if verdict is None:
            return
        text = {
            Level.GREEN: self.tr("May be called again") if again else self.tr("May be called"),
            Level.AMBER: self.tr("Calling hours closing"),
            Level.RED: self.tr("No further call now") if again else self.tr("Not callable now"),
        }[verdict.level]
        reason = rule_text(verdict)
        self.compliance.setText(text)
        set_level(self.compliance, BADGE_LEVEL[verdict.level])
        self.compliance_reason.setText(reason)
        described = f"{text}. {reason}" if reason else text
        self.compliance.setAccessibleDescription(described)
        self.compliance.setToolTip(reason)

    def _set(self, name: str, text: str, masked: bool = False) -> None:
        label = self.fields[name]
        label.setText(text)
        set_masked(label, masked)

    def _kind(self, kind: str) -> str:
        known = {"home": self.tr("home"), "mobile": self.tr("mobile"), "work": self.tr("work")}
        return known.get(kind, kind)

    def _show_badge(self, status: IdentityStatus, max_attempts: int) -> None:
        if status.state is Verification.VERIFIED:
            text, level = self.tr("Identity verified"), "ok"
        elif status.state is Verification.REVEALED:
            text, level = self.tr("Shown without verification"), "warning"
        elif status.state is Verification.LOCKED:
            text, level = self.tr("Locked: identity not verified"), "problem"
        else:
            text, level = self.tr("Not verified yet"), "neutral"
        self.badge.setText(text)
        set_level(self.badge, level)
        detail = ""
        if status.state is Verification.REVEALED and status.reveal_reason:
            detail = self.tr("Reason: {reason}").format(reason=status.reveal_reason)
        elif status.failed_attempts:
            detail = self.tr("Failed checks: {failed} of {limit}").format(
                failed=status.failed_attempts, limit=max_attempts
            )
        self.badge.setToolTip(detail)
        self.badge.setAccessibleDescription(detail)


def _language_name(code: str) -> str:
    """``"es"`` → "Spanish" (in the desk's language); an unknown code is shown as given."""
    locale = QLocale(code)
    if locale.language() in (QLocale.Language.C, QLocale.Language.AnyLanguage):
        return code
    return QLocale.languageToString(locale.language())
