"""Patient import from CSV and from FHIR R4 Patient resources (a Bundle or a single resource).

Each source row becomes a :class:`server.schemas.PatientIn` or a numbered error naming the row
and the field (never the value: values are PHI). Phone numbers are normalised to E.164.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from pydantic import ValidationError
from sqlalchemy.orm import Session

from server import content
from server.schemas import PatientIn

CSV_COLUMNS = (
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
    "address_city",
    "address_state",
)
"""``phones`` holds ``+15555550101:mobile;+15555550102:home`` (kind optional, default mobile)."""

TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"
_STATE_ZONES = {
    "CA": "America/Los_Angeles",
    "WA": "America/Los_Angeles",
    "OR": "America/Los_Angeles",
    "NV": "America/Los_Angeles",
    "AZ": "America/Phoenix",
    "CO": "America/Denver",
    "UT": "America/Denver",
    "NM": "America/Denver",
    "TX": "America/Chicago",
    "IL": "America/Chicago",
    "MN": "America/Chicago",
    "MO": "America/Chicago",
    "LA": "America/Chicago",
    "WI": "America/Chicago",
    "AL": "America/Chicago",
    "HI": "Pacific/Honolulu",
    "AK": "America/Anchorage",
}


class ImportFormatError(ValueError):
    """The document as a whole cannot be read (not CSV with the right header, not FHIR JSON)."""


@dataclass
class ParsedImport:
    patients: list[PatientIn] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _phone(raw: str, region: str = "US") -> str:
    parsed = phonenumbers.parse(raw, region)
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("phone number is not possible")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _bool(raw: str | None, default: bool) -> bool:
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "y"):
        return True
    if value in ("0", "false", "no", "n"):
        return False
    raise ValueError("expected true/false")


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


def parse_csv(text: str) -> ParsedImport:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = set(reader.fieldnames or [])
    except csv.Error as exc:
        raise ImportFormatError(f"CSV header cannot be read ({exc})") from None
    missing = {"mrn", "given_name", "family_name", "birth_date"} - header
    if missing:
        raise ImportFormatError(f"CSV header lacks columns: {sorted(missing)}")
    unknown = header - set(CSV_COLUMNS)
    if unknown:
        raise ImportFormatError(f"CSV header has unknown columns: {sorted(unknown)}")
    out = ParsedImport()
    for number, row in _rows(reader):
        if row is None:
            out.errors.append(
                f"line {number}: not readable as CSV (a field too long, or bad quoting)"
            )
            continue
        try:
            phones = []
            for part in (row.get("phones") or "").split(";"):
                if not part.strip():
                    continue
                num, _, kind = part.strip().partition(":")
                phones.append({"number": _phone(num), "kind": kind or "mobile"})
            data: dict[str, Any] = {
                k: v
                for k, v in row.items()
                if k in CSV_COLUMNS and k not in ("phones", "consent_calls", "do_not_call") and v
            }
            data["phones"] = phones
            data["consent_calls"] = _bool(row.get("consent_calls"), True)
            data["do_not_call"] = _bool(row.get("do_not_call"), False)
            out.patients.append(PatientIn.model_validate(data))
        except ValidationError as exc:
            out.errors.append(f"line {number}: {_describe(exc)}")
        except (ValueError, phonenumbers.NumberParseException) as exc:
            out.errors.append(f"line {number}: {type(exc).__name__}: {_safe(exc)}")
    return out


def _rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """The rows with their line numbers; None for a row the parser refuses (a field over its
    size limit), so the rows after it are still read."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield reader.line_num + 1, None
            continue
        yield reader.line_num, row


def _safe(exc: Exception) -> str:
    # phonenumbers puts the input in some messages; keep only our own wording.
    text = str(exc)
    return text if not any(ch.isdigit() for ch in text) else "invalid value"


def _first_given(given: Any) -> str:
    """The first given name. FHIR makes ``given`` a list; a bare string (seen in the wild) is
    one whole name, not a list of letters."""
    if isinstance(given, str):
        return given
    if isinstance(given, list) and given:
        return given[0] if isinstance(given[0], str) else ""
    return ""


