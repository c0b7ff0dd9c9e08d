"""Small immutable records the store hands out; their text forms never show patient data.

A :class:`PatientRecord` goes to the screen-pop and the workflow; its ``repr`` and ``str``
show only the record id, so a record that slips into a log line or a traceback leaks
nothing. :meth:`PatientRecord.masked` gives the forms a card shows before identity has
been verified.
"""

from __future__ import annotations

from dataclasses import dataclass


def _mask_tail(value: str, keep: int) -> str:
    if len(value) <= keep:
        return "•" * len(value)
    return "•" * (len(value) - keep) + value[-keep:]


@dataclass(frozen=True, slots=True, repr=False)
class Phone:
    number: str  # E.164
    kind: str

    def __repr__(self) -> str:
        return f"Phone(kind={self.kind!r})"


@dataclass(frozen=True, slots=True, repr=False)
class MaskedPatient:
    """What a card shows before the caller's identity is verified."""

    given_initial: str
    family_initial: str
    birth_year: str
    phone_tails: tuple[str, ...]
    mrn_tail: str

    def __repr__(self) -> str:
        return "MaskedPatient(...)"


@dataclass(frozen=True, slots=True, repr=False)
class PatientRecord:
    id: str
    mrn: str
    given_name: str
    family_name: str
    birth_date: str  # YYYY-MM-DD
    phones: tuple[Phone, ...]
    language: str
    time_zone: str
    consent_calls: bool
    do_not_call: bool
    care_program: str | None
    campaign_ids: tuple[str, ...]
    version: int

    def __repr__(self) -> str:
        return f"PatientRecord(id={self.id!r})"

    __str__ = __repr__

    def masked(self) -> MaskedPatient:
        return MaskedPatient(
            given_initial=self.given_name[:1] + "•••",
            family_initial=self.family_name[:1] + "•••",
            birth_year="••••",
            phone_tails=tuple(_mask_tail(p.number, 2) for p in self.phones),
            mrn_tail=_mask_tail(self.mrn, 3),
        )


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One journal entry waiting for the server: ``payload`` is the intake item's payload."""

    id: str
    kind: str
    created_at: str
    call_id: str | None
    payload: dict[str, object]
    attempts: int

    def __repr__(self) -> str:  # payloads may hold notes and numbers
        return f"OutboxItem(id={self.id!r}, kind={self.kind!r}, attempts={self.attempts})"

    def intake_item(self) -> dict[str, object]:
        """The item as ``POST /api/v1/intake`` takes it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "created_at": self.created_at,
            "payload": self.payload,
        }


@dataclass(frozen=True, slots=True)
class ParkedItem:
    id: str
    kind: str
    created_at: str
    reason: str
    parked_at: str


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int
    in_flight: int
    parked: int
    by_kind: dict[str, int]

    @property
    def unsynced(self) -> int:
        return self.pending + self.in_flight + self.parked
