"""What a workstation signs with its enrolled Ed25519 key, shared by the desk (which signs)
and the server (which checks): one line per field, the purpose first so that a signature made
for one request never passes for another."""

from __future__ import annotations

import hashlib

PROOF_WINDOW_S = 300
"""How far a signed request's time may be from the server's clock."""


def login_message(device_id: str, username: str, signed_at: int) -> bytes:
    return f"pulse-sign-in\n{device_id}\n{username}\n{signed_at}".encode()


def refresh_message(refresh_token: str, signed_at: int) -> bytes:
    # The token's digest, so that the signed text is no secret by itself.
    digest = hashlib.sha256(refresh_token.encode()).hexdigest()
    return f"pulse-refresh\n{digest}\n{signed_at}".encode()


def enrol_message(device_id: str, public_key: str, signed_at: int) -> bytes:
    return f"pulse-enrol\n{device_id}\n{public_key}\n{signed_at}".encode()
