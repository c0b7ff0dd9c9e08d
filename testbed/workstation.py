"""A test workstation with its own Ed25519 key, signing enrolment, sign-in and refresh bodies as
the desk does, so that test clients sign in to a server that requires enrolment."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from pulse_contract.device_proof import enrol_message, login_message, refresh_message


class SigningWorkstation:
    """A workstation's id and key; the bodies it builds carry the signatures the server checks."""

    def __init__(self, device_id: str | None = None, name: str = "Test desk") -> None:
        self.device_id = device_id or str(uuid.uuid4())
        self.name = name
        self.key = Ed25519PrivateKey.generate()
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public_key = base64.b64encode(raw).decode()

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.key.sign(message)).decode()

    def enrol_body(self, code: str | None) -> dict[str, Any]:
        now = int(time.time())
        body: dict[str, Any] = {
            "device_id": self.device_id,
            "public_key": self.public_key,
            "name": self.name,
            "signed_at": now,
            "signature": self.sign(enrol_message(self.device_id, self.public_key, now)),
        }
        if code is not None:
            body["code"] = code
        return body

    def login_body(self, username: str, password: str, *, signed: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "username": username,
            "password": password,
            "device_id": self.device_id,
        }
        if signed:
            now = int(time.time())
            body["signed_at"] = now
            body["device_signature"] = self.sign(login_message(self.device_id, username, now))
        return body

    def refresh_body(self, token: str, *, signed: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"refresh_token": token}
        if signed:
            now = int(time.time())
            body["signed_at"] = now
            body["device_signature"] = self.sign(refresh_message(token, now))
        return body
