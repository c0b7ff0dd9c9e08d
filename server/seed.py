"""``pulse-server seed-demo``: a synthetic demo world, deterministic and idempotent.

Invented names, 555-01xx numbers, made-up MRNs: never real data. Every id is a UUID5 of a fixed
namespace, so running it twice changes nothing, and running it with more patients adds the missing
ones. The demo agent is ``demo`` with a known password (printed; settable) and the phone extension
1001 on a PBX at 127.0.0.1 (a synthetic password, stored encrypted like any other). The campaigns
carry transfer directories, an after-call work time, an approved voicemail message (the demo
desk ships a synthetic placeholder of it) and a progressive preview time; the check-in campaign
needs recording consent and its script asks for it. The usual not-ready reasons are on the
list.

The first demo patients are the demo's cases (:data:`DEMO_CASES`), the same in every demo world:
a patient with a number of their own, a household number two patients share, a number nobody
has, a Spanish-speaking patient, and a patient who asked to be called back (a callback request
on record, due on the day the world was seeded). ``make run``'s demo caller rings from their
numbers in turn.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from server import content, intake, outbound, throttle
from server.db import next_seq
from server.models import (
    Assignment,
    Campaign,
    CodeTree,
    CodeTreeVersion,
    Device,
    IntakeItem,
    ListEntry,
    NotReadyReason,
    Patient,
    PatientList,
    PhoneExtension,
    Script,
    ScriptVersion,
    Team,
    TeamMember,
    User,
)
from server.schemas import CallbackPayload
from server.security import hash_password
from server.sip_secrets import SipSecretBox

NAMESPACE = uuid.UUID("5b0c63a4-1f7e-4c55-9d3e-6b1d2f0a9c11")
DEMO_AGENT = "demo"
DEMO_PASSWORD = "pulse-demo-2024"  # noqa: S105 (synthetic demo world, printed)
ADMIN_USER = "admin"
ADMIN_PASSWORD = "pulse-admin-2024"  # noqa: S105 (synthetic demo world)
SUPERVISOR_USER = "lead"
DEMO_EXTENSION = {
    "sip_username": "1001",
    "domain": "127.0.0.1",
    "registrar": "127.0.0.1",
    "transport": "udp",
}
DEMO_SIP_PASSWORD = "pulse-sip-1001"  # noqa: S105 (synthetic demo world)

GIVEN = [
    "Avery",
    "Jordan",
    "Rowan",
    "Elio",
    "Marisol",
    "Tavi",
    "Quinn",
    "Lio",
    "Nerea",
    "Oren",
    "Ximena",
    "Calder",
    "Ines",
    "Bodhi",
    "Yara",
    "Soren",
    "Maelle",
    "Dario",
    "Kaia",
    "Tobin",
]
FAMILY = [
    "Brightwater",
    "Quillfeather",
    "Ravensdale",
    "Ocampo-Lune",
    "Thistlewood",
    "Vantreese",
    "Marrowby",
    "Solenne",
    "Kettering-Vale",
    "Duvessa",
    "Pellham",
    "Arroyo-Brisa",
    "Windmere",
    "Castellane",
    "Orvane",
    "Halloway",
    "Seraphin",
    "Tamsworth",
]
PLACES = [
    ("Springfield", "IL", "America/Chicago"),
    ("Riverton", "WY", "America/Denver"),
    ("Fairview", "CA", "America/Los_Angeles"),
    ("Greenville", "SC", "America/New_York"),
    ("Franklin", "TX", "America/Chicago"),
    ("Clinton", "NY", "America/New_York"),
    ("Madison", "AZ", "America/Phoenix"),
]
PROGRAMS = ["Diabetes care", "Heart failure follow-up", "Flu vaccination", None]


def did(kind: str, key: str | int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _step(
    sid: str,
    text: str,
    nxt: str | None = None,
    branches: list[tuple[str, str]] | None = None,
    *,
    kind: str = "say",
) -> dict[str, Any]:
    step: dict[str, Any] = {
        "id": sid,
        "text": text,
        "next": nxt,
        "branches": [{"answer": a, "next": n} for a, n in branches or []],
    }
    if kind != "say":
        step["kind"] = kind
    return step


REMINDER_SCRIPT = {
    "en": {
        "steps": [
            _step(
                "greet",
                "Hello, may I speak with {{patient.given_name}}? This is {{agent.display_name}} "
                "calling from the clinic.",
                "notice",
            ),
            _step(
                "notice",
                "Before we go on: this call is recorded for quality and training purposes.",
                "verify",
                kind="disclosure",
            ),
            _step(
                "verify",
                "Before we continue, could you confirm your date of birth?",
                None,
                [("confirmed", "remind"), ("not the patient", "message")],
            ),
            _step(
                "remind",
                "Thank you, {{patient.given_name}} {{patient.family_name}}. You have an "
                "appointment on {{appointment.time}}. Will you be able to attend?",
                None,
                [("yes", "close"), ("no", "reschedule")],
            ),
            _step("reschedule", "Let's find a better time. Which day works for you?", "close"),
            _step("message", "Please ask {{patient.given_name}} to call us back. Thank you.", None),
            _step("close", "Thank you, {{patient.given_name}}. Have a good day.", None),
        ]
    },
    "es": {
        "steps": [
            _step(
                "greet",
                "Hola, ¿puedo hablar con {{patient.given_name}}? Le habla "
                "{{agent.display_name}} de la clínica.",
                "notice",
            ),
            _step(
                "notice",
                "Antes de seguir: esta llamada se graba con fines de calidad y formación.",
                "verify",
                kind="disclosure",
            ),
            _step(
                "verify",
                "Antes de continuar, ¿podría confirmar su fecha de nacimiento?",
                None,
                [("confirmado", "remind"), ("no es el paciente", "message")],
            ),
            _step(
                "remind",
                "Gracias, {{patient.given_name}} {{patient.family_name}}. Tiene una cita el "
                "{{appointment.time}}. ¿Podrá asistir?",
                None,
                [("sí", "close"), ("no", "reschedule")],
            ),
            _step("reschedule", "Busquemos otro horario. ¿Qué día le conviene?", "close"),
            _step(
                "message",
                "Por favor pida a {{patient.given_name}} que nos devuelva la llamada.",
                None,
            ),
            _step("close", "Gracias, {{patient.given_name}}. Que tenga un buen día.", None),
        ]
    },
}

FOLLOWUP_SCRIPT = {
    "en": {
        "steps": [
            _step(
                "greet",
                "Hello {{patient.given_name}}, this is {{agent.display_name}} following up "
                "after your recent hospital stay.",
                "verify",
            ),
            _step("verify", "To protect your privacy, please confirm your date of birth.", "meds"),
            _step(
                "meds",
                "Have you been able to pick up and take your new medications?",
                None,
                [("yes", "symptoms"), ("no", "pharmacy")],
            ),
            _step(
                "pharmacy",
                "I can connect you with our pharmacy team. Shall I transfer you?",
                "symptoms",
            ),
            _step(
                "symptoms",
                "Any new or worsening symptoms since you went home?",
                None,
                [("yes", "nurse"), ("no", "close")],
            ),
            _step("nurse", "I will transfer you to a nurse now.", None),
            _step("close", "Thank you, {{patient.given_name}}. Call us any time.", None),
        ]
    },
    "es": {
        "steps": [
            _step(
                "greet",
                "Hola {{patient.given_name}}, le llama {{agent.display_name}} para dar "
                "seguimiento a su reciente estancia en el hospital.",
                "verify",
            ),
            _step(
                "verify", "Para proteger su privacidad, confirme su fecha de nacimiento.", "meds"
            ),
            _step(
                "meds",
                "¿Ha podido recoger y tomar sus nuevos medicamentos?",
                None,
                [("sí", "symptoms"), ("no", "pharmacy")],
            ),
            _step("pharmacy", "Puedo comunicarle con farmacia. ¿Le transfiero?", "symptoms"),
            _step(
                "symptoms",
                "¿Tiene síntomas nuevos o peores desde que volvió a casa?",
                None,
                [("sí", "nurse"), ("no", "close")],
            ),
            _step("nurse", "Le transfiero ahora con una enfermera.", None),
            _step("close", "Gracias, {{patient.given_name}}. Llámenos cuando lo necesite.", None),
        ]
    },
}

CHECKIN_SCRIPT = {
    "en": {
        "steps": [
            _step(
                "greet",
                "Hello {{patient.given_name}}, this is {{agent.display_name}} from your care "
                "team, calling for your regular check-in.",
                "consent",
            ),
            _step(
                "consent",
                "This call is recorded for your care record. Do you agree to the recording?",
                None,
                [("yes, I agree", "verify"), ("no, do not record", "verify")],
                kind="disclosure",
            ),
            _step("verify", "To protect your privacy, please confirm your date of birth.", "how"),
            _step(
                "how",
                "How have you been feeling since we last spoke?",
                None,
                [("well", "readings"), ("not well", "nurse")],
            ),
            _step("readings", "Have your recent readings been in the usual range?", "close"),
            _step("nurse", "I will connect you with a nurse now.", None),
            _step("close", "Thank you, {{patient.given_name}}. We will call again soon.", None),
        ]
    },
    "es": {
        "steps": [
            _step(
                "greet",
                "Hola {{patient.given_name}}, le llama {{agent.display_name}} de su equipo de "
                "atención para su control de rutina.",
                "consent",
            ),
            _step(
                "consent",
                "Esta llamada se graba para su historial de atención. ¿Acepta la grabación?",
                None,
                [("sí, acepto", "verify"), ("no, no grabar", "verify")],
                kind="disclosure",
            ),
            _step("verify", "Para proteger su privacidad, confirme su fecha de nacimiento.", "how"),
            _step(
                "how",
                "¿Cómo se ha sentido desde la última vez que hablamos?",
                None,
                [("bien", "readings"), ("mal", "nurse")],
            ),
            _step("readings", "¿Sus mediciones recientes han estado en el rango normal?", "close"),
            _step("nurse", "Le comunico ahora con una enfermera.", None),
            _step("close", "Gracias, {{patient.given_name}}. Le llamaremos pronto.", None),
        ]
    },
}

SCREENING_SCRIPT = {
    "en": {
        "steps": [
            _step(
                "greet",
                "Hello {{patient.given_name}}, this is {{agent.display_name}} from the clinic.",
                "verify",
            ),
            _step("verify", "Could you confirm your date of birth, please?", "offer"),
            _step(
                "offer",
                "You are due for a vaccination or screening. Would you like to book a visit?",
                None,
                [("yes", "book"), ("no", "close")],
            ),
            _step("book", "Which day and time suit you best?", "close"),
            _step("close", "Thank you, {{patient.given_name}}. Take care.", None),
        ]
    },
    "es": {
        "steps": [
            _step(
                "greet",
                "Hola {{patient.given_name}}, le llama {{agent.display_name}} de la clínica.",
                "verify",
            ),
            _step("verify", "¿Podría confirmar su fecha de nacimiento, por favor?", "offer"),
            _step(
                "offer",
                "Le corresponde una vacuna o un estudio preventivo. ¿Desea agendar una cita?",
                None,
                [("sí", "book"), ("no", "close")],
            ),
            _step("book", "¿Qué día y horario le convienen más?", "close"),
            _step("close", "Gracias, {{patient.given_name}}. Cuídese.", None),
        ]
    },
}

CALLBACK_FIELD = {"name": "callback_at", "type": "datetime", "label": "Callback time"}
NOTES_FIELD = {"name": "notes", "type": "text", "label": "Notes"}


def _code(
    code: str,
    label: str,
    children: list[dict[str, Any]] | None = None,
    fields: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "code": code,
        "label": label,
        "children": children or [],
        "required_fields": fields or [],
    }


OUTCOMES = {
    "codes": [
        _code(
            "REACHED",
            "Reached the patient",
            [
                _code("CONFIRMED", "Appointment confirmed"),
                _code("RESCHEDULED", "Appointment rescheduled", fields=[NOTES_FIELD]),
                _code("CALLBACK", "Asked for a callback", fields=[CALLBACK_FIELD]),
                _code("TRANSFERRED", "Transferred to a nurse"),
            ],
        ),
        _code(
            "NOT_REACHED",
            "Did not reach the patient",
            [
                _code("VOICEMAIL", "Left a voicemail"),
                _code("NO_ANSWER", "No answer"),
                _code("WRONG_NUMBER", "Wrong number", fields=[NOTES_FIELD]),
            ],
        ),
        _code("DNC_REQUEST", "Asked not to be called again", fields=[NOTES_FIELD]),
    ]
}


@dataclass(frozen=True)
class DemoWorld:
    agent_username: str
    agent_password: str
    admin_username: str
    admin_password: str
    patients: int
    campaign_ids: tuple[str, ...]
    created: bool


def _user(
    session: Session,
    *,
    username: str,
    display: str,
    role: str,
    password: str | None,
    default_password: str,
) -> bool:
    uid = did("user", username)
    user = session.get(User, uid)
    if user is None:
        session.add(
            User(
                id=uid,
                username=username,
                display_name=display,
                role=role,
                password_hash=hash_password(password or default_password),
            )
        )
        return True
    if password is not None:
        user.password_hash = hash_password(password)
        throttle.clear(session, username)
    return False


def _patient(rng: random.Random, index: int, seq: int) -> Patient:
    city, state, zone = PLACES[rng.randrange(len(PLACES))]
    area = 201 + (index // 100) % 700
    phones = [{"number": f"+1{area}55501{index % 100:02d}", "kind": "mobile"}]
    if rng.random() < 0.3:
        phones.append({"number": f"+1{area + 1}55501{(index * 7) % 100:02d}", "kind": "home"})
    language = "es" if rng.random() < 0.3 else "en"
    return Patient(
        id=did("patient", index),
        mrn=f"DEMO{index:07d}",
        given_name=GIVEN[rng.randrange(len(GIVEN))],
        family_name=FAMILY[rng.randrange(len(FAMILY))],
        birth_date=date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 62)),
        phones={"items": phones},
        language=language,
        time_zone=zone,
        consent_calls=rng.random() > 0.03,
        do_not_call=rng.random() < 0.02,
        care_program=PROGRAMS[rng.randrange(len(PROGRAMS))],
        address_city=city,
        address_state=state,
        seq=seq,
        version=1,
    )


CAMPAIGNS = [
    ("reminders", "Appointment reminders", "preview", "+12025550100", "reminder"),
    ("followup", "Post-discharge follow-up", "progressive", "+12025550101", "followup"),
    ("checkin", "Chronic-disease check-in", "preview", "+12025550102", "checkin"),
    ("screening", "Vaccination and screening", "progressive", "+12025550103", "screening"),
]
"""One campaign of each outbound kind; every demo patient is on one or more of their lists."""
WRAP_UP_S = {"reminders": 45, "followup": 90, "checkin": 75, "screening": 30}
_LATER_CAMPAIGNS = ("checkin", "screening")
"""Campaigns added after the first two: a world seeded before them gains them, and its
patients join their lists by :func:`_later_lists`."""
"""Each demo campaign's after-call work time, in seconds (neither is the server's default)."""
_MIGRATED_WRAP_UP_S = 60
DEMO_VOICEMAIL = "pulse-demo-voicemail.wav"
"""The demo campaigns' approved voicemail message: the demo desk writes a synthetic
placeholder of this name into its ``messages`` folder (a centre records its own)."""
PREVIEW_S = {"reminders": 5, "followup": 8, "checkin": 5, "screening": 6}
"""Each demo campaign's progressive preview, in seconds (the preview campaigns keep the
default: their agent dials)."""
RECORDING_CONSENT = frozenset({"checkin"})
"""Demo campaigns whose calls need all-party consent to the recording (their script asks)."""


@dataclass(frozen=True)
class DemoCase:
    """A kind of call the demo caller places: from ``number``, which belongs to ``patients``
    (indexes of the demo patients; none for an unknown caller)."""

    key: str
    title: str
    number: str
    patients: tuple[int, ...]


# Area code 979 is outside the generated patients' (201-901), so no other patient has these.
DEMO_CASES = (
    DemoCase("known", "a known patient (one match)", "+19795550101", (0,)),
    DemoCase("household", "a household number (two patients)", "+19795550102", (1, 2)),
    DemoCase("unknown", "an unknown caller (search)", "+19795550103", ()),
    DemoCase("spanish", "a Spanish-speaking patient", "+19795550104", (3,)),
    DemoCase("callback", "a patient with a callback due", "+19795550105", (4,)),
)

# The case patients' fixed details, whatever the random draw gave their index.
_CASE_PATIENTS: dict[int, dict[str, Any]] = {
    0: {
        "given_name": "Avery",
        "family_name": "Brightwater",
        "birth_date": date(1958, 3, 14),
        "phones": {"items": [{"number": "+19795550101", "kind": "mobile"}]},
        "language": "en",
        "time_zone": "America/Chicago",
    },
    1: {
        "given_name": "Jordan",
        "family_name": "Thistlewood",
        "birth_date": date(1961, 7, 2),
        "phones": {"items": [{"number": "+19795550102", "kind": "home"}]},
        "language": "en",
        "time_zone": "America/New_York",
    },
    2: {
        "given_name": "Rowan",
        "family_name": "Thistlewood",
        "birth_date": date(1963, 11, 23),
        "phones": {
            "items": [
                {"number": "+19795550112", "kind": "mobile"},
                {"number": "+19795550102", "kind": "home"},
            ]
        },
        "language": "en",
        "time_zone": "America/New_York",
    },
    3: {
        "given_name": "Marisol",
        "family_name": "Arroyo-Brisa",
        "birth_date": date(1949, 5, 30),
        "phones": {"items": [{"number": "+19795550104", "kind": "mobile"}]},
        "language": "es",
        "time_zone": "America/Phoenix",
    },
    4: {
        "given_name": "Oren",
        "family_name": "Vantreese",
        "birth_date": date(1972, 9, 8),
        "phones": {"items": [{"number": "+19795550105", "kind": "mobile"}]},
        "language": "en",
        "time_zone": "America/Denver",
    },
}
_CASE_COMMON = {"consent_calls": True, "do_not_call": False, "deleted": False}
_CALLBACK_DEVICE = "demo-world-history"
"""The demo agent's earlier workstation, where the callback request on record came from."""


