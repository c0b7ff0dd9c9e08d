"""Admin and supervisor services: users, teams, campaigns and their transfer directories,
scripts, code trees, not-ready reasons, patients, lists.

Functions take a keyword-only ``session`` inside the caller's transaction; every content write
stamps the transaction's change seq (:func:`server.db.next_seq`) and every admin action leaves an
``admin_audit`` row naming ids only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from pulse_contract import calling_rules as rules
from server import audit as audit_trail
from server import identity, outbound, schemas
from server.db import next_seq
from server.models import (
    AgentGrant,
    Assignment,
    Campaign,
    CampaignGrantPeriod,
    CodeTree,
    CodeTreeVersion,
    Device,
    ListEntry,
    NotReadyReason,
    Patient,
    PatientList,
    Script,
    ScriptVersion,
    Team,
    TeamMember,
    User,
    utcnow,
)
from server.security import hash_password

_T = TypeVar("_T")


class ContentError(ValueError):
    """A request names something that does not exist or would break a rule (HTTP 404/409)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def audit(
    session: Session,
    actor_id: str | None,
    action: str,
    target_type: str,
    target_id: str | None,
    **detail: Any,
) -> None:
    """An admin action's row in the audit trail (see :func:`server.audit.audit`)."""
    audit_trail.audit(
        session,
        action,
        actor=actor_id,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
    )


# --- users, teams, assignments ---------------------------------------------------------------


def create_user(session: Session, data: schemas.UserIn, *, actor_id: str | None) -> User:
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise ContentError(f"username {data.username!r} is taken")
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    session.flush()
    audit(session, actor_id, "user.create", "user", user.id, role=data.role)
    return user


ACCOUNT_ACTIONS = ("disable", "enable", "reset_password", "unlock")


def account_action(
    session: Session,
    user_id: str,
    action: str,
    *,
    actor_id: str | None,
    password: str | None = None,
) -> User:
    """An admin's control over an account: disable (its sessions end at once), enable, reset
    the password (to be changed at the next sign-in), or unlock after failed sign-ins."""
    user = session.get(User, user_id)
    if user is None:
        raise ContentError("no such user", 404)
    if action == "disable":
        identity.set_active(session, user, False)
    elif action == "enable":
        identity.set_active(session, user, True)
    elif action == "reset_password":
        if password is None:
            raise ContentError("a temporary password is required", 422)
        identity.reset_password(session, user, password)
    elif action == "unlock":
        identity.unlock(session, user.username)
    else:
        raise ValueError(action)
    audit(session, actor_id, "user." + action, "user", user.id)
    return user


def create_team(session: Session, data: schemas.TeamIn, *, actor_id: str | None) -> Team:
    if session.scalar(select(Team.id).where(Team.name == data.name)) is not None:
        raise ContentError("team name is taken")
    team = Team(name=data.name)
    session.add(team)
    session.flush()
    for user_id in dict.fromkeys(data.member_ids):
        _require(session, User, user_id)
        session.add(TeamMember(team_id=team.id, user_id=user_id))
    audit(session, actor_id, "team.create", "team", team.id, members=len(data.member_ids))
    session.flush()
    refresh_grants(session)
    return team


def assign(session: Session, data: schemas.AssignmentIn, *, actor_id: str | None) -> Assignment:
    _require(session, Campaign, data.campaign_id)
    if data.user_id:
        _require(session, User, data.user_id)
    if data.team_id:
        _require(session, Team, data.team_id)
    existing = session.scalar(
        select(Assignment).where(
            Assignment.campaign_id == data.campaign_id,
            Assignment.user_id.is_(None)
            if data.user_id is None
            else Assignment.user_id == data.user_id,
            Assignment.team_id.is_(None)
            if data.team_id is None
            else Assignment.team_id == data.team_id,
        )
    )
    if existing is not None:
        return existing
    row = Assignment(campaign_id=data.campaign_id, user_id=data.user_id, team_id=data.team_id)
    session.add(row)
    session.flush()
    audit(
        session, actor_id, "assignment.create", "assignment", row.id, campaign_id=data.campaign_id
    )
    refresh_grants(session)
    return row


