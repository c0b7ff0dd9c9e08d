"""Wire shapes of /api/v1 (pydantic): what the contract in docs/api-contract.md names."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
    model_validator,
)

from pulse_contract import patient
from pulse_contract.rules import Field as Rule

E164 = Annotated[str, StringConstraints(pattern=f"^{patient.E164}$")]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Lang = Annotated[str, StringConstraints(pattern=f"^{patient.LANGUAGE}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Label = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=200, strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
"""Text shown on the desk: no control characters."""
Role = Literal["agent", "supervisor", "admin"]


def _refuse_nul(value: Any) -> Any:
    """Raise if a NUL character hides anywhere in ``value`` (PostgreSQL text cannot hold one);
    iterative, so a deeply nested value cannot exhaust the stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValueError("text must not contain NUL characters")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        return _refuse_nul(data)


class Detail(BaseModel):
    detail: str


class LockedDetail(BaseModel):
    detail: str
    wipe: bool = False


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"


class TimeOut(BaseModel):
    server_time: str


class LoginIn(_In):
    username: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    device_id: Annotated[
        str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    ]
    device_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    signed_at: Annotated[int, Field(ge=0, le=2**40)] | None = None
    """Epoch seconds of ``device_signature`` (an enrolled workstation's proof)."""
    device_signature: Annotated[str, StringConstraints(max_length=200)] | None = None
    """Base64 Ed25519 signature of the sign-in by the workstation's enrolled key."""


class PasswordChangeIn(LoginIn):
    new_password: Annotated[str, StringConstraints(min_length=8, max_length=1024)]


class PasswordChangeDetail(BaseModel):
    detail: str
    password_change_required: bool = True


class RefreshIn(_In):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    signed_at: Annotated[int, Field(ge=0, le=2**40)] | None = None
    device_signature: Annotated[str, StringConstraints(max_length=200)] | None = None


class EnrolIn(_In):
    device_id: Annotated[
        str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    ]
    public_key: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    """An enrolment code from IT; without one the request waits for an admin's approval."""
    signed_at: Annotated[int, Field(ge=0, le=2**40)]
    signature: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class EnrolOut(BaseModel):
    workstation_id: str
    status: Literal["pending", "enrolled"]


class EnrolmentCodeIn(_In):
    expires_in_s: Annotated[int, Field(ge=60, le=7 * 86400)] = 3600


class EnrolmentCodeOut(BaseModel):
    code: str
    expires_at: str


class WorkstationOut(BaseModel):
    id: str
    client_device_id: str
    name: str
    status: str
    created_at: str
    enrolled_at: str | None


class AgentOut(BaseModel):
    id: str
    username: str
    display_name: str
    role: Role


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a type name)
    expires_in: int
    agent: AgentOut


# --- content -------------------------------------------------------------------------------


def _text(rule: Rule, *, strip: bool = False) -> StringConstraints:
    """The constraints of a text field of the contract (``pulse_contract``)."""
    return StringConstraints(
        min_length=rule.min_length or None,
        max_length=rule.max_length,
        pattern=None if rule.pattern is None else f"^{rule.pattern}$",
        strip_whitespace=True if strip else None,
    )


_P, _PHONE = patient.FIELD, patient.PHONE_FIELD


class Phone(_In):
    number: Annotated[str, _text(_PHONE["number"])]
    kind: patient.PhoneKind = _PHONE["kind"].default


class PatientIn(_In):
    # The contract's fields but those the server assigns (no docstring: it would show in
    # the OpenAPI document).
    mrn: Annotated[str, _text(_P["mrn"], strip=True)]
    given_name: Annotated[str, _text(_P["given_name"], strip=True)]
    family_name: Annotated[str, _text(_P["family_name"], strip=True)]
    birth_date: date
    phones: list[Phone] = Field(default_factory=list, max_length=_P["phones"].max_length)
    language: Annotated[str, _text(_P["language"])] = _P["language"].default
    time_zone: Annotated[str, _text(_P["time_zone"])] = _P["time_zone"].default
    consent_calls: bool = _P["consent_calls"].default
    do_not_call: bool = _P["do_not_call"].default
    care_program: Annotated[str, _text(_P["care_program"])] | None = None
    address_city: Annotated[str, _text(_P["address_city"])] | None = None
    address_state: Annotated[str, _text(_P["address_state"])] | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import available_timezones

        if value not in _zones(available_timezones):
            raise ValueError(f"unknown time zone {value!r}")
        return value


