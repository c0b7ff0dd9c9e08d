"""Small immutable records the store hands out; their text forms never show patient data.

A :class:`PatientRecord` goes to the screen-pop and the workflow; its ``repr`` and ``str``
show only the record id, so a record that slips into a log line or a traceback leaks
nothing. :meth:`PatientRecord.masked` gives the forms a card shows before identity has
been verified.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import FrozenInstanceError, dataclass
from typing import Any


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


PACKED_SEP = "\x1f"
"""Joins the phones (each its kind then its E.164 number) and the campaign ids that a
cache row carries as text: cheaper than JSON to write a million times and to read on
every lookup."""


def unpack_phones(packed: str) -> tuple[Phone, ...]:
    if not packed:
        return ()
    phones = []
    for entry in packed.split(PACKED_SEP):
        kind, _, digits = entry.partition("+")
        phones.append(Phone("+" + digits, kind))
    return tuple(phones)


_FIELDS = (
    "id",
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "phones",
    "language",
    "time_zone",
    "consent_calls",
    "do_not_call",
    "care_program",
    "campaign_ids",
    "version",
)


class PatientRecord:
    """One patient as the card and the workflow see it; immutable, compared by value.

    It keeps the cache row it was read from (the columns in :data:`_FIELDS` order, phones
    and campaign ids packed as text) and reads fields from it on access: a screen-pop
    builds one small object per match, and the phones and campaign ids are unpacked
    only when something asks for them. Built by keywords, it keeps the tuples given.
    """

    __slots__ = ("_row",)
    _row: tuple[Any, ...]

    def __init__(  # noqa: PLR0917 - positional too, as the dataclass it replaced
        self,
        id: str,
        mrn: str,
        given_name: str,
        family_name: str,
        birth_date: str,  # YYYY-MM-DD
        phones: Iterable[Phone],
        language: str,
        time_zone: str,
        consent_calls: bool,
        do_not_call: bool,
        care_program: str | None,
        campaign_ids: Iterable[str],
        version: int,
    ) -> None:
        row = (
            id,
            mrn,
            given_name,
            family_name,
            birth_date,
            tuple(phones),
            language,
            time_zone,
            consent_calls,
            do_not_call,
            care_program,
            tuple(campaign_ids),
            version,
        )
        object.__setattr__(self, "_row", row)

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> PatientRecord:
        """A record over a cache row (``_FIELDS`` order, packed phones and campaigns)."""
        record = object.__new__(cls)
        _set_row(record, row)
        return record

    @property
    def id(self) -> str:
        return str(self._row[0])

    @property
    def mrn(self) -> str:
        return str(self._row[1])

    @property
    def given_name(self) -> str:
        return str(self._row[2])

    @property
    def family_name(self) -> str:
        return str(self._row[3])

    @property
    def birth_date(self) -> str:
        return str(self._row[4])

    @property
    def phones(self) -> tuple[Phone, ...]:
        value = self._row[5]
        return value if type(value) is tuple else unpack_phones(value)

    @property
    def language(self) -> str:
        return str(self._row[6])

    @property
    def time_zone(self) -> str:
        return str(self._row[7])

    @property
    def consent_calls(self) -> bool:
        return bool(self._row[8])

    @property
    def do_not_call(self) -> bool:
        return bool(self._row[9])

    @property
    def care_program(self) -> str | None:
        value = self._row[10]
        return None if value is None else str(value)

    @property
    def campaign_ids(self) -> tuple[str, ...]:
        value = self._row[11]
        if type(value) is tuple:
            return value
        return tuple(value.split(PACKED_SEP)) if value else ()

    @property
    def version(self) -> int:
        return int(self._row[12])

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    def __eq__(self, other: object) -> bool:
        if type(other) is not PatientRecord:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

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


_set_row = PatientRecord.__dict__["_row"].__set__  # the slot's own setter, past __setattr__


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