def unassign(session: Session, assignment_id: str, *, actor_id: str | None) -> None:
    row = _require(session, Assignment, assignment_id)
    session.delete(row)
    session.flush()
    audit(session, actor_id, "assignment.delete", "assignment", assignment_id)
    refresh_grants(session)


def refresh_grants(session: Session, user_ids: Iterable[str] | None = None) -> int:
    """Recompute what each agent may see; changed grants get this transaction's seq.

    Returns the number of grants that changed (activated or withdrawn).
    """
    wanted_users = set(user_ids) if user_ids is not None else None
    desired = _desired_grants(session)
    existing: dict[str, dict[tuple[str, str], AgentGrant]] = defaultdict(dict)
    query = select(AgentGrant)
    if wanted_users is not None:
        query = query.where(AgentGrant.user_id.in_(wanted_users))
    for grant in session.scalars(query):
        existing[grant.user_id][(grant.feed, grant.object_id)] = grant
    changed = 0
    seq: int | None = None
    now = utcnow()
    withdrawn: list[tuple[str, str]] = []  # (user, campaign): their open period ends now
    for uid in set(desired) | set(existing):
        if wanted_users is not None and uid not in wanted_users:
            continue
        have = existing.get(uid, {})
        want = desired.get(uid, set())
        for key in want:
            held = have.get(key)
            if held is None or not held.active:
                seq = seq if seq is not None else next_seq(session)
                if held is None:
                    session.add(
                        AgentGrant(user_id=uid, feed=key[0], object_id=key[1], active=True, seq=seq)
                    )
                else:
                    held.active, held.seq = True, seq
                if key[0] == "campaigns":
                    session.add(
                        CampaignGrantPeriod(user_id=uid, campaign_id=key[1], granted_at=now)
                    )
                changed += 1
        for key, old in have.items():
            if key not in want and old.active:
                seq = seq if seq is not None else next_seq(session)
                old.active, old.seq = False, seq
                if key[0] == "campaigns":
                    withdrawn.append((uid, key[1]))
                changed += 1
    session.flush()
    _end_periods(session, withdrawn, now)
    return changed


def _end_periods(session: Session, withdrawn: list[tuple[str, str]], now: datetime) -> None:
    """Close the open grant periods of these (user, campaign) pairs (intake's history)."""
    for uid, campaign_id in withdrawn:
        session.execute(
            update(CampaignGrantPeriod)
            .where(
                CampaignGrantPeriod.user_id == uid,
                CampaignGrantPeriod.campaign_id == campaign_id,
                CampaignGrantPeriod.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=now)
        )


def _desired_grants(session: Session) -> dict[str, set[tuple[str, str]]]:
    """Per user: the (feed, id) pairs their assignments to active campaigns allow."""
    members: dict[str, list[str]] = defaultdict(list)
    for team_id, user_id in session.execute(select(TeamMember.team_id, TeamMember.user_id)):
        members[team_id].append(user_id)
    desired: dict[str, set[tuple[str, str]]] = defaultdict(set)
    rows = session.execute(
        select(
            Assignment.user_id,
            Assignment.team_id,
            Campaign.id,
            Campaign.script_id,
            Campaign.code_tree_id,
        )
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(Campaign.active)
    )
    for user_id, team_id, campaign_id, script_id, tree_id in rows:
        for uid in [user_id] if user_id else members.get(team_id or "", []):
            grants = desired[uid]
            grants.add(("campaigns", campaign_id))
            if script_id:
                grants.add(("scripts", script_id))
            if tree_id:
                grants.add(("code_trees", tree_id))
    return desired


# --- scripts and code trees -------------------------------------------------------------------


def save_script(
    session: Session, data: schemas.ScriptIn, *, actor_id: str | None, script_id: str | None = None
) -> Script:
    """Create a script, or publish a new version of ``script_id``."""
    variants = {lang: v.model_dump(mode="json") for lang, v in data.variants.items()}
    seq = next_seq(session)
    if script_id is None:
        script = Script(name=data.name, version=1, variants=variants, seq=seq)
        session.add(script)
    else:
        script = _require(session, Script, script_id)
        script.name, script.variants, script.seq = data.name, variants, seq
        script.version += 1
        script.updated_at = utcnow()
    session.flush()
    session.add(
        ScriptVersion(
            script_id=script.id, version=script.version, variants=variants, created_by=actor_id
        )
    )
    audit(session, actor_id, "script.save", "script", script.id, version=script.version)
    return script