_ZONES: set[str] = set()


def _zones(loader: Any) -> set[str]:
    if not _ZONES:
        _ZONES.update(loader())
    return _ZONES


class PatientOut(BaseModel):
    id: str
    mrn: str
    given_name: str
    family_name: str
    birth_date: str
    phones: list[Phone]
    language: str
    time_zone: str
    consent_calls: bool
    do_not_call: bool
    care_program: str | None
    campaign_ids: list[str]
    address_city: str | None
    address_state: str | None
    version: int


class CallingWindow(_In):
    start: HHMM = "08:00"
    end: HHMM = "21:00"


DialTarget = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=200,
        pattern=r"^(\+?[0-9*#]{1,20}|[A-Za-z][A-Za-z0-9._~-]{0,63}|sips?:[^\s<>\x00-\x1f\x7f]{1,196})$",
    ),
]
"""What the desk dials: a number (E.164 or an internal extension), a SIP user name such as
``nurse-line``, or a ``sip:`` / ``sips:`` address."""


class DirectoryEntry(_In):
    """A transfer target of a campaign."""

    label: Label
    number: DialTarget
    kind: Literal["nurse_line", "interpreter", "billing", "supervisor", "other"]
    language: Lang | None = None
    warm_allowed: bool


Directory = Annotated[list[DirectoryEntry], Field(max_length=200)]


class DirectoryIn(_In):
    entries: Directory


MAX_WRAP_UP_S = 3600
"""The longest after-call work time a campaign may set (an hour)."""
MIN_PREVIEW_S = 1
MAX_PREVIEW_S = 120
"""Bounds of a progressive campaign's preview: long enough to read the card, short enough to
stay progressive."""
DEFAULT_PREVIEW_S = 5

MessageName = Annotated[
    str,
    StringConstraints(
        min_length=5, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.[Ww][Aa][Vv]$"
    ),
]
"""A WAV file name in the desks' ``messages`` folder: a plain name, never a path (no
separators, no leading dot)."""
_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}
)
"""Names Windows reserves for devices whatever the extension: never a message file there."""


class ExemptionCapsOut(BaseModel):
    """The centre's healthcare-exemption caps, per patient across campaigns."""

    per_day: int
    per_week: int


class CampaignIn(_In):
    name: Name
    kind: Literal["inbound", "preview", "progressive"]
    calling_window: CallingWindow = Field(default_factory=CallingWindow)
    caller_id: E164
    max_attempts: Annotated[int, Field(ge=1, le=50)] = 3
    script_id: str | None = None
    code_tree_id: str | None = None
    default_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "US"
    directory: Directory | None = None
    """Transfer targets; omitted on an update keeps the campaign's current directory."""
    wrap_up_s: Annotated[int, Field(ge=0, le=MAX_WRAP_UP_S)] = 60
    """After-call work time the desk counts down, in seconds; 0: no countdown."""
    healthcare_exempt: bool = False
    """Calls are made under the healthcare exemption and count against the centre's caps."""
    voicemail_message: MessageName | None = None
    """The approved message the desk plays on an answering machine (a WAV file name in the
    desks' ``messages`` folder); None: no voicemail drop."""
    preview_s: Annotated[int, Field(ge=MIN_PREVIEW_S, le=MAX_PREVIEW_S)] = DEFAULT_PREVIEW_S
    """Progressive dialing: seconds the card shows before the desk dials."""
    recording_consent: bool = False
    """The call needs all-party consent to the recording: the campaign's script must ask for
    it at a disclosure step with answers (the first is the patient's agreement)."""
    team_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    """The team that runs it; omitted: a supervisor's only team on creation, unchanged on an
    update."""

    @field_validator("voicemail_message")
    @classmethod
    def _not_a_device(cls, value: str | None) -> str | None:
        if value is not None and value.split(".", 1)[0].lower() in _DEVICE_NAMES:
            raise ValueError(f"{value!r} is a reserved device name, not a file name")
        return value


