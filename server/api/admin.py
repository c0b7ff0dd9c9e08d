"""Admin and supervisor routes: people and their phone extensions, campaigns and their
directories, content, not-ready reasons, patients, devices, audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import content, enrolment, extensions, identity, importers, outbound, teams
from server.api.auth import AUTH_ERRORS, iso
from server.api.deps import AdminPrincipal, RuntimeDep, StaffPrincipal
from server.api.sync import intake_out
from server.feeds import not_ready_reason_out
from server.identity import Principal
from server.models import (
    AdminAudit,
    Device,
    IntakeItem,
    PhoneExtension,
    User,
    Workstation,
)
from server.runtime import Runtime
from server.schemas import (
    AssignmentIn,
    CampaignIn,
    CodeTreeIn,
    Detail,
    DeviceOut,
    DirectoryIn,
    EnrolmentCodeIn,
    EnrolmentCodeOut,
    ExtensionIn,
    ExtensionOut,
    IdOut,
    ImportOut,
    IntakeItemOut,
    ListEntriesIn,
    NotReadyReasonOut,
    NotReadyReasonsIn,
    PasswordResetIn,
    PatientIn,
    ScriptIn,
    TeamIn,
    UserIn,
    WorkstationOut,
)

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    responses={
        **AUTH_ERRORS,
        400: {"model": Detail, "description": "a value this server does not allow"},
        403: {"model": Detail, "description": "role not allowed"},
        404: {"model": Detail, "description": "no such record"},
        409: {"model": Detail, "description": "conflicts with existing data"},
    },
)
_T = TypeVar("_T")


def _write(rt: Runtime, action: Callable[[Session], _T]) -> _T:
    with rt.sessions() as session, session.begin():
        return action(session)


def _id(row: Any) -> dict[str, str]:
    return {"id": str(row.id)}


@router.post("/users", response_model=IdOut, status_code=201)
def create_user(body: UserIn, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    return _id(_write(rt, lambda s: content.create_user(s, body, actor_id=who.user_id)))


def _extension_out(session: Session, ext: PhoneExtension) -> ExtensionOut:
    return ExtensionOut(
        user_id=ext.user_id,
        username=ext.sip_username,
        domain=ext.domain,
        registrar=ext.registrar,
        transport=ext.transport,
        password_version=ext.password_version,
        updated_at=iso(ext.updated_at),
        delivered_device_ids=extensions.delivered_devices(session=session, extension=ext),
    )


@router.put("/users/{user_id}/extension", response_model=ExtensionOut)
def assign_extension(user_id: str, body: ExtensionIn, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    """Give the user this SIP account; each assignment is a new password version, sent again
    to every workstation."""

    def run(session: Session) -> ExtensionOut:
        ext = extensions.assign(
            session=session, box=rt.sip_box, user_id=user_id, data=body, actor_id=who.user_id
        )
        return _extension_out(session, ext)

    return _write(rt, run)


@router.get("/users/{user_id}/extension", response_model=ExtensionOut)
def get_extension(user_id: str, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    with rt.sessions() as session:
        return _extension_out(session, extensions.get(session=session, user_id=user_id))


@router.delete("/users/{user_id}/extension", status_code=204)
def remove_extension(user_id: str, who: AdminPrincipal, rt: RuntimeDep) -> None:
    _write(rt, lambda s: extensions.remove(session=s, user_id=user_id, actor_id=who.user_id))


@router.post("/teams", response_model=IdOut, status_code=201)
def create_team(body: TeamIn, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    return _id(_write(rt, lambda s: content.create_team(s, body, actor_id=who.user_id)))


@router.post("/assignments", response_model=IdOut, status_code=201)
def create_assignment(body: AssignmentIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    def run(session: Session) -> Any:
        teams.check_assignment(session, who, body.campaign_id, body.user_id, body.team_id)
        return content.assign(session, body, actor_id=who.user_id)

    return _id(_write(rt, run))


@router.delete("/assignments/{assignment_id}", status_code=204)
def delete_assignment(assignment_id: str, who: StaffPrincipal, rt: RuntimeDep) -> None:
    def run(session: Session) -> None:
        teams.check_unassignment(session, who, assignment_id)
        content.unassign(session, assignment_id, actor_id=who.user_id)

    _write(rt, run)


@router.post("/scripts", response_model=IdOut, status_code=201)
def create_script(body: ScriptIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    return _id(_write(rt, lambda s: content.save_script(s, body, actor_id=who.user_id)))


@router.put("/scripts/{script_id}", response_model=IdOut)
def publish_script(script_id: str, body: ScriptIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    return _id(
        _write(
            rt, lambda s: content.save_script(s, body, actor_id=who.user_id, script_id=script_id)
        )
    )


@router.post("/code_trees", response_model=IdOut, status_code=201)
def create_code_tree(body: CodeTreeIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    return _id(_write(rt, lambda s: content.save_code_tree(s, body, actor_id=who.user_id)))


@router.put("/code_trees/{tree_id}", response_model=IdOut)
def publish_code_tree(tree_id: str, body: CodeTreeIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    return _id(
        _write(rt, lambda s: content.save_code_tree(s, body, actor_id=who.user_id, tree_id=tree_id))
    )


@router.post("/campaigns", response_model=IdOut, status_code=201)
def create_campaign(body: CampaignIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    def run(session: Session) -> Any:
        return content.save_campaign(
            session,
            _team_named(session, who, body),
            actor_id=who.user_id,
            caps=outbound.caps_of(rt.settings),
        )

    return _id(_write(rt, run))


def _team_named(session: Session, who: Principal, body: CampaignIn) -> CampaignIn:
    """A supervisor's campaign is run by one of their teams (their only one when unnamed)."""
    scope = teams.scope_of(session, who)
    if scope.teams is None:
        return body
    if body.team_id is None:
        if len(scope.teams) != 1:
            raise content.ContentError("name the team (team_id) that runs the campaign", 422)
        return body.model_copy(update={"team_id": next(iter(scope.teams))})
    scope.team(body.team_id)
    return body