def _target(
    label: str, number: str, kind: str, *, language: str | None = None, warm: bool = True
) -> dict[str, Any]:
    return {
        "label": label,
        "number": number,
        "kind": kind,
        "language": language,
        "warm_allowed": warm,
    }


# Internal extensions, and 555-01xx numbers in an area code the demo patients never get.
NURSE_LINE = _target("Nurse line", "2100", "nurse_line")
INTERPRETER = _target("Spanish interpreter", "+19495550150", "interpreter", language="es")
TEAM_LEAD = _target("Team lead", "2001", "supervisor")
DIRECTORIES = {
    "reminders": [
        NURSE_LINE,
        INTERPRETER,
        _target("Billing office", "+19495550151", "billing", warm=False),
        TEAM_LEAD,
    ],
    "followup": [
        NURSE_LINE,
        INTERPRETER,
        _target("Pharmacy team", "2150", "other"),
        TEAM_LEAD,
    ],
    "checkin": [NURSE_LINE, INTERPRETER, TEAM_LEAD],
    "screening": [NURSE_LINE, INTERPRETER, _target("Scheduling desk", "2160", "other"), TEAM_LEAD],
}

NOT_READY_REASONS = [
    ("break", "Break", False),
    ("lunch", "Lunch", False),
    ("training", "Training", True),
    ("meeting", "Meeting", True),
    ("coaching", "Coaching", True),
    ("after-call-admin", "After-call admin", True),
]