class HolidaysOut(BaseModel):
    """The public holidays of the campaign's region over the days ``first``-``last``
    (``pulse_contract.holiday_calendar.HolidayTable``): the desk judges its dials from them."""

    country: str
    subdivision: str | None = None
    first: str
    last: str
    days: dict[str, str]


class CampaignOut(BaseModel):
    id: str
    name: str
    kind: Literal["inbound", "preview", "progressive"]
    calling_window: CallingWindow
    caller_id: str
    max_attempts: int
    script_id: str | None
    code_tree_id: str | None
    default_region: str
    directory: list[DirectoryEntry]
    wrap_up_s: int
    healthcare_exempt: bool = False
    exemption_caps: ExemptionCapsOut | None = None
    """The centre's caps, on a campaign under the healthcare exemption (None otherwise)."""
    voicemail_message: str | None = None
    preview_s: int = DEFAULT_PREVIEW_S
    recording_consent: bool = False
    holidays: HolidaysOut | None = None
    version: int


StepId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
]


class Branch(_In):
    answer: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    next: StepId


class Step(_In):
    id: StepId
    text: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    branches: list[Branch] = Field(default_factory=list, max_length=20)
    next: StepId | None = None
    kind: Literal["say", "disclosure"] = "say"
    """A ``disclosure`` (a recording notice, say) must be marked as read to the caller
    before the agent moves on."""


class Variant(_In):
    steps: list[Step] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _links_resolve(self) -> Variant:
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError("step ids must be unique")
        known = set(ids)
        for step in self.steps:
            targets = [b.next for b in step.branches] + ([step.next] if step.next else [])
            for target in targets:
                if target not in known:
                    raise ValueError(f"step {step.id!r} leads to unknown step {target!r}")
        return self


class ScriptIn(_In):
    name: Name
    variants: dict[Lang, Variant] = Field(min_length=1, max_length=20)


class ScriptOut(BaseModel):
    id: str
    name: str
    version: int
    variants: dict[str, Variant]


class RequiredField(_In):
    name: Annotated[
        str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z_][a-z0-9_]*$")
    ]
    type: Literal["datetime", "text", "bool"]
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Code(_In):
    code: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Z0-9_]+$")]
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    children: list[Code] = Field(default_factory=list, max_length=50)
    required_fields: list[RequiredField] = Field(default_factory=list, max_length=20)
    opt_out: bool = False
    """The patient asked not to be called again: the code sets do-not-call for every campaign
    (``DNC_REQUEST`` always does)."""
    retry_after_min: Annotated[int, Field(ge=0, le=30 * 24 * 60)] | None = None
    """Try the patient again after this many minutes (a not-reached outcome); None: the
    calling rules' default for the code, and a code without one ends the patient's turn."""

    @model_serializer(mode="wrap")
    def _without_unset_dialing(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Trees saved before these fields existed keep their stored form.
        data: dict[str, Any] = handler(self)
        if not data.get("opt_out"):
            data.pop("opt_out", None)
        if data.get("retry_after_min") is None:
            data.pop("retry_after_min", None)
        return data


def _walk(codes: list[Code]) -> list[Code]:
    out: list[Code] = []
    for code in codes:
        out.append(code)
        out.extend(_walk(code.children))
    return out


class CodeTreeIn(_In):
    name: Name
    codes: list[Code] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _unique_codes(self) -> CodeTreeIn:
        names = [c.code for c in _walk(self.codes)]
        if len(set(names)) != len(names):
            raise ValueError("codes must be unique within a tree")
        return self


class CodeTreeOut(BaseModel):
    id: str
    name: str
    version: int
    codes: list[Code]


class _Page(BaseModel):
    deleted: list[str]
    cursor: str
    has_more: bool
    snapshot: bool


class PatientPage(_Page):
    items: list[PatientOut]


class CampaignPage(_Page):
    items: list[CampaignOut]


class ScriptPage(_Page):
    items: list[ScriptOut]


class CodeTreePage(_Page):
    items: list[CodeTreeOut]


# --- not-ready reasons -----------------------------------------------------------------------

ReasonCode = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
]