def save_code_tree(
    session: Session, data: schemas.CodeTreeIn, *, actor_id: str | None, tree_id: str | None = None
) -> CodeTree:
    codes = {"codes": [c.model_dump(mode="json") for c in data.codes]}
    seq = next_seq(session)
    if tree_id is None:
        tree = CodeTree(name=data.name, version=1, codes=codes, seq=seq)
        session.add(tree)
    else:
        tree = _require(session, CodeTree, tree_id)
        tree.name, tree.codes, tree.seq = data.name, codes, seq
        tree.version += 1
        tree.updated_at = utcnow()
    session.flush()
    session.add(
        CodeTreeVersion(
            code_tree_id=tree.id, version=tree.version, codes=codes, created_by=actor_id
        )
    )
    audit(session, actor_id, "code_tree.save", "code_tree", tree.id, version=tree.version)
    return tree


# --- campaigns ---------------------------------------------------------------------------------


def save_campaign(
    session: Session,
    data: schemas.CampaignIn,
    *,
    actor_id: str | None,
    campaign_id: str | None = None,
    caps: rules.ExemptionCaps | None = None,
) -> Campaign:
    """Create or update a campaign; ``caps`` are the centre's exemption caps its document
    carries (the server's settings; omitted: the rules' defaults)."""
    script = None if data.script_id is None else _require(session, Script, data.script_id)
    if data.recording_consent and not asks_recording_consent(script):
        raise ContentError(
            "a campaign that needs recording consent needs a script whose every language asks"
            " for it at a disclosure step with answers",
            400,
        )
    if data.code_tree_id is not None:
        _require(session, CodeTree, data.code_tree_id)
    clash = session.scalar(select(Campaign.id).where(Campaign.name == data.name))
    if clash is not None and clash != campaign_id:
        raise ContentError("campaign name is taken")
    seq = next_seq(session)
    fields = {
        "name": data.name,
        "kind": data.kind,
        "window_start": data.calling_window.start,
        "window_end": data.calling_window.end,
        "caller_id": data.caller_id,
        "max_attempts": data.max_attempts,
        "script_id": data.script_id,
        "code_tree_id": data.code_tree_id,
        "default_region": data.default_region,
        "wrap_up_s": data.wrap_up_s,
        "healthcare_exempt": data.healthcare_exempt,
        "voicemail_message": data.voicemail_message,
        "preview_s": data.preview_s,
        "recording_consent": data.recording_consent,
    }
    caps = caps or rules.ExemptionCaps()
    fields["exempt_calls_per_day"] = caps.per_day if data.healthcare_exempt else None
    fields["exempt_calls_per_week"] = caps.per_week if data.healthcare_exempt else None
    if data.directory is not None or campaign_id is None:
        fields["directory"] = _directory(data.directory or [])
    if data.team_id is not None:
        _require(session, Team, data.team_id)
        fields["team_id"] = data.team_id
    if campaign_id is None:
        campaign = Campaign(seq=seq, version=1, **fields)
        session.add(campaign)
    else:
        campaign = _require(session, Campaign, campaign_id)
        for key, value in fields.items():
            setattr(campaign, key, value)
        campaign.version += 1
        campaign.seq = seq
    session.flush()
    audit(session, actor_id, "campaign.save", "campaign", campaign.id, version=campaign.version)
    refresh_grants(session)
    return campaign


def asks_recording_consent(script: Script | None) -> bool:
    """Every language of the script has a disclosure step with answers to record."""
    if script is None or not script.variants:
        return False
    return all(
        any(
            step.get("kind") == "disclosure" and step.get("branches")
            for step in variant.get("steps", [])
        )
        for variant in script.variants.values()
    )