def _fhir_patient(resource: dict[str, Any]) -> PatientIn:
    identifiers = resource.get("identifier") or []
    mrn = None
    for ident in identifiers:
        codings = ((ident.get("type") or {}).get("coding")) or []
        if any(c.get("code") == "MR" for c in codings):
            mrn = ident.get("value")
            break
    if mrn is None and identifiers:
        mrn = identifiers[0].get("value")
    if mrn is None:
        mrn = resource.get("id")
    names = resource.get("name") or []
    name = next(
        (n for n in names if n.get("use") in ("official", "usual")), names[0] if names else {}
    )
    phones = []
    for telecom in resource.get("telecom") or []:
        if telecom.get("system") != "phone" or not telecom.get("value"):
            continue
        use = telecom.get("use")
        kind = use if use in ("mobile", "home", "work") else "mobile"
        phones.append({"number": _phone(str(telecom["value"])), "kind": kind})
    language = "en"
    comms = resource.get("communication") or []
    preferred = next((c for c in comms if c.get("preferred")), comms[0] if comms else None)
    if preferred:
        codings = (preferred.get("language") or {}).get("coding") or []
        if codings and codings[0].get("code"):
            language = str(codings[0]["code"]).split("-")[0].lower()
    addresses = resource.get("address") or []
    address = addresses[0] if addresses else {}
    state = address.get("state")
    zone = next(
        (
            e.get("valueCode")
            for e in resource.get("extension") or []
            if e.get("url") == TIMEZONE_EXTENSION
        ),
        None,
    ) or _STATE_ZONES.get(state or "", "America/New_York")
    data = {
        "mrn": mrn,
        "given_name": _first_given(name.get("given")),
        "family_name": name.get("family") or "",
        "birth_date": resource.get("birthDate"),
        "phones": phones,
        "language": language,
        "time_zone": zone,
        "address_city": address.get("city"),
        "address_state": state,
        "do_not_call": False,
        "consent_calls": True,
    }
    return PatientIn.model_validate(data)


def parse_fhir(document: Any) -> ParsedImport:
    if not isinstance(document, dict):
        raise ImportFormatError("FHIR document must be a JSON object")
    kind = document.get("resourceType")
    if kind == "Patient":
        resources: Iterable[Any] = [document]
    elif kind == "Bundle":
        entries = document.get("entry") or []
        if not isinstance(entries, list):
            raise ImportFormatError("a Bundle's entry must be a list")
        # A malformed entry (not an object) is reported with its number like any bad patient.
        resources = [e.get("resource") if isinstance(e, dict) else e for e in entries]
    else:
        raise ImportFormatError("expected a FHIR R4 Bundle or Patient resource")
    out = ParsedImport()
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            out.errors.append(f"entry {index}: not a FHIR resource object")
            continue
        if resource.get("resourceType") != "Patient":
            continue
        try:
            out.patients.append(_fhir_patient(resource))
        except ValidationError as exc:
            out.errors.append(f"entry {index}: {_describe(exc)}")
        except (
            ValueError,
            TypeError,
            AttributeError,
            KeyError,
            IndexError,
            RecursionError,
            phonenumbers.NumberParseException,
        ) as exc:
            out.errors.append(f"entry {index}: {type(exc).__name__}: {_safe(exc)}")
    return out


def store(
    session: Session,
    parsed: ParsedImport,
    *,
    campaign_id: str | None,
    list_name: str,
    actor_id: str | None,
) -> tuple[int, int]:
    """Upsert the parsed patients (and put them on a campaign list); returns (created, updated)."""
    created = updated = 0
    ids = []
    for patient in parsed.patients:
        row, was_created = content.upsert_patient(session, patient)
        ids.append(row.id)
        created += was_created
        updated += not was_created
    session.flush()
    if campaign_id is not None and ids:
        content.add_to_list(session, campaign_id, list_name, ids, actor_id=actor_id)
    content.audit(
        session,
        actor_id,
        "patients.import",
        "campaign",
        campaign_id,
        created=created,
        updated=updated,
        errors=len(parsed.errors),
    )
    return created, updated