def seed_demo(
    sessions: sessionmaker[Session],
    *,
    patients: int = 200,
    agent_password: str | None = None,
    admin_password: str | None = None,
    extra_agents: int = 0,
    sip_box: SipSecretBox | None = None,
) -> DemoWorld:
    """Build (or complete) the demo world; returns what the operator needs to sign in.

    The demo agent's phone extension needs ``sip_box`` (the server's SIP secret box); without
    it the agent has none."""
    with sessions() as session, session.begin():
        created = _people(session, agent_password, admin_password)
        if sip_box is not None:
            _extension(session, sip_box)
        seq = next_seq(session)
        campaign_ids = _content(session, seq)
        _reasons(session, seq)
        team_id = _team(session, campaign_ids)
        total = _patients(session, patients, seq)
        _later_lists(session, seq)
        _cases(session, seq)
        _dial_queues(session, campaign_ids)
        _extra_agents(session, team_id, extra_agents)
        session.flush()
        content.refresh_grants(session)
    _analyze(sessions)
    return DemoWorld(
        agent_username=DEMO_AGENT,
        agent_password=agent_password or DEMO_PASSWORD,
        admin_username=ADMIN_USER,
        admin_password=admin_password or ADMIN_PASSWORD,
        patients=total,
        campaign_ids=tuple(campaign_ids),
        created=created,
    )


