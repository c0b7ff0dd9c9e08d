"""The server's tables (SQLAlchemy 2 declarative models).

Every row an agent can sync carries ``seq``: the value of the global change counter of the
transaction that last touched it. Writers take the counter row's lock until commit, so rows become
visible in ``seq`` order and a cursor that remembers "everything up to seq S" never skips a row.
``agent_grants`` is the per-agent view of what each agent may see among campaigns, scripts and
code trees; patients reach an agent through the campaign grants and the campaign's list entries.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JSONType = JSON().with_variant(JSONB(), "postgresql")


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    # SQLAlchemy reads this mapping as a plain class attribute.
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType}  # noqa: RUF012


class ChangeCounter(Base):
    __tablename__ = "change_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    horizon: Mapped[int] = mapped_column(BigInteger, default=0)
    """Cursors older than this seq get 410 Gone (tombstones below it may have been purged)."""


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    """Set by an admin's password reset: the next sign-in must choose a new password."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignInFailures(Base):
    """Failed sign-ins in a row per username as typed, known or not: an unknown name is
    counted and locked exactly like a real one, so the answers never tell them apart."""

    __tablename__ = "sign_in_failures"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lock_level: Mapped[int] = mapped_column(Integer, default=0)
    """Locks in a row: each one lasts twice the one before, up to the cap."""
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


