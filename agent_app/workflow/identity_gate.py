"""One call's identity gate: which patient the call is about, and whether the caller proved it.

Until the caller gives two identifiers that match the record (:mod:`identity`), the card
stays masked; the agent may instead reveal it for a stated reason. Every check (passed or
failed) and every reveal goes to the audit sink *before* it takes effect, carrying the
call's record id and the patient id only. Too many failed checks lock the call: no more
checks, no reveal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from agent_app.workflow.identity import (
    Claim,
    IdentityCheck,
    IdentityRecord,
    Outcome,
    check_identity,
)


class AuditSink(Protocol):
    """Where audit events go (``Journal.audit`` fits); a failure must raise."""

    def __call__(
        self, action: str, *, patient_id: str | None, reason: str, result: str
    ) -> object: ...


class MatchKind(StrEnum):
    ONE = "one"
    SEVERAL = "several"
    """A family phone: the agent must pick; the call is never linked to one by itself."""
    NONE = "none"
    UNAVAILABLE = "unavailable"
    """The cache could not be asked (locked, damaged): the agent searches by hand."""


@dataclass(frozen=True)
class PatientMatch:
    kind: MatchKind
    candidates: tuple[str, ...] = ()

    @classmethod
    def of(cls, patient_ids: Sequence[str]) -> PatientMatch:
        ids = tuple(dict.fromkeys(patient_ids))
        kind = {0: MatchKind.NONE, 1: MatchKind.ONE}.get(len(ids), MatchKind.SEVERAL)
        return cls(kind, ids)


class Verification(StrEnum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    REVEALED = "revealed"
    """Shown without verification, for a stated reason (audited)."""
    LOCKED = "locked"
    """Too many failed attempts on this call: no more checks, no reveal."""


@dataclass(frozen=True)
class IdentityStatus:
    state: Verification = Verification.UNVERIFIED
    failed_attempts: int = 0
    reveal_reason: str | None = None
    last_check: IdentityCheck | None = None

    @property
    def sensitive_visible(self) -> bool:
        return self.state in (Verification.VERIFIED, Verification.REVEALED)


class IdentityGate:
    def __init__(
        self, *, record_id: str, audit: AuditSink, max_attempts: int, day_first: bool
    ) -> None:
        self._why = f"call {record_id}"
        self._audit, self._max_attempts, self._day_first = audit, max_attempts, day_first
        self.match = PatientMatch(MatchKind.NONE)
        self.patient_id: str | None = None
        self.status = IdentityStatus()

    def set_match(self, match: PatientMatch) -> None:
        """The caller-id lookup's result; one match links the call, several never do."""
        self.match = match
        if match.kind is MatchKind.ONE and self.patient_id is None:
            self.patient_id = match.candidates[0]

    def choose_patient(self, patient_id: str) -> bool:
        """Link the call to a patient (a pick among matches, or a search result)."""
        if not patient_id or patient_id == self.patient_id:
            return False
        self.patient_id = patient_id
        locked = self.status.state is Verification.LOCKED
        # Failed attempts stay with the call: trying each member of a household in turn
        # must not reset the count.
        self.status = IdentityStatus(
            Verification.LOCKED if locked else Verification.UNVERIFIED,
            self.status.failed_attempts,
        )
        return True

    def verify(self, record: IdentityRecord, claim: Claim) -> IdentityStatus:
        """Check what the caller said against ``record`` (linking the call to it)."""
        if self.status.state is Verification.LOCKED:
            return self.status
        self.choose_patient(record.id)
        check = check_identity(record, claim, day_first=self._day_first)
        if check.outcome is Outcome.INSUFFICIENT:
            self.status = replace(self.status, last_check=check)
            return self.status
        ok = check.outcome is Outcome.MATCH
        failed = self.status.failed_attempts + (0 if ok else 1)
        result = "verified" if ok else f"not verified ({failed} of {self._max_attempts})"
        self._audit("verify_identity", patient_id=record.id, reason=self._why, result=result)
        if ok:
            state = Verification.VERIFIED
        else:
            locked = failed >= self._max_attempts
            state = Verification.LOCKED if locked else Verification.UNVERIFIED
        self.status = IdentityStatus(state, failed, None, check)
        return self.status

    def reveal(self, reason: str) -> bool:
        """Show the masked fields without verification, for a reason code (audited)."""
        reason = reason.strip()
        unverified = self.status.state is Verification.UNVERIFIED
        if self.patient_id is None or not reason or not unverified:
            return False
        self._audit(
            "reveal",
            patient_id=self.patient_id,
            reason=f"{self._why}: {reason}"[:500],
            result="card",
        )
        self.status = replace(self.status, state=Verification.REVEALED, reveal_reason=reason)
        return True