def _people(session: Session, agent_password: str | None, admin_password: str | None) -> bool:
    created = _user(
        session,
        username=DEMO_AGENT,
        display="Demo Agent",
        role="agent",
        password=agent_password,
        default_password=DEMO_PASSWORD,
    )
    _user(
        session,
        username=ADMIN_USER,
        display="Demo Admin",
        role="admin",
        password=admin_password,
        default_password=ADMIN_PASSWORD,
    )
    _user(
        session,
        username=SUPERVISOR_USER,
        display="Demo Team Lead",
        role="supervisor",
        password=None,
        default_password=ADMIN_PASSWORD,
    )
    session.flush()
    return created


def _extension(session: Session, box: SipSecretBox) -> None:
    user_id = did("user", DEMO_AGENT)
    if session.get(PhoneExtension, user_id) is not None:
        return  # kept as it is: a new encryption would send the password again
    ciphertext, key_id = box.encrypt(DEMO_SIP_PASSWORD, user_id=user_id)
    session.add(
        PhoneExtension(
            user_id=user_id,
            password_ciphertext=ciphertext,
            key_id=key_id,
            password_version=1,
            **DEMO_EXTENSION,
        )
    )
    session.flush()


def _reasons(session: Session, seq: int) -> None:
    if session.scalar(select(func.count()).select_from(NotReadyReason)):
        return  # the list is the operators' once it exists
    for position, (code, label, productive) in enumerate(NOT_READY_REASONS):
        session.add(
            NotReadyReason(
                code=code,
                label=label,
                productive=productive,
                position=position,
                active=True,
                version=1,
                seq=seq,
            )
        )
    session.flush()


