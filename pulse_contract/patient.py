"""What a valid patient is, as one table of field rules for the server and the desktop's cache."""

from __future__ import annotations

from typing import Final, Literal, get_args

from pulse_contract.rules import ID_LENGTH, Field, compile_reader

E164: Final = r"\+[1-9][0-9]{6,14}"
"""A phone number: E.164 with its "+", ASCII digits only."""
LANGUAGE: Final = r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?"
"""A language tag: "en", "es", "pt-BR"."""
US_STATE: Final = r"[A-Z]{2}"
PhoneKind = Literal["mobile", "home", "work"]
PHONE_KINDS: Final[tuple[str, ...]] = get_args(PhoneKind)
MAX_PHONES: Final = 10
NAME_LENGTH: Final = 200

FIELDS: Final = (
    Field("id", "text", required=True, min_length=1, max_length=ID_LENGTH, assigned=True),
    Field("mrn", "text", required=True, min_length=1, max_length=64),
    Field("given_name", "text", required=True, min_length=1, max_length=NAME_LENGTH),
    Field("family_name", "text", required=True, min_length=1, max_length=NAME_LENGTH),
    Field("birth_date", "date", required=True),
    Field("phones", "list", max_length=MAX_PHONES, default=()),
    Field("language", "text", pattern=LANGUAGE, default="en", repeats=True),
    Field("time_zone", "text", min_length=1, max_length=64, default="America/New_York"),
    Field("consent_calls", "bool", default=True),
    Field("do_not_call", "bool", default=False),
    Field("care_program", "text", nullable=True, max_length=NAME_LENGTH),
    Field("campaign_ids", "ids", required=True, min_length=1, assigned=True),
    Field("address_city", "text", nullable=True, max_length=NAME_LENGTH),
    Field("address_state", "text", nullable=True, pattern=US_STATE, repeats=True),
    Field("version", "int", assigned=True),
)
"""A patient as the sync feed sends it, in the feed's order. An import or an upsert sends
all but the ``assigned`` fields, and the server also wants a time zone it knows."""

PHONE_FIELDS: Final = (
    Field("number", "text", required=True, pattern=E164),
    Field("kind", "text", choices=PHONE_KINDS, default="mobile"),
)
"""One entry of ``phones``, checked on its own (:func:`read_phone`): the server refuses an
import with a broken phone, while a reader may leave that phone out and keep the patient."""

FIELD: Final = {f.name: f for f in FIELDS}
PHONE_FIELD: Final = {f.name: f for f in PHONE_FIELDS}

read_patient: Final = compile_reader(FIELDS, "read_patient")
"""The values of a valid patient item in :data:`FIELDS` order (None for a field left out),
its ``phones`` entries as sent; raises :class:`~pulse_contract.rules.ContractViolationError`."""
read_phone: Final = compile_reader(PHONE_FIELDS, "read_phone")
"""The values of a valid ``phones`` entry; raises as :func:`read_patient` does."""