def _own_campaign(session: Session, who: Principal, campaign_id: str) -> None:
    teams.scope_of(session, who).campaign(campaign_id, session)


@router.put("/campaigns/{campaign_id}", response_model=IdOut)
def update_campaign(campaign_id: str, body: CampaignIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    def run(session: Session) -> Any:
        _own_campaign(session, who, campaign_id)
        if body.team_id is not None:
            teams.scope_of(session, who).team(body.team_id)
        return content.save_campaign(
            session,
            body,
            actor_id=who.user_id,
            campaign_id=campaign_id,
            caps=outbound.caps_of(rt.settings),
        )

    return _id(_write(rt, run))


@router.put("/campaigns/{campaign_id}/directory", response_model=IdOut)
def set_directory(campaign_id: str, body: DirectoryIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    """Replace the campaign's transfer directory (agents receive it with the campaign)."""

    def run(session: Session) -> Any:
        _own_campaign(session, who, campaign_id)
        return content.set_directory(session, campaign_id, body.entries, actor_id=who.user_id)

    return _id(_write(rt, run))


@router.get("/not_ready_reasons", response_model=list[NotReadyReasonOut])
def list_not_ready_reasons(who: StaffPrincipal, rt: RuntimeDep) -> Any:
    with rt.sessions() as session:
        return [not_ready_reason_out(r) for r in content.not_ready_reasons(session)]


@router.put("/not_ready_reasons", response_model=list[NotReadyReasonOut])
def save_not_ready_reasons(body: NotReadyReasonsIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    """Make the list exactly this one, in this order; reasons left out are withdrawn."""
    rows = _write(rt, lambda s: content.save_not_ready_reasons(s, body, actor_id=who.user_id))
    return [not_ready_reason_out(r) for r in rows]


@router.delete("/campaigns/{campaign_id}", status_code=204)
def deactivate_campaign(campaign_id: str, who: StaffPrincipal, rt: RuntimeDep) -> None:
    def run(session: Session) -> None:
        _own_campaign(session, who, campaign_id)
        content.deactivate_campaign(session, campaign_id, actor_id=who.user_id)

    _write(rt, run)


@router.post("/campaigns/{campaign_id}/lists", response_model=ImportOut)
def add_to_list(campaign_id: str, body: ListEntriesIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    def run(session: Session) -> int:
        _own_campaign(session, who, campaign_id)
        return content.add_to_list(
            session, campaign_id, body.list_name, body.patient_ids, actor_id=who.user_id
        )

    added = _write(rt, run)
    return ImportOut(created=added, updated=0, errors=[])


@router.post("/campaigns/{campaign_id}/lists/remove", response_model=ImportOut)
def remove_from_list(
    campaign_id: str, body: ListEntriesIn, who: StaffPrincipal, rt: RuntimeDep
) -> Any:
    def run(session: Session) -> int:
        _own_campaign(session, who, campaign_id)
        return content.remove_from_list(
            session, campaign_id, body.list_name, body.patient_ids, actor_id=who.user_id
        )

    removed = _write(rt, run)
    return ImportOut(created=0, updated=removed, errors=[])


@router.post("/patients", response_model=IdOut, status_code=201)
def upsert_patient(body: PatientIn, who: StaffPrincipal, rt: RuntimeDep) -> Any:
    def run(session: Session) -> Any:
        row, created = content.upsert_patient(session, body)
        content.audit(session, who.user_id, "patient.save", "patient", row.id, created=created)
        return row

    return _id(_write(rt, run))


@router.delete("/patients/{patient_id}", status_code=204)
def delete_patient(patient_id: str, who: StaffPrincipal, rt: RuntimeDep) -> None:
    _write(rt, lambda s: content.delete_patient(s, patient_id, actor_id=who.user_id))


ImportTarget = Annotated[str | None, Query(max_length=64)]
ListName = Annotated[str, Query(min_length=1, max_length=200)]


@router.post(
    "/patients/import/csv",
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def import_csv(
    request: Request,
    who: StaffPrincipal,
    rt: RuntimeDep,
    campaign_id: ImportTarget = None,
    list_name: ListName = "default",
) -> Any:
    raw = await request.body()
    try:
        parsed = importers.parse_csv(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, importers.ImportFormatError) as exc:
        raise content.ContentError(f"cannot import: {exc}", 422) from None
    return _store(rt, parsed, campaign_id, list_name, who)


@router.post("/patients/import/fhir", response_model=ImportOut)
def import_fhir(
    who: StaffPrincipal,
    rt: RuntimeDep,
    document: Annotated[dict[str, Any], Body()],
    campaign_id: ImportTarget = None,
    list_name: ListName = "default",
) -> Any:
    try:
        parsed = importers.parse_fhir(document)
    except importers.ImportFormatError as exc:
        raise content.ContentError(f"cannot import: {exc}", 422) from None
    return _store(rt, parsed, campaign_id, list_name, who)


def _store(
    rt: Runtime,
    parsed: importers.ParsedImport,
    campaign_id: str | None,
    list_name: str,
    who: Principal,
) -> ImportOut:
    def run(session: Session) -> tuple[int, int]:
        if campaign_id is not None:
            _own_campaign(session, who, campaign_id)
        return importers.store(
            session, parsed, campaign_id=campaign_id, list_name=list_name, actor_id=who.user_id
        )

    created, updated = _write(rt, run)
    return ImportOut(created=created, updated=updated, errors=parsed.errors)


@router.get("/devices", response_model=list[DeviceOut])
def list_devices(
    who: AdminPrincipal, rt: RuntimeDep, user_id: Annotated[str | None, Query(max_length=64)] = None
) -> Any:
    with rt.sessions() as session:
        query = select(Device).order_by(Device.registered_at, Device.id)
        if user_id:
            query = query.where(Device.user_id == user_id)
        return [
            {
                "id": d.id,
                "user_id": d.user_id,
                "client_device_id": d.client_device_id,
                "name": d.name,
                "registered_at": iso(d.registered_at),
                "last_seen_at": iso(d.last_seen_at) if d.last_seen_at else None,
                "revoked_at": iso(d.revoked_at) if d.revoked_at else None,
            }
            for d in session.scalars(query.limit(1000))
        ]


@router.post("/devices/{device_id}/revoke", response_model=IdOut)
def revoke_device(device_id: str, who: AdminPrincipal, rt: RuntimeDep, wipe: bool = True) -> Any:
    return _id(
        _write(rt, lambda s: content.revoke_device(s, device_id, wipe=wipe, actor_id=who.user_id))
    )


@router.post("/users/{user_id}/revoke_tokens", response_model=IdOut)
def revoke_tokens(user_id: str, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    def run(session: Session) -> dict[str, str]:
        if session.get(User, user_id) is None:
            raise content.ContentError("no such user", 404)
        identity.end_sessions(session, user_id)
        content.audit(session, who.user_id, "user.revoke_tokens", "user", user_id)
        return {"id": user_id}

    return _write(rt, run)


def _account(user_id: str, action: str, who: Any, rt: Runtime, password: str | None = None) -> Any:
    return _id(
        _write(
            rt,
            lambda s: content.account_action(
                s, user_id, action, actor_id=who.user_id, password=password
            ),
        )
    )


@router.post("/users/{user_id}/disable", response_model=IdOut)
def disable_user(user_id: str, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    """The user can no longer sign in; their sessions and tokens end at once."""
    return _account(user_id, "disable", who, rt)


@router.post("/users/{user_id}/enable", response_model=IdOut)
def enable_user(user_id: str, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    return _account(user_id, "enable", who, rt)


@router.post("/users/{user_id}/reset_password", response_model=IdOut)
def reset_password(user_id: str, body: PasswordResetIn, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    """A temporary password; the user must choose a new one at their next sign-in."""
    return _account(user_id, "reset_password", who, rt, body.password)


@router.post("/users/{user_id}/unlock", response_model=IdOut)
def unlock_user(user_id: str, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    """Clear the failed sign-ins and any lock of this user."""
    return _account(user_id, "unlock", who, rt)


@router.post("/enrolment_codes", response_model=EnrolmentCodeOut, status_code=201)
def create_enrolment_code(body: EnrolmentCodeIn, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    """A one-time code for IT to enrol a workstation; shown once, kept as a digest."""

    def run(session: Session) -> EnrolmentCodeOut:
        try:
            code, expires = enrolment.create_code(session, rt.settings, body.expires_in_s)
        except enrolment.EnrolmentError as exc:
            raise content.ContentError(exc.detail, exc.status) from None
        content.audit(session, who.user_id, "enrolment_code.create", "enrolment_code", None)
        return EnrolmentCodeOut(code=code, expires_at=iso(expires))

    return _write(rt, run)


@router.get("/workstations", response_model=list[WorkstationOut])
def list_workstations(who: AdminPrincipal, rt: RuntimeDep) -> Any:
    with rt.sessions() as session:
        rows = session.scalars(
            select(Workstation).order_by(Workstation.created_at, Workstation.id).limit(5000)
        )
        return [
            WorkstationOut(
                id=w.id,
                client_device_id=w.client_device_id,
                name=w.name,
                status=w.status,
                created_at=iso(w.created_at),
                enrolled_at=iso(w.enrolled_at) if w.enrolled_at else None,
            )
            for w in rows
        ]


def _workstation(workstation_id: str, action: str, who: Any, rt: Runtime) -> Any:
    def run(session: Session) -> dict[str, str]:
        try:
            if action == "approve":
                enrolment.approve(session, workstation_id)
            else:
                enrolment.remove(session, workstation_id)
        except enrolment.EnrolmentError as exc:
            raise content.ContentError(exc.detail, exc.status) from None
        content.audit(session, who.user_id, "workstation." + action, "workstation", workstation_id)
        return {"id": workstation_id}

    return _write(rt, run)


@router.post("/workstations/{workstation_id}/approve", response_model=IdOut)
def approve_workstation(workstation_id: str, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    """Enrol a workstation that asked without a code."""
    return _workstation(workstation_id, "approve", who, rt)


@router.delete("/workstations/{workstation_id}", response_model=IdOut)
def remove_workstation(workstation_id: str, who: AdminPrincipal, rt: RuntimeDep) -> Any:
    """Forget an enrolment: the workstation must enrol again, with a new key."""
    return _workstation(workstation_id, "remove", who, rt)


@router.get("/dispositions", response_model=list[IntakeItemOut])
def list_dispositions(
    who: StaffPrincipal,
    rt: RuntimeDep,
    agent_id: Annotated[str | None, Query(max_length=64)] = None,
    kind: Annotated[
        str, Query(pattern="^(disposition|call_record|callback|audit|agent_state)$")
    ] = "disposition",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    """What agents sent; a supervisor sees only their teams' agents."""
    with rt.sessions() as session:
        scope = teams.scope_of(session, who)
        query = select(IntakeItem).where(IntakeItem.kind == kind)
        if agent_id:
            scope.agent(agent_id)
            query = query.where(IntakeItem.user_id == agent_id)
        elif scope.agents is not None:
            query = query.where(IntakeItem.user_id.in_(sorted(scope.agents)))
        rows = list(
            session.scalars(
                query.order_by(IntakeItem.received_at.desc(), IntakeItem.id).limit(limit)
            )
        )
        content.audit(session, who.user_id, "intake.read", "intake", agent_id, kind=kind)
        session.commit()
        return [intake_out(r) for r in rows]


@router.get("/audit", response_model=list[dict[str, Any]])
def admin_audit(
    who: AdminPrincipal, rt: RuntimeDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> Any:
    with rt.sessions() as session, session.begin():
        rows = session.scalars(select(AdminAudit).order_by(AdminAudit.position.desc()).limit(limit))
        out = [
            {
                "id": r.id,
                "position": r.position,
                "at": iso(r.at),
                "actor_id": r.actor_id,
                "device_id": r.device_id,
                "action": r.action,
                "target_type": r.target_type,
                "target_id": r.target_id,
                "detail": json.loads(json.dumps(r.detail)),
                "row_hash": r.row_hash,
            }
            for r in rows
        ]
        # Reading the trail is itself on the record (HIPAA 164.312(b)).
        content.audit(session, who.user_id, "audit.read", "audit", None, rows=len(out))
        return out