def _content(session: Session, seq: int) -> list[str]:
    scripts = [
        ("reminder", "Appointment reminder", REMINDER_SCRIPT),
        ("followup", "Post-discharge follow-up", FOLLOWUP_SCRIPT),
        ("checkin", "Chronic-disease check-in", CHECKIN_SCRIPT),
        ("screening", "Vaccination and screening", SCREENING_SCRIPT),
    ]
    consent_scripts = {script for key, *_, script in CAMPAIGNS if key in RECORDING_CONSENT}
    for key, name, variants in scripts:
        sid = did("script", key)
        script = session.get(Script, sid)
        if script is None:
            session.add(Script(id=sid, name=name, version=1, variants=variants, seq=seq))
            session.flush()
            session.add(ScriptVersion(script_id=sid, version=1, variants=variants))
        elif key in consent_scripts and not content.asks_recording_consent(script):
            # A world seeded before the consent step: the campaign's script gains it.
            script.variants, script.version, script.seq = variants, script.version + 1, seq
            session.flush()
            session.add(ScriptVersion(script_id=sid, version=script.version, variants=variants))
    tree_id = did("code_tree", "outcomes")
    if session.get(CodeTree, tree_id) is None:
        session.add(
            CodeTree(id=tree_id, name="Outbound outcomes", version=1, codes=OUTCOMES, seq=seq)
        )
        session.flush()
        session.add(CodeTreeVersion(code_tree_id=tree_id, version=1, codes=OUTCOMES))
    campaign_ids = []
    for key, name, kind, caller, script_key in CAMPAIGNS:
        cid = did("campaign", key)
        campaign_ids.append(cid)
        directory = {"entries": DIRECTORIES[key]}
        campaign = session.get(Campaign, cid)
        if campaign is None:
            session.add(
                Campaign(
                    id=cid,
                    name=name,
                    kind=kind,
                    caller_id=caller,
                    max_attempts=3,
                    script_id=did("script", script_key),
                    code_tree_id=tree_id,
                    directory=directory,
                    wrap_up_s=WRAP_UP_S[key],
                    # Healthcare messages: the centre's per-patient caps apply (the server
                    # puts its settings' caps on them when it starts).
                    healthcare_exempt=True,
                    **_outbound_fields(key),
                    seq=seq,
                )
            )
            session.flush()
            session.add(PatientList(id=did("list", key), campaign_id=cid, name="default"))
            continue
        changed = False
        if campaign.directory is None or campaign.wrap_up_s == _MIGRATED_WRAP_UP_S:
            # A demo world seeded before campaigns had directories or their own wrap-up time
            # (the migration gave every campaign the server's default).
            campaign.directory = campaign.directory or directory
            campaign.wrap_up_s = WRAP_UP_S[key]
            changed = True
        if campaign.voicemail_message is None:
            # Seeded before campaigns named a message, a preview time and a consent step.
            for field, value in _outbound_fields(key).items():
                setattr(campaign, field, value)
            changed = True
        if changed:
            campaign.version += 1
            campaign.seq = seq
    session.flush()
    return campaign_ids