class NotReadyReasonIn(_In):
    code: ReasonCode
    label: Label
    productive: bool
    """Whether time in this state counts as productive (training, coaching) or not (lunch)."""


class NotReadyReasonsIn(_In):
    """The whole list, in the order the desk shows it; codes left out are withdrawn."""

    reasons: list[NotReadyReasonIn] = Field(max_length=100)

    @model_validator(mode="after")
    def _unique_codes(self) -> NotReadyReasonsIn:
        codes = [r.code for r in self.reasons]
        if len(set(codes)) != len(codes):
            raise ValueError("reason codes must be unique")
        return self


class NotReadyReasonOut(BaseModel):
    id: str
    """The code again: every sync item is keyed by ``id``."""
    code: str
    label: str
    productive: bool
    position: int
    version: int


class NotReadyReasonPage(_Page):
    items: list[NotReadyReasonOut]


# --- phone extensions --------------------------------------------------------------------------

_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = rf"(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})*|\[[0-9A-Fa-f:.]{{2,45}}\])"
SipHost = Annotated[str, StringConstraints(max_length=255, pattern=rf"^{_HOST}$")]
SipHostPort = Annotated[
    str, StringConstraints(max_length=262, pattern=rf"^{_HOST}(?::[0-9]{{1,5}})?$")
]
Transport = Literal["udp", "tcp", "tls"]


