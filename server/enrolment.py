"""Workstation enrolment and device keys.

A workstation joins with a one-time code IT creates (short-lived, single use, kept only as a
digest) or by an admin's approval of its pending request. At enrolment it registers an Ed25519
public key; the private half stays in its OS keyring. Every sign-in and refresh from an
enrolled workstation carries a signature over what it asks and the time, so a copied
device-id file alone signs nobody in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pulse_contract.device_proof import (
    PROOF_WINDOW_S,
    enrol_message,
    login_message,
    refresh_message,
)
from server.models import EnrolmentCode, Workstation, utcnow
from server.settings import ServerSettings

NOT_ENROLLED = "This workstation is not enrolled: ask IT for an enrolment code"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand


class EnrolmentError(Exception):
    """An enrolment or a device proof that is refused; ``status`` is the HTTP answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Proof:
    """A request's signature by the workstation's key, and the time it was signed."""

    signed_at: int | None
    signature: str | None


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_digest(code: str) -> str:
    return hashlib.sha256(("pulse-enrolment:" + _normalise(code)).encode()).hexdigest()


def create_code(
    session: Session, settings: ServerSettings, expires_in_s: int
) -> tuple[str, datetime]:
    """A new code (shown once, kept as a digest) valid for ``expires_in_s`` seconds."""
    limit = settings.enrolment_code_max_hours * 3600
    if not 60 <= expires_in_s <= limit:
        raise EnrolmentError(400, f"an enrolment code lasts from a minute to {limit:g} seconds")
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    now = utcnow()
    expires = now + timedelta(seconds=expires_in_s)
    session.add(EnrolmentCode(digest=code_digest(code), created_at=now, expires_at=expires))
    return code, expires


def _public_key(encoded: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(encoded, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise EnrolmentError(400, "the public key is not a base64 Ed25519 key") from None


def verify(public_key: str, message: bytes, proof: Proof, now: datetime | None = None) -> bool:
    """True when ``proof`` signs ``message`` with ``public_key`` within the time window."""
    if proof.signed_at is None or proof.signature is None:
        return False
    moment = (now or utcnow()).timestamp()
    if abs(moment - proof.signed_at) > PROOF_WINDOW_S:
        return False
    try:
        signature = base64.b64decode(proof.signature, validate=True)
        _public_key(public_key).verify(signature, message)
    except (binascii.Error, ValueError, InvalidSignature, EnrolmentError):
        return False
    return True


def enrol(
    session: Session,
    *,
    device_id: str,
    public_key: str,
    name: str,
    code: str | None,
    proof: Proof,
) -> Workstation:
    """Enrol a workstation with a code, or file its request for an admin's approval."""
    _public_key(public_key)
    if not verify(public_key, enrol_message(device_id, public_key, proof.signed_at or 0), proof):
        raise EnrolmentError(401, "the enrolment request is not signed by its key")
    existing = session.scalar(select(Workstation).where(Workstation.client_device_id == device_id))
    if existing is not None and existing.status == "enrolled":
        raise EnrolmentError(409, "this workstation is already enrolled; an admin can remove it")
    now = utcnow()
    workstation = existing or Workstation(client_device_id=device_id, created_at=now)
    workstation.public_key = public_key
    workstation.name = name
    workstation.status = "pending"
    if existing is None:
        session.add(workstation)
    session.flush()
    if code is not None:
        # One statement: of two workstations racing with one code, exactly one gets it.
        used = session.execute(
            update(EnrolmentCode)
            .where(
                EnrolmentCode.digest == code_digest(code),
                EnrolmentCode.used_at.is_(None),
                EnrolmentCode.expires_at > now,
            )
            .values(used_at=now, workstation_id=workstation.id)
            .returning(EnrolmentCode.digest)
        ).one_or_none()
        if used is None:
            raise EnrolmentError(403, "the enrolment code is wrong, used or expired")
        workstation.status = "enrolled"
        workstation.enrolled_at = now
    return workstation


def approve(session: Session, workstation_id: str) -> Workstation:
    workstation = session.get(Workstation, workstation_id)
    if workstation is None:
        raise EnrolmentError(404, "no such workstation")
    if workstation.status != "enrolled":
        workstation.status = "enrolled"
        workstation.enrolled_at = utcnow()
    return workstation


def remove(session: Session, workstation_id: str) -> Workstation:
    """Forget an enrolment: the workstation must enrol again (with a new key)."""
    workstation = session.get(Workstation, workstation_id)
    if workstation is None:
        raise EnrolmentError(404, "no such workstation")
    session.delete(workstation)
    return workstation


def check_sign_in(
    session: Session,
    settings: ServerSettings,
    *,
    device_id: str,
    username: str,
    proof: Proof,
) -> EnrolmentError | None:
    """Why this workstation may not sign in, or None when it may."""
    workstation = session.scalar(
        select(Workstation).where(Workstation.client_device_id == device_id)
    )
    if workstation is None or workstation.status != "enrolled":
        return EnrolmentError(403, NOT_ENROLLED) if settings.require_enrolment else None
    message = login_message(device_id, username, proof.signed_at or 0)
    if not verify(workstation.public_key, message, proof):
        return EnrolmentError(403, "this workstation could not prove its key; tell IT")
    return None


def check_refresh(
    session: Session, device_id: str, refresh_token: str, proof: Proof
) -> EnrolmentError | None:
    """An enrolled workstation signs its refreshes too: a copied refresh token is not enough."""
    workstation = session.scalar(
        select(Workstation).where(Workstation.client_device_id == device_id)
    )
    if workstation is None or workstation.status != "enrolled":
        return None
    message = refresh_message(refresh_token, proof.signed_at or 0)
    if not verify(workstation.public_key, message, proof):
        return EnrolmentError(403, "this workstation could not prove its key; tell IT")
    return None


__all__ = [
    "NOT_ENROLLED",
    "EnrolmentError",
    "Proof",
    "enrol_message",
    "login_message",
    "refresh_message",
]
