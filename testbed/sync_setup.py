"""A signed-in sync set-up for tests: API, keyring vault, verifier, store and service."""

from __future__ import annotations

import uuid
from typing import Any

from agent_app.secrets.device_key import DeviceKey
from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from agent_app.sync.api import ServerApi
from agent_app.sync.auth_client import ServerAuthenticator
from agent_app.sync.backoff import Backoff
from agent_app.sync.credentials import TokenVault
from agent_app.sync.errors import RequestRejected
from agent_app.sync.login import LoginResult
from agent_app.sync.offline_login import OfflineVerifier
from agent_app.sync.service import SyncService

WORKSTATION = "5f0c1a52-3c1e-4a8e-9d7e-0000000000aa"


def disposition(
    call_id: str, code: str = "SYS_HANDLED", notes: str = "", campaign_id: str | None = None
) -> dict[str, Any]:
    """A disposition without a patient; without a campaign only the desk's ``SYS_*`` codes
    are accepted, with one the campaign's own codes too."""
    return {
        "call_id": call_id,
        "patient_id": None,
        "campaign_id": campaign_id,
        "code": code,
        "fields": {},
        "notes": notes,
        "agent_started_at": "2026-01-05T14:00:00.000Z",
        "agent_ended_at": "2026-01-05T14:03:00.000Z",
    }


class SyncRig:
    def __init__(
        self,
        url: str,
        backend: object,
        *,
        timeout_s: float = 10.0,
        offline_hours: float = 12.0,
        device_id: str = WORKSTATION,
        enrolment_code: str | None = None,
    ) -> None:
        self.secrets = SecretStore(backend)  # type: ignore[arg-type]
        self.api = ServerApi(url, device_id=device_id, timeout_s=timeout_s)
        self.vault = TokenVault(self.secrets)
        self.verifier = OfflineVerifier(self.secrets, hours=offline_hours)
        self.authenticator = ServerAuthenticator(self.api, vault=self.vault, verifier=self.verifier)
        self.store: AgentStore | None = None
        self.service: SyncService | None = None
        if enrolment_code is not None:
            self.enrol(enrolment_code)

    def enrol(self, code: str) -> None:
        """Enrol this rig's workstation with IT's one-time code, keeping its key in the rig's
        keyring; a key already kept there is reused, and a workstation enrolled before with it
        (another rig of the same desk) is left as it is."""
        key = DeviceKey.load(self.secrets) or DeviceKey.generate()
        try:
            self.api.enrol(key, code=code, name="Test desk")
        except RequestRejected as exc:
            if exc.status != 409:
                raise
        key.save(self.secrets)
        self.api.device_key = key

    def sign_in(self, agent: str, password: str) -> LoginResult:
        return self.authenticator(agent, password)

    def open_service(self, agent: str, *, backoff: Backoff | None = None) -> SyncService:
        self.store = AgentStore.open(
            agent_id=agent, workstation_id=WORKSTATION, secrets=self.secrets
        )
        self.service = SyncService(
            api=self.api,
            vault=self.vault,
            store=self.store,
            agent_id=agent,
            pull_interval_s=3600,
            backoff=backoff or Backoff(base_s=0.05, cap_s=0.5),
            verifier=self.verifier,
        )
        return self.service

    def queue_dispositions(self, count: int, prefix: str = "call") -> list[str]:
        assert self.service is not None
        return [
            self.service.enqueue(
                "disposition", disposition(f"{prefix}-{i}"), call_id=f"{prefix}-{i}"
            )
            for i in range(count)
        ]

    def close(self) -> None:
        if self.service is not None:
            self.service.stop()
        if self.store is not None:
            self.store.close()
        self.api.close()


def new_device_id() -> str:
    return str(uuid.uuid4())