def _outbound_fields(key: str) -> dict[str, Any]:
    return {
        "voicemail_message": DEMO_VOICEMAIL,
        "preview_s": PREVIEW_S[key],
        "recording_consent": key in RECORDING_CONSENT,
    }


def _team(session: Session, campaign_ids: list[str]) -> str:
    team_id = did("team", "demo")
    if session.get(Team, team_id) is None:
        session.add(Team(id=team_id, name="Demo team"))
        session.flush()
        session.add(TeamMember(team_id=team_id, user_id=did("user", DEMO_AGENT)))
        session.flush()
    # A world seeded before the later campaigns gets their assignments too.
    for cid in campaign_ids:
        if session.get(Assignment, did("assignment", cid)) is None:
            session.add(Assignment(id=did("assignment", cid), campaign_id=cid, team_id=team_id))
    # The team runs its campaigns and the demo team lead supervises it (docs/roles.md); a
    # world seeded before teams had campaigns and supervisors gets them now.
    lead = did("user", SUPERVISOR_USER)
    if session.get(TeamMember, (team_id, lead)) is None and session.get(User, lead) is not None:
        session.add(TeamMember(team_id=team_id, user_id=lead))
    for cid in campaign_ids:
        campaign = session.get(Campaign, cid)
        if campaign is not None and campaign.team_id is None:
            campaign.team_id = team_id
    session.flush()
    return team_id


