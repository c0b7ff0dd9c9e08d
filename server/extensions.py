"""Agents' phone extensions: assigned by an admin, handed to each workstation once.

The password is stored encrypted (:mod:`server.sip_secrets`) and leaves the server only in
the answer to the agent's own ``GET /api/v1/agent/phone``, once per workstation and password
version. Every assignment, even of the same values, starts a new version: it is how an admin
has the password sent again (a workstation whose keyring was lost). Functions take a
keyword-only ``session`` inside the caller's transaction, as the other services do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server import schemas
from server.content import ContentError, audit
from server.models import PhoneDelivery, PhoneExtension, User, utcnow
from server.sip_secrets import SipSecretBox

NO_EXTENSION = "no phone extension is assigned to this user"
NOT_ASSIGNED_TO_CALLER = (
    "no phone extension is assigned to you; an administrator assigns one "
    "(PUT /api/v1/admin/users/{id}/extension or pulse-server assign-extension)"
)


@dataclass(frozen=True)
class Delivery:
    """What the agent's workstation receives: the account, and the password at most once."""

    extension: PhoneExtension
    password: str | None = field(repr=False)

    @property
    def already_delivered(self) -> bool:
        return self.password is None


def assign(
    *,
    session: Session,
    box: SipSecretBox,
    user_id: str,
    data: schemas.ExtensionIn,
    actor_id: str | None,
) -> PhoneExtension:
    """Give ``user_id`` this SIP account (replacing any), as a new password version."""
    if session.get(User, user_id) is None:
        raise ContentError(f"user {user_id} not found", 404)
    holder = session.scalar(
        select(PhoneExtension.user_id).where(
            PhoneExtension.domain == data.domain, PhoneExtension.sip_username == data.username
        )
    )
    if holder is not None and holder != user_id:
        raise ContentError("this SIP account is assigned to another user")
    ciphertext, key_id = box.encrypt(data.password, user_id=user_id)
    extension = session.get(PhoneExtension, user_id)
    if extension is None:
        # Deliveries of an earlier, removed extension must not count for this one.
        session.execute(delete(PhoneDelivery).where(PhoneDelivery.user_id == user_id))
        extension = PhoneExtension(user_id=user_id, password_version=1)
        session.add(extension)
    else:
        extension.password_version += 1
    extension.sip_username = data.username
    extension.domain = data.domain
    extension.registrar = data.registrar
    extension.transport = data.transport
    extension.password_ciphertext = ciphertext
    extension.key_id = key_id
    extension.updated_at = utcnow()
    session.flush()
    audit(
        session,
        actor_id,
        "extension.assign",
        "user",
        user_id,
        password_version=extension.password_version,
        transport=data.transport,
    )
    return extension


def remove(*, session: Session, user_id: str, actor_id: str | None) -> None:
    extension = session.get(PhoneExtension, user_id)
    if extension is None:
        raise ContentError(NO_EXTENSION, 404)
    session.delete(extension)
    session.execute(delete(PhoneDelivery).where(PhoneDelivery.user_id == user_id))
    audit(session, actor_id, "extension.remove", "user", user_id)


def get(*, session: Session, user_id: str) -> PhoneExtension:
    extension = session.get(PhoneExtension, user_id)
    if extension is None:
        raise ContentError(NO_EXTENSION, 404)
    return extension


def delivered_devices(*, session: Session, extension: PhoneExtension) -> list[str]:
    """Device ids of the workstations that hold the current password version."""
    return list(
        session.scalars(
            select(PhoneDelivery.device_id)
            .where(
                PhoneDelivery.user_id == extension.user_id,
                PhoneDelivery.password_version >= extension.password_version,
            )
            .order_by(PhoneDelivery.device_id)
        )
    )


def deliver(*, session: Session, box: SipSecretBox, user_id: str, device_id: str) -> Delivery:
    """The agent's account for one workstation, with the password if that workstation has not
    received this version yet.

    The delivery is claimed by a conditional write (an update of an older version, or an
    insert that does nothing when the row exists), so two requests racing from one
    workstation cannot both carry the password, and a failure before the commit (a key that
    does not open the password) leaves it unclaimed."""
    extension = session.get(PhoneExtension, user_id)
    if extension is None:
        raise ContentError(NOT_ASSIGNED_TO_CALLER, 404)
    version = extension.password_version
    held = session.scalar(
        select(PhoneDelivery.password_version).where(
            PhoneDelivery.device_id == device_id, PhoneDelivery.user_id == user_id
        )
    )
    if held is not None and held >= version:
        return Delivery(extension, None)
    if held is not None:
        claimed = session.execute(
            update(PhoneDelivery)
            .where(
                PhoneDelivery.device_id == device_id,
                PhoneDelivery.user_id == user_id,
                PhoneDelivery.password_version < version,
            )
            .values(password_version=version, delivered_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            return Delivery(extension, None)
    else:
        values = {
            "device_id": device_id,
            "user_id": user_id,
            "password_version": version,
            "delivered_at": utcnow(),
        }
        if _insert_unless_present(session, values) is None:
            return Delivery(extension, None)
    password = box.decrypt(extension.password_ciphertext, extension.key_id, user_id=user_id)
    return Delivery(extension, password)


def _insert_unless_present(session: Session, values: dict[str, Any]) -> str | None:
    """``INSERT ... ON CONFLICT DO NOTHING``: the device id when this call made the row, None
    when a concurrent request made it first (no exception, no savepoint: SQLite's driver
    would commit the whole transaction when releasing one)."""
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        statement = postgresql.insert(PhoneDelivery)
    elif dialect == "sqlite":
        statement = sqlite.insert(PhoneDelivery)
    else:
        raise NotImplementedError(f"no delivery claim for the {dialect} database")
    statement = (
        statement.values(**values)
        .on_conflict_do_nothing(index_elements=[PhoneDelivery.device_id])
        .returning(PhoneDelivery.device_id)
    )
    made = session.execute(statement).scalar_one_or_none()
    return None if made is None else str(made)