class SignInWindow(Base):
    """Sign-in attempts in the current one-minute window per client address or username,
    shared by every server process through the database."""

    __tablename__ = "sign_in_windows"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    started: Mapped[float] = mapped_column(Float)
    """Epoch seconds of the window's first attempt."""
    hits: Mapped[int] = mapped_column(Integer)


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("user_id", "client_device_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_device_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    wipe: Mapped[bool] = mapped_column(Boolean, default=False)


class Workstation(Base):
    """A workstation allowed to sign agents in: enrolled with a one-time code from IT, or
    pending until an admin approves it. It proves itself with the Ed25519 key it made at
    enrolment (the private half stays in its keyring), never by its id alone."""

    __tablename__ = "workstations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_device_id: Mapped[str] = mapped_column(String(64), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))
    """Raw Ed25519 public key, base64 (44 characters)."""
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16))
    """``pending`` (waiting for an admin) or ``enrolled``."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enrolled_at: Mapped[datetime | None] = mapped_column(default=None)


class EnrolmentCode(Base):
    """A one-time, short-lived code IT gives a workstation to enrol; only its digest is kept."""

    __tablename__ = "enrolment_codes"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    workstation_id: Mapped[str | None] = mapped_column(String(36), default=None)


class AuthSession(Base):
    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[datetime] = mapped_column()
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    previous_refresh_hash: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    """The refresh token this session rotated from last: accepted once within the grace
    period (a client killed before it kept the new one); reused later, it ends the session."""
    previous_refresh_until: Mapped[datetime | None] = mapped_column(default=None)


class RetiredRefreshToken(Base):
    """Digests of refresh tokens a session has rotated past: presenting one again means a copy
    is in other hands, and ends that session."""

    __tablename__ = "retired_refresh_tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[str] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Assignment(Base):
    """A team (all its members) or a single agent works a campaign."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("campaign_id", "team_id", "user_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class Script(Base):
    __tablename__ = "scripts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    variants: Mapped[dict[str, Any]] = mapped_column()
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScriptVersion(Base):
    __tablename__ = "script_versions"
    script_id: Mapped[str] = mapped_column(
        ForeignKey("scripts.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    variants: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(36))


class CodeTree(Base):
    __tablename__ = "code_trees"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    codes: Mapped[dict[str, Any]] = mapped_column()
    """``{"codes": [...]}`` (a JSON object so both backends store it the same way)."""
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CodeTreeVersion(Base):
    __tablename__ = "code_tree_versions"
    code_tree_id: Mapped[str] = mapped_column(
        ForeignKey("code_trees.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    codes: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(36))


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    window_start: Mapped[str] = mapped_column(String(5), default="08:00")
    window_end: Mapped[str] = mapped_column(String(5), default="21:00")
    caller_id: Mapped[str] = mapped_column(String(20))
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    script_id: Mapped[str | None] = mapped_column(ForeignKey("scripts.id"))
    code_tree_id: Mapped[str | None] = mapped_column(ForeignKey("code_trees.id"))
    default_region: Mapped[str] = mapped_column(String(2), default="US")
    directory: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    """Transfer targets, ``{"entries": [{"label", "number", "kind", "language",
    "warm_allowed"}]}``; None (campaigns made before it existed) reads as an empty list."""
    wrap_up_s: Mapped[int] = mapped_column(Integer, default=60, server_default=text("60"))
    """After-call work time the desk counts down, in seconds; 0 means no countdown."""
    healthcare_exempt: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    """Calls of this campaign are made under the healthcare exemption (FCC 20-186): they count
    against the centre's per-patient caps (:class:`pulse_contract.calling_rules.ExemptionCaps`)."""
    exempt_calls_per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    exempt_calls_per_week: Mapped[int | None] = mapped_column(Integer, default=None)
    """The centre's caps as this campaign's document carries them to the desks (None: not sent
    yet, the desks use the rules' defaults); kept equal to the server's settings on every save
    and when ``pulse-server`` serves or seeds (:func:`server.content.announce_caps`), so that
    a change of the settings reaches every desk's cache as a new campaign version."""
    voicemail_message: Mapped[str | None] = mapped_column(String(100), default=None)
    """The approved voicemail message, a WAV file name in the desks' ``messages`` folder."""
    preview_s: Mapped[int] = mapped_column(Integer, default=5, server_default=text("5"))
    """Progressive dialing: seconds the card shows before the desk dials by itself."""
    recording_consent: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    """The call needs every party's consent to the recording: the script's disclosure step
    asks for it."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    team_id: Mapped[str | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), default=None
    )
    """The team that runs the campaign: its supervisors manage it (None: admins only)."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class NotReadyReason(Base):
    """A reason an agent may give for being not ready; every agent syncs the whole list.

    A reason taken off the list keeps its row (``active`` false) so that the delta feed can
    report its removal and past states that name it still resolve."""

    __tablename__ = "not_ready_reasons"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    productive: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class PhoneExtension(Base):
    """An agent's SIP account on the PBX. The password is kept only as ciphertext
    (:mod:`server.sip_secrets`); ``password_version`` grows with every assignment, so each
    workstation receives the password again after a change."""

    __tablename__ = "phone_extensions"
    __table_args__ = (UniqueConstraint("domain", "sip_username"),)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    sip_username: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(255))
    registrar: Mapped[str] = mapped_column(String(262))
    transport: Mapped[str] = mapped_column(String(3))
    password_ciphertext: Mapped[str] = mapped_column(String(1024))
    key_id: Mapped[str] = mapped_column(String(16))
    password_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhoneDelivery(Base):
    """The password version a workstation (one device row of one user) has received."""

    __tablename__ = "phone_deliveries"
    device_id: Mapped[str] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    password_version: Mapped[int] = mapped_column(Integer)
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    mrn: Mapped[str] = mapped_column(String(64), unique=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    phones: Mapped[dict[str, Any]] = mapped_column()
    """``{"items": [{"number", "kind"}]}``."""
    language: Mapped[str] = mapped_column(String(16), default="en")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    consent_calls: Mapped[bool] = mapped_column(Boolean, default=True)
    do_not_call: Mapped[bool] = mapped_column(Boolean, default=False)
    care_program: Mapped[str | None] = mapped_column(String(200))
    address_city: Mapped[str | None] = mapped_column(String(200))
    address_state: Mapped[str | None] = mapped_column(String(2))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class PatientList(Base):
    __tablename__ = "patient_lists"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ListEntry(Base):
    """A patient on a campaign's list; removal keeps the row (``active`` false) as a tombstone."""

    __tablename__ = "list_entries"
    __table_args__ = (
        Index("ix_list_entries_campaign_patient", "campaign_id", "patient_id"),
        Index("ix_list_entries_patient", "patient_id"),
    )
    list_id: Mapped[str] = mapped_column(
        ForeignKey("patient_lists.id", ondelete="CASCADE"), primary_key=True
    )
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class AgentGrant(Base):
    """What one agent may see among campaigns, scripts and code trees, with its change seq."""

    __tablename__ = "agent_grants"
    __table_args__ = (Index("ix_agent_grants_feed_seq", "user_id", "feed", "seq"),)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    feed: Mapped[str] = mapped_column(String(16), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class CampaignGrantPeriod(Base):
    """When an agent held a campaign: intake accepts an item about a call made while the
    campaign was theirs, even if it arrives (from an offline desk) after it was taken away.
    ``granted_at`` is None for grants older than this history."""

    __tablename__ = "campaign_grant_periods"
    __table_args__ = (Index("ix_campaign_grant_periods_user", "user_id", "campaign_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)


class IntakeItem(Base):
    """One item a workstation sent: a disposition, call record, callback request or audit event."""

    __tablename__ = "intake_items"
    __table_args__ = (
        Index("ix_intake_user_kind", "user_id", "kind", "received_at"),
        Index("ix_intake_patient", "patient_id"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    patient_id: Mapped[str | None] = mapped_column(String(36))
    campaign_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()


# Outbound dialing: the queue a campaign's patients are leased from, and the attempt history.
QUEUE_OPEN, QUEUE_LEASED, QUEUE_DONE, QUEUE_CLOSED = "open", "leased", "done", "closed"
RANK_CALLBACK, RANK_RETRY, RANK_LIST = 0, 1, 2
"""The order a campaign is worked in: due callbacks, then due retries, then the list."""
LIST_DUE = datetime(2000, 1, 1, tzinfo=UTC)
"""``due_at`` of a patient never tried: due since always, ordered by ``position``."""


class DialQueueEntry(Base):
    """One patient of one campaign as the dialer sees it: waiting (``open``, due at ``due_at``),
    leased to one agent until ``lease_expires_at``, ``done`` (disposed for good) or ``closed``
    (do-not-call, attempt limit, taken off the list)."""

    __tablename__ = "dial_queue"
    __table_args__ = (
        # The three claim queries each read one range of this index, in order.
        Index("ix_dial_queue_next", "campaign_id", "state", "rank", "due_at", "position"),
        Index("ix_dial_queue_expiry", "state", "lease_expires_at"),
        Index("ix_dial_queue_patient", "patient_id"),
        Index("ix_dial_queue_lease", "lease_id", unique=True),
        # An agent's leases (a desk's restart, a renewal): only leased rows have a holder.
        Index(
            "ix_dial_queue_holder",
            "leased_by",
            postgresql_where=text("leased_by IS NOT NULL"),
            sqlite_where=text("leased_by IS NOT NULL"),
        ),
    )
    campaign_id: Mapped[str] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    patient_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(BigInteger)
    """List order: the order the patient was put on the campaign's list."""
    state: Mapped[str] = mapped_column(String(8), default=QUEUE_OPEN)
    rank: Mapped[int] = mapped_column(Integer, default=RANK_LIST)
    due_at: Mapped[datetime] = mapped_column(default=lambda: LIST_DUE)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    callback_id: Mapped[str | None] = mapped_column(String(64), default=None)
    """The intake id of the pending callback request, when ``rank`` is a callback."""
    callback_for: Mapped[str | None] = mapped_column(String(36), default=None)
    """The agent a callback is kept for; None: anyone on the campaign."""
    lease_id: Mapped[str | None] = mapped_column(String(36), default=None)
    leased_by: Mapped[str | None] = mapped_column(String(36), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallAttempt(Base):
    """A call placed to a patient (``kind`` "call"), or a preview the agent skipped ("skip"),
    in any campaign: the attempt history the calling rules count."""

    __tablename__ = "call_attempts"
    __table_args__ = (
        Index("ix_call_attempts_patient_at", "patient_id", "at"),
        Index("ix_call_attempts_intake", "intake_id", unique=True),
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    patient_id: Mapped[str] = mapped_column(String(36))
    campaign_id: Mapped[str | None] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column()
    kind: Mapped[str] = mapped_column(String(8), default="call")
    code: Mapped[str | None] = mapped_column(String(64), default=None)
    """The disposition code of a call, the reason of a skip."""
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    intake_id: Mapped[str | None] = mapped_column(String(64), default=None)
    """The disposition it came from (each is recorded once)."""
    lease_id: Mapped[str | None] = mapped_column(String(36), default=None)


class AdminAudit(Base):
    """The audit trail: admin changes, sign-ins, reads of audit data, PHI sent to workstations
    (ids only). Append-only (database triggers) and hash-chained in ``position`` order; rows are
    written by :func:`server.audit.audit` only."""

    __tablename__ = "admin_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(36))
    device_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class PurgeMark(Base):
    """The change seq at one time: rows have no timestamps of their own, so the purge finds the
    seq below which tombstones are older than the retention from these marks."""

    __tablename__ = "purge_marks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    seq: Mapped[int] = mapped_column(BigInteger)


class AuditChain(Base):
    """The head of the audit hash chain (one row, id 1): last position and its hash. Writers
    lock this row to append, so the chain has one order whatever the number of workers."""

    __tablename__ = "audit_chain"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))


__all__ = [
    "AdminAudit",
    "AgentGrant",
    "Assignment",
    "AuditChain",
    "AuthSession",
    "Base",
    "CallAttempt",
    "Campaign",
    "CampaignGrantPeriod",
    "ChangeCounter",
    "CodeTree",
    "CodeTreeVersion",
    "Device",
    "DialQueueEntry",
    "IntakeItem",
    "ListEntry",
    "NotReadyReason",
    "Patient",
    "PatientList",
    "PhoneDelivery",
    "PhoneExtension",
    "PurgeMark",
    "Script",
    "ScriptVersion",
    "Team",
    "TeamMember",
    "User",
    "new_id",
    "utcnow",
]
