"""How the desk reads the server's sign-in refusals that need more than a password: a
workstation that is not enrolled, a password reset by an administrator; and what an enrolled
workstation sends (a signature by its key, never the key)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agent_app.secrets.device_key import DeviceKey
from agent_app.sync.api import ServerApi
from agent_app.sync.auth_client import ServerAuthenticator
from agent_app.sync.http_client import Request, Response
from agent_app.sync.login import LoginError, PasswordChangeNeeded
from pulse_contract.device_proof import login_message


def _refusing(body: dict[str, object]) -> ServerAuthenticator:
    def handler(request: Request) -> Response:
        return Response(403, json=body)

    api = ServerApi("http://pulse.invalid", device_id="d", transport=handler)
    return ServerAuthenticator(api)


def test_an_unknown_workstation_is_told_to_ask_it_for_an_enrolment_code() -> None:
    authenticate = _refusing(
        {
            "detail": "This workstation is not enrolled: ask IT for an enrolment code",
            "enrolment_required": True,
        }
    )
    with pytest.raises(LoginError, match="not enrolled: ask IT for an enrolment code"):
        authenticate("agent7", "a-password-1")


def test_a_reset_password_asks_for_a_new_one() -> None:
    authenticate = _refusing({"detail": "reset", "password_change_required": True})
    with pytest.raises(PasswordChangeNeeded):
        authenticate("agent7", "a-password-1")


def test_an_enrolled_workstation_signs_its_sign_in() -> None:
    key = DeviceKey.generate()
    sent: list[dict[str, object]] = []

    def handler(request: Request) -> Response:
        if request.path == "/api/v1/version":  # asked first: this server names no minimum
            return Response(404)
        sent.append(json.loads(request.content))
        return Response(401, json={"detail": "bad username or password"})

    api = ServerApi(
        "http://pulse.invalid",
        device_id="dev-0001",
        transport=handler,
        device_key=key,
    )
    with pytest.raises(LoginError):
        ServerAuthenticator(api)("agent7", "a-password-1")
    [body] = sent
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key))
    signed_at = body["signed_at"]
    assert isinstance(signed_at, int)
    public.verify(
        base64.b64decode(str(body["device_signature"])),
        login_message("dev-0001", "agent7", signed_at),
    )
    assert "public_key" not in body and key.public_key not in json.dumps(body)