class ExtensionIn(_In):
    """An agent's SIP account; the password is stored encrypted and never listed."""

    username: Annotated[
        str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._~+-]+$")
    ]
    domain: SipHost
    registrar: SipHostPort
    """Host[:port] of the PBX registrar."""
    transport: Transport = "udp"
    password: Annotated[
        str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")
    ]

    @field_validator("registrar")
    @classmethod
    def _port_in_range(cls, value: str) -> str:
        if not value.endswith("]") and ":" in value:
            port = int(value.rpartition(":")[2])
            if not 1 <= port <= 65535:
                raise ValueError("the registrar's port must be 1..65535")
        return value

    @field_validator("password")
    @classmethod
    def _encodable(cls, value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the password is not valid text") from None
        return value

    def __repr__(self) -> str:
        return f"ExtensionIn(username={self.username!r}, domain={self.domain!r})"

    __str__ = __repr__


class ExtensionOut(BaseModel):
    user_id: str
    username: str
    domain: str
    registrar: str
    transport: Transport
    password_version: int
    updated_at: str
    delivered_device_ids: list[str]
    """Workstations (device ids) that have received the current password."""


class PhoneAccountOut(BaseModel):
    """The calling agent's SIP account. ``password`` is sent once per workstation and
    password version; later answers carry null and ``already_delivered`` true."""

    username: str
    domain: str
    registrar: str
    transport: Transport
    password_version: int
    password: str | None
    already_delivered: bool


# --- intake --------------------------------------------------------------------------------

UtcTime = datetime


class IntakeBatch(BaseModel):
    """Items are checked one by one (each gets its own result), so they arrive as plain objects."""

    items: list[Any] = Field(max_length=10_000)


class IntakeResult(BaseModel):
    id: str | None
    status: Literal[200, 201, 409, 422]
    reason: str | None = None


class IntakeOut(BaseModel):
    results: list[IntakeResult]


class ScriptAnswer(_In):
    step: StepId
    answer: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ScriptRecord(_In):
    """The script as it was run on the call: which version, in which language, the answers
    given in order, and the disclosures the agent marked as read."""

    script_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    version: Annotated[int, Field(ge=1)]
    language: Lang
    answers: list[ScriptAnswer] = Field(default_factory=list, max_length=500)
    disclosures: dict[StepId, bool] = Field(default_factory=dict, max_length=200)


class VerificationRecord(_In):
    """How the caller's identity stood when the call was disposed."""

    state: Literal["unverified", "verified", "revealed", "locked"]
    failed_attempts: Annotated[int, Field(ge=0, le=50)]
    revealed_reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class CallFacts(_In):
    """The call the disposition is about, as the workstation saw it."""

    direction: Literal["inbound", "outbound"]
    remote: Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
    """The far end as dialled or as it called (a number, an extension, a SIP address)."""
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime
    duration_s: Annotated[float, Field(ge=0, le=7 * 24 * 3600)]
    end_reason: Annotated[str, StringConstraints(max_length=200)]
    sip_code: Annotated[int, Field(ge=0, le=699)]
    """0 when the call ended without a SIP final response (the phone restarted, say)."""
    transfer_target: (
        Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")] | None
    ) = None


_DISPOSITION_EXTRAS = ("script", "verification", "call", "replaces")


RecordId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
"""A server record's id as an item names it (its existence is checked on intake)."""
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
FieldValue = Annotated[str, StringConstraints(max_length=10_000)] | bool | int | float | None
"""A disposition field holds one flat value (text, a time as text, a yes/no): no nesting."""


class DispositionPayload(_In):
    call_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    patient_id: RecordId | None = None
    campaign_id: RecordId | None = None
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    fields: dict[FieldName, FieldValue] = Field(default_factory=dict, max_length=50)
    notes: Annotated[str, StringConstraints(max_length=10_000)] = ""
    agent_started_at: datetime
    agent_ended_at: datetime
    script: ScriptRecord | None = None
    verification: VerificationRecord | None = None
    call: CallFacts | None = None
    replaces: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    """A corrected copy names the refused disposition it replaces."""

    @model_serializer(mode="wrap")
    def _without_absent_extras(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A disposition without the later fields keeps its stored form (and content hash),
        # so a batch sent before they existed is still recognised when retried.
        data: dict[str, Any] = handler(self)
        for name in _DISPOSITION_EXTRAS:
            if data.get(name) is None:
                data.pop(name, None)
        return data


class CallRecordPayload(_In):
    call_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    direction: Literal["inbound", "outbound"]
    remote: E164
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime
    end_reason: Annotated[str, StringConstraints(max_length=200)]
    sip_code: Annotated[int, Field(ge=100, le=699)]


class CallbackPayload(_In):
    """A callback the agent promised: due at ``callback_at``, on ``campaign_id`` (when given,
    the server queues it and leases it like a list patient, due callbacks first) for the agent
    who sent it (``for: me``) or anyone working the campaign (``for: anyone``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    call_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    patient_id: RecordId
    callback_at: datetime
    notes: Annotated[str, StringConstraints(max_length=10_000)] = ""
    campaign_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    for_whom: Literal["me", "anyone"] = Field("anyone", alias="for")

    @model_serializer(mode="wrap")
    def _without_absent_routing(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A callback without the routing fields keeps its stored form (and content hash).
        data: dict[str, Any] = handler(self)
        if "for_whom" in data:
            data["for"] = data.pop("for_whom")
        if data.get("campaign_id") is None:
            data.pop("campaign_id", None)
            if data.get("for") == "anyone":
                data.pop("for", None)
        return data


class AuditPayload(_In):
    action: Literal["view", "reveal", "search", "verify_identity"]
    patient_id: RecordId | None = None
    reason: Annotated[str, StringConstraints(max_length=500)] = ""
    result: Annotated[str, StringConstraints(max_length=200)] = ""


AgentStateName = Literal["ready", "not_ready", "ringing", "on_call", "wrap_up", "offline"]


class AgentStatePayload(_In):
    """One change of an agent's state, for supervisors; ids and codes only."""

    state: AgentStateName
    reason: ReasonCode | None = None
    previous: AgentStateName
    previous_reason: ReasonCode | None = None
    previous_s: Annotated[float, Field(ge=0, le=31 * 24 * 3600)]
    at: datetime
    call_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


PAYLOADS: dict[str, type[_In]] = {
    "disposition": DispositionPayload,
    "call_record": CallRecordPayload,
    "callback": CallbackPayload,
    "audit": AuditPayload,
    "agent_state": AgentStatePayload,
}


class IntakeItemOut(BaseModel):
    id: str
    kind: str
    agent_id: str
    device_id: str
    patient_id: str | None
    campaign_id: str | None
    created_at: str
    received_at: str
    payload: dict[str, Any]


# --- outbound dialing ----------------------------------------------------------------------


class VerdictOut(BaseModel):
    """The calling rules' answer for a patient (:class:`pulse_contract.calling_rules.Verdict`)."""

    allowed: bool
    reason: str
    message: str
    params: dict[str, str]
    indicator: Literal["green", "amber", "red"]
    next_allowed_at: str | None
    window_closes_at: str | None


class LeaseOut(BaseModel):
    """One patient handed to one agent until ``expires_at`` or until disposed."""

    lease_id: str
    campaign_id: str
    patient_id: str
    source: Literal["callback", "retry", "list"]
    """Why the patient is next: a due callback, a due retry, or the list."""
    due_at: str | None
    """When the callback or retry fell due (None for a list patient)."""
    callback_id: str | None
    callback_for: Literal["me", "anyone"] | None
    attempts: int
    """Calls already made to the patient in this campaign."""
    expires_at: str
    verdict: VerdictOut


class LeasesOut(BaseModel):
    leases: list[LeaseOut]
    next_due_at: str | None = None
    """When none is callable now: the earliest instant a waiting patient falls due, if known."""


class ReleaseIn(_In):
    """Give a leased patient back without a call (a skip in preview), with the reason."""

    reason: Annotated[
        str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    ]
    retry_in_s: Annotated[int, Field(ge=0, le=30 * 86400)] = 1800
    """How long the patient waits before anyone is offered them again."""


class AttemptOut(BaseModel):
    at: str
    campaign_id: str | None
    kind: Literal["call", "skip"]
    code: str | None
    exempt: bool
    agent_id: str | None


class AttemptsOut(BaseModel):
    patient_id: str
    attempts: list[AttemptOut]
    """Newest first, across campaigns."""


class CallbackOut(BaseModel):
    callback_id: str | None
    campaign_id: str
    patient_id: str
    due_at: str
    callback_for: Literal["me", "anyone"]
    leased: bool


class CallbacksOut(BaseModel):
    callbacks: list[CallbackOut]


# --- admin ---------------------------------------------------------------------------------


class UserIn(_In):
    username: Annotated[
        str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    ]
    display_name: Name
    role: Role = "agent"
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)]


class PasswordResetIn(_In):
    password: Annotated[str, StringConstraints(min_length=8, max_length=1024)]
    """A temporary password, to be replaced by the user at their next sign-in."""


class AssignmentIn(_In):
    campaign_id: str
    user_id: str | None = None
    team_id: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> AssignmentIn:
        if (self.user_id is None) == (self.team_id is None):
            raise ValueError("give exactly one of user_id and team_id")
        return self


class TeamIn(_In):
    name: Name
    member_ids: list[str] = Field(default_factory=list, max_length=10_000)


class ListEntriesIn(_In):
    list_name: Name = "default"
    patient_ids: list[str] = Field(min_length=1, max_length=10_000)


class IdOut(BaseModel):
    id: str


class ImportOut(BaseModel):
    created: int
    updated: int
    errors: list[str]


class DeviceOut(BaseModel):
    id: str
    user_id: str
    client_device_id: str
    name: str
    registered_at: str
    last_seen_at: str | None
    revoked_at: str | None