def announce_caps(session: Session, caps: rules.ExemptionCaps) -> int:
    """Put the centre's exemption caps on every exempt campaign that carries others (a new
    version, so that every desk's cache receives them); run at server start, when the settings
    may have changed. Returns how many campaigns changed."""
    stale = list(
        session.scalars(
            select(Campaign).where(
                Campaign.healthcare_exempt,
                or_(
                    Campaign.exempt_calls_per_day.is_(None),
                    Campaign.exempt_calls_per_week.is_(None),
                    Campaign.exempt_calls_per_day != caps.per_day,
                    Campaign.exempt_calls_per_week != caps.per_week,
                ),
            )
        )
    )
    if not stale:
        return 0
    seq = next_seq(session)
    for campaign in stale:
        campaign.exempt_calls_per_day, campaign.exempt_calls_per_week = caps.per_day, caps.per_week
        campaign.version += 1
        campaign.seq = seq
    session.flush()
    audit(
        session,
        None,
        "campaign.caps",
        "campaign",
        None,
        campaigns=len(stale),
        per_day=caps.per_day,
        per_week=caps.per_week,
    )
    return len(stale)


def _directory(entries: Iterable[schemas.DirectoryEntry]) -> dict[str, Any]:
    return {"entries": [e.model_dump(mode="json") for e in entries]}


def set_directory(
    session: Session,
    campaign_id: str,
    entries: list[schemas.DirectoryEntry],
    *,
    actor_id: str | None,
) -> Campaign:
    """Replace a campaign's transfer directory (a new campaign version, so agents sync it)."""
    campaign = _require(session, Campaign, campaign_id)
    campaign.directory = _directory(entries)
    campaign.version += 1
    campaign.seq = next_seq(session)
    session.flush()
    audit(
        session,
        actor_id,
        "campaign.directory",
        "campaign",
        campaign_id,
        version=campaign.version,
        entries=len(entries),
    )
    return campaign


def deactivate_campaign(session: Session, campaign_id: str, *, actor_id: str | None) -> None:
    campaign = _require(session, Campaign, campaign_id)
    campaign.active = False
    campaign.seq = next_seq(session)
    session.flush()
    audit(session, actor_id, "campaign.deactivate", "campaign", campaign_id)
    refresh_grants(session)


# --- not-ready reasons ---------------------------------------------------------------------------


def not_ready_reasons(session: Session) -> list[NotReadyReason]:
    """The current list, in the desk's order."""
    return list(
        session.scalars(
            select(NotReadyReason)
            .where(NotReadyReason.active)
            .order_by(NotReadyReason.position, NotReadyReason.code)
        )
    )


def save_not_ready_reasons(
    session: Session, data: schemas.NotReadyReasonsIn, *, actor_id: str | None
) -> list[NotReadyReason]:
    """Make the list exactly ``data.reasons``; only reasons that change get a new seq."""
    rows = {r.code: r for r in session.scalars(select(NotReadyReason))}
    wanted = {r.code for r in data.reasons}
    changed = 0
    for position, item in enumerate(data.reasons):
        row = rows.get(item.code)
        if row is None:
            session.add(
                NotReadyReason(
                    code=item.code,
                    label=item.label,
                    productive=item.productive,
                    position=position,
                    active=True,
                    version=1,
                    seq=next_seq(session),
                )
            )
        elif (row.active, row.label, row.productive, row.position) != (
            True,
            item.label,
            item.productive,
            position,
        ):
            row.active, row.label, row.productive, row.position = (
                True,
                item.label,
                item.productive,
                position,
            )
            row.version += 1
            row.seq = next_seq(session)
        else:
            continue
        changed += 1
    for code, row in rows.items():
        if code not in wanted and row.active:
            row.active = False
            row.version += 1
            row.seq = next_seq(session)
            changed += 1
    session.flush()
    audit(
        session,
        actor_id,
        "not_ready_reasons.save",
        "not_ready_reasons",
        None,
        reasons=len(data.reasons),
        changed=changed,
    )
    return not_ready_reasons(session)


# --- patients and lists --------------------------------------------------------------------------