def _demo_count(session: Session) -> int:
    query = select(func.count()).select_from(Patient).where(Patient.mrn.like("DEMO%"))
    return int(session.scalar(query) or 0)


def _patients(session: Session, count: int, seq: int) -> int:
    have = _demo_count(session)
    rng = random.Random(20240607)  # noqa: S311 (reproducible fake data)
    entries: list[ListEntry] = []
    for index in range(count):
        # Draw for every index so patient i is the same whatever the count asked for.
        state = random.Random(rng.random())  # noqa: S311
        if index < have:
            continue
        patient = _patient(state, index, seq)
        for name, value in _case_details(index).items():
            setattr(patient, name, value)
        session.add(patient)
        lists = [0] if index % 3 == 0 else [1] if index % 3 == 1 else [0, 1]
        for which in lists:
            key = CAMPAIGNS[which][0]
            entries.append(
                ListEntry(
                    list_id=did("list", key),
                    patient_id=patient.id,
                    campaign_id=did("campaign", key),
                    active=True,
                    seq=seq,
                )
            )
        if index % 1000 == 999:
            session.flush()
    # Entries after their patients: the tables have no ORM relationship to order the inserts.
    session.flush()
    session.add_all(entries)
    session.flush()
    return _demo_count(session)


def _later_membership(index: int) -> list[str]:
    """The later campaigns patient ``index`` is listed on (every third one on none)."""
    return [key for key, every in (("checkin", 3), ("screening", 4)) if index % every == 1]