def upsert_patient(
    session: Session, data: schemas.PatientIn, *, patient_id: str | None = None
) -> tuple[Patient, bool]:
    """Create or update by MRN (or by id); returns (patient, created)."""
    seq = next_seq(session)
    fields = data.model_dump(mode="python", exclude={"phones"})
    phones = {"items": [p.model_dump() for p in data.phones]}
    if patient_id is not None:
        patient: Patient | None = _require(session, Patient, patient_id)
    else:
        patient = session.scalar(select(Patient).where(Patient.mrn == data.mrn))
    if patient is None:
        patient = Patient(seq=seq, version=1, phones=phones, **fields)
        session.add(patient)
        session.flush()
        return patient, True
    changed = (
        patient.deleted
        or patient.phones != phones
        or any(getattr(patient, k) != v for k, v in fields.items())
    )
    if changed:
        for key, value in fields.items():
            setattr(patient, key, value)
        patient.phones, patient.deleted = phones, False
        patient.version += 1
        patient.seq = seq
    return patient, False


def delete_patient(session: Session, patient_id: str, *, actor_id: str | None) -> None:
    patient = _require(session, Patient, patient_id)
    patient.deleted = True
    patient.version += 1
    patient.seq = next_seq(session)
    audit(session, actor_id, "patient.delete", "patient", patient_id)


def add_to_list(
    session: Session,
    campaign_id: str,
    list_name: str,
    patient_ids: Iterable[str],
    *,
    actor_id: str | None,
) -> int:
    _require(session, Campaign, campaign_id)
    plist = session.scalar(
        select(PatientList).where(
            PatientList.campaign_id == campaign_id, PatientList.name == list_name
        )
    )
    if plist is None:
        plist = PatientList(campaign_id=campaign_id, name=list_name)
        session.add(plist)
        session.flush()
    ids = list(dict.fromkeys(patient_ids))
    known = set(session.scalars(select(Patient.id).where(Patient.id.in_(ids))))
    missing = [pid for pid in ids if pid not in known]
    if missing:
        raise ContentError(f"{len(missing)} patient ids are unknown (first {missing[0]})", 404)
    seq = next_seq(session)
    current = {
        e.patient_id: e
        for e in session.scalars(
            select(ListEntry).where(ListEntry.list_id == plist.id, ListEntry.patient_id.in_(ids))
        )
    }
    added = 0
    for pid in ids:
        entry = current.get(pid)
        if entry is None:
            session.add(
                ListEntry(
                    list_id=plist.id, patient_id=pid, campaign_id=campaign_id, active=True, seq=seq
                )
            )
            added += 1
        elif not entry.active:
            entry.active, entry.seq = True, seq
            added += 1
    session.flush()
    outbound.enqueue(session, campaign_id, ids)
    audit(session, actor_id, "list.add", "patient_list", plist.id, added=added)
    return added


def remove_from_list(
    session: Session,
    campaign_id: str,
    list_name: str,
    patient_ids: Iterable[str] | None,
    *,
    actor_id: str | None,
) -> int:
    """Withdraw patients (all of them when ``patient_ids`` is None) from a campaign list."""
    patient_ids = None if patient_ids is None else list(patient_ids)
    plist = session.scalar(
        select(PatientList).where(
            PatientList.campaign_id == campaign_id, PatientList.name == list_name
        )
    )
    if plist is None:
        raise ContentError("no such list", 404)
    seq = next_seq(session)
    stmt = update(ListEntry).where(ListEntry.list_id == plist.id, ListEntry.active)
    if patient_ids is not None:
        stmt = stmt.where(ListEntry.patient_id.in_(list(patient_ids)))
    result = session.execute(
        stmt.values(active=False, seq=seq).execution_options(synchronize_session=False)
    )
    removed = int(getattr(result, "rowcount", 0) or 0)
    outbound.withdraw(session, campaign_id, patient_ids)
    audit(session, actor_id, "list.remove", "patient_list", plist.id, removed=removed)
    return removed


# --- devices -------------------------------------------------------------------------------------


def revoke_device(session: Session, device_id: str, *, wipe: bool, actor_id: str | None) -> Device:
    from server.models import AuthSession

    device = _require(session, Device, device_id)
    now = utcnow()
    device.revoked_at = device.revoked_at or now
    device.wipe = device.wipe or wipe
    session.execute(
        update(AuthSession)
        .where(AuthSession.device_id == device_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    audit(session, actor_id, "device.revoke", "device", device_id, wipe=wipe)
    return device


def _require(session: Session, model: type[_T], object_id: str) -> _T:
    row = session.get(model, object_id)
    if row is None:
        raise ContentError(f"{model.__name__.lower()} {object_id} not found", 404)
    return row