def _later_lists(session: Session, seq: int) -> None:
    """Demo patients join the later campaigns' lists (again in a world that had none)."""
    for key in _LATER_CAMPAIGNS:
        list_id = did("list", key)
        listed = set(
            session.scalars(select(ListEntry.patient_id).where(ListEntry.list_id == list_id))
        )
        count = _demo_count(session)
        for index in range(count):
            pid = did("patient", index)
            if key in _later_membership(index) and pid not in listed:
                session.add(
                    ListEntry(
                        list_id=list_id,
                        patient_id=pid,
                        campaign_id=did("campaign", key),
                        active=True,
                        seq=seq,
                    )
                )
    session.flush()


def _dial_queues(session: Session, campaign_ids: list[str]) -> None:
    """Every listed patient on their campaign's dial queue, in the list's order."""
    for cid in campaign_ids:
        ids = list(
            session.scalars(
                select(ListEntry.patient_id)
                .join(Patient, Patient.id == ListEntry.patient_id)
                .where(ListEntry.campaign_id == cid, ListEntry.active)
                .order_by(Patient.mrn)
            )
        )
        outbound.enqueue(session, cid, ids)


def _case_details(index: int) -> dict[str, Any]:
    fixed = _CASE_PATIENTS.get(index)
    return {} if fixed is None else {**fixed, **_CASE_COMMON}


def _cases(session: Session, seq: int) -> None:
    """The case patients as :data:`DEMO_CASES` describes them (a world seeded before the cases
    gets them), and the callback request on record."""
    for index in _CASE_PATIENTS:
        patient = session.get(Patient, did("patient", index))
        if patient is None:
            continue  # a world with fewer patients than cases
        details = _case_details(index)
        if any(getattr(patient, name) != value for name, value in details.items()):
            for name, value in details.items():
                setattr(patient, name, value)
            patient.version += 1
            patient.seq = seq
    session.flush()
    _callback_on_record(session)


def _callback_on_record(session: Session) -> None:
    """The callback case's request, as the demo agent's earlier workstation sent it: due at
    10:00 in the patient's zone on the day the world was seeded."""
    case = next(c for c in DEMO_CASES if c.key == "callback")
    patient = session.get(Patient, did("patient", case.patients[0]))
    item_id = did("intake", "callback-case")
    if patient is None or session.get(IntakeItem, item_id) is not None:
        return
    agent = did("user", DEMO_AGENT)
    device_id = did("device", _CALLBACK_DEVICE)
    if session.get(Device, device_id) is None:
        session.add(
            Device(
                id=device_id,
                user_id=agent,
                client_device_id=_CALLBACK_DEVICE,
                name="Demo workstation (earlier calls)",
            )
        )
        session.flush()
    now = datetime.now(UTC).replace(microsecond=0)
    due = datetime.combine(now.date(), time(10), tzinfo=ZoneInfo(patient.time_zone))
    created = now - timedelta(days=1)
    payload = {
        "call_id": did("call", "callback-case"),
        "patient_id": patient.id,
        "callback_at": due.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "notes": "Asked to be called back about the appointment.",
    }
    # Stored as the intake would have stored it, so that it reads like any other request.
    checked = CallbackPayload.model_validate(payload).model_dump(mode="json")
    session.add(
        IntakeItem(
            id=item_id,
            kind="callback",
            user_id=agent,
            device_id=device_id,
            patient_id=patient.id,
            campaign_id=None,
            created_at=created,
            received_at=created,
            content_hash=intake.content_hash("callback", created, checked),
            payload=checked,
        )
    )
    session.flush()


def _extra_agents(session: Session, team_id: str, count: int) -> None:
    if count <= 0:
        return
    shared_hash = hash_password(DEMO_PASSWORD)
    existing = set(session.scalars(select(User.id)))
    for n in range(count):
        uid = did("user", f"agent{n:04d}")
        if uid in existing:
            continue
        session.add(
            User(
                id=uid,
                username=f"agent{n:04d}",
                display_name=f"Agent {n:04d}",
                role="agent",
                password_hash=shared_hash,
            )
        )
        session.flush()
        session.add(TeamMember(team_id=team_id, user_id=uid))


def _analyze(sessions: sessionmaker[Session]) -> None:
    """Fresh planner statistics after a bulk load, so feed queries use their seq indexes."""
    with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection().exec_driver_sql("ANALYZE")
            session.commit()
