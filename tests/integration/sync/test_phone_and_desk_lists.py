"""The desk's server data against the real server: the phone account (password to the keyring,
once), the campaigns' transfer directories and the not-ready reasons (synced to the store),
all still known after an offline sign-in."""

from __future__ import annotations

import logging

import httpx
import pytest

from agent_app.store.agent_store import AgentStore
from agent_app.store.desk import DirectoryEntry, NotReadyReason, PhoneAccount
from agent_app.store.errors import CacheLockedError
from agent_app.sync.auth_client import ServerAuthenticator
from agent_app.sync.errors import DeviceRevoked
from agent_app.sync.login import LoginError
from agent_app.sync.phone_account import fetch_phone_account, sip_password_entry
from agent_app.sync.service import wipe_agent_store
from agent_app.sync.session import AuthSession
from server.seed import DEMO_SIP_PASSWORD, NOT_READY_REASONS
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import WORKSTATION, SyncRig, new_device_id

pytestmark = pytest.mark.integration

DEMO_ACCOUNT = PhoneAccount(
    username="1001",
    domain="127.0.0.1",
    registrar="127.0.0.1",
    transport="udp",
    password_version=1,
)


def demo_user_id(server: RealServer) -> str:
    users = {d["user_id"] for d in server.admin("GET", "/devices").json()}
    for user_id in users:
        if server.admin("GET", f"/users/{user_id}/extension").status_code == 200:
            return user_id
    raise AssertionError("the demo agent has no extension")


def fetch(rig: SyncRig) -> PhoneAccount | None:
    assert rig.service is not None and rig.store is not None
    return fetch_phone_account(rig.service.session, rig.secrets, rig.store)


def test_the_password_goes_to_the_keyring_once_and_the_account_to_the_store(
    rig: SyncRig, server: RealServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert rig.store is not None
    entry = sip_password_entry(AGENT)
    assert entry == "sip-password:demo"
    assert fetch(rig) == DEMO_ACCOUNT
    assert rig.secrets.get(entry) == DEMO_SIP_PASSWORD
    assert rig.store.phone_account() == DEMO_ACCOUNT
    caplog.set_level(logging.DEBUG)
    assert fetch(rig) == DEMO_ACCOUNT  # already delivered: the keyring copy stays
    assert rig.secrets.get(entry) == DEMO_SIP_PASSWORD
    assert DEMO_SIP_PASSWORD not in caplog.text

    # The keyring lost it: the account still comes, with a warning that says what to do.
    rig.secrets.delete(entry)
    caplog.clear()
    assert fetch(rig) == DEMO_ACCOUNT
    assert "assign the extension again" in caplog.text

    # The admin assigns it again (a rotation): the new password arrives, version 2.
    user_id = demo_user_id(server)
    rotated = server.admin(
        "PUT",
        f"/users/{user_id}/extension",
        json={
            "username": "1001",
            "domain": "127.0.0.1",
            "registrar": "127.0.0.1:5080",
            "transport": "tcp",
            "password": "rotated-sip-pass-2",
        },
    )
    assert rotated.status_code == 200, rotated.text
    account = fetch(rig)
    assert account == PhoneAccount("1001", "127.0.0.1", "127.0.0.1:5080", "tcp", 2)
    assert rig.secrets.get(entry) == "rotated-sip-pass-2"

    # Taken away: the kept account and the password are forgotten.
    assert server.admin("DELETE", f"/users/{user_id}/extension").status_code == 204
    assert fetch(rig) is None
    assert rig.secrets.get(entry) is None
    assert rig.store.phone_account() is None


def test_an_unreachable_server_keeps_what_the_last_sign_in_brought(
    rig: SyncRig, server: RealServer, secret_backend: object
) -> None:
    assert rig.store is not None
    assert fetch(rig) == DEMO_ACCOUNT
    server.stop()
    assert fetch(rig) == DEMO_ACCOUNT
    assert rig.secrets.get(sip_password_entry(AGENT)) == DEMO_SIP_PASSWORD

    # Signed in again offline, on a reopened store: the account is still known.
    rig.close()
    offline = SyncRig(server.url, secret_backend, timeout_s=2.0)
    try:
        assert offline.sign_in(AGENT, AGENT_PASSWORD).offline
        store = AgentStore.open(agent_id=AGENT, workstation_id=WORKSTATION, secrets=offline.secrets)
        try:
            assert store.phone_account() == DEMO_ACCOUNT
        finally:
            store.close()
    finally:
        offline.close()


class KeptAccount:
    """The store's side of the protocol, for a second workstation in the same test."""

    def __init__(self) -> None:
        self.account: PhoneAccount | None = None

    def phone_account(self) -> PhoneAccount | None:
        return self.account

    def save_phone_account(self, account: PhoneAccount | None) -> None:
        self.account = account


def test_each_workstation_receives_the_password(
    rig: SyncRig, server: RealServer, secret_backend: object
) -> None:
    assert fetch(rig) == DEMO_ACCOUNT
    rig.secrets.delete(sip_password_entry(AGENT))  # the tests' workstations share one keyring
    other = SyncRig(
        server.url,
        secret_backend,
        device_id=new_device_id(),
        enrolment_code=server.enrolment_code(),
    )
    try:
        other.sign_in(AGENT, AGENT_PASSWORD)
        kept = KeptAccount()
        session = AuthSession(other.api, other.vault, AGENT)
        assert fetch_phone_account(session, other.secrets, kept) == DEMO_ACCOUNT
        assert kept.account == DEMO_ACCOUNT
        assert other.secrets.get(sip_password_entry(AGENT)) == DEMO_SIP_PASSWORD
    finally:
        other.close()


def test_directories_and_reasons_are_synced_into_the_store(
    rig: SyncRig, server: RealServer
) -> None:
    assert rig.service is not None and rig.store is not None
    rig.service.sync_once()
    reasons = rig.store.not_ready_reasons()
    assert reasons == [
        NotReadyReason(code, label, productive) for code, label, productive in NOT_READY_REASONS
    ]
    reminders, followup = server.world["campaign_ids"][:2]
    nurse = DirectoryEntry("Nurse line", "2100", "nurse_line", None, True)
    interpreter = DirectoryEntry("Spanish interpreter", "+19495550150", "interpreter", "es", True)
    assert rig.store.directory(reminders)[:2] == [nurse, interpreter]
    assert DirectoryEntry("Pharmacy team", "2150", "other", None, True) in rig.store.directory(
        followup
    )
    assert rig.store.directory("no-such-campaign") == []

    # Changes reach the store with the next round's deltas.
    lead = server.admin(
        "PUT",
        f"/campaigns/{reminders}/directory",
        json={
            "entries": [
                {
                    "label": "Nurse line",
                    "number": "2100",
                    "kind": "nurse_line",
                    "warm_allowed": False,
                }
            ]
        },
    )
    assert lead.status_code == 200, lead.text
    assert (
        server.admin(
            "PUT",
            "/not_ready_reasons",
            json={
                "reasons": [
                    {"code": "lunch", "label": "Lunch", "productive": False},
                    {"code": "break", "label": "Short break", "productive": False},
                ]
            },
        ).status_code
        == 200
    )
    report = rig.service.sync_once()
    assert report.pull is not None and report.pull.snapshots == []
    assert rig.store.directory(reminders) == [
        DirectoryEntry("Nurse line", "2100", "nurse_line", None, False)
    ]
    assert rig.store.not_ready_reasons() == [
        NotReadyReason("lunch", "Lunch", False),
        NotReadyReason("break", "Short break", False),
    ]

    # Not PHI: readable while patient lookups are locked (an offline spell that lasted).
    rig.store.cache.lock("too long without reaching the server")
    with pytest.raises(CacheLockedError):
        rig.store.caller_lookup("+12015550101")
    assert rig.store.not_ready_reasons() and rig.store.directory(reminders)


def test_a_revoke_with_wipe_erases_the_sip_password(rig: SyncRig, server: RealServer) -> None:
    assert rig.service is not None
    assert fetch(rig) == DEMO_ACCOUNT
    devices = server.admin("GET", "/devices").json()
    device = next(d for d in devices if d["client_device_id"] == WORKSTATION)
    assert server.admin("POST", f"/devices/{device['id']}/revoke?wipe=true").status_code == 200
    rig.queue_dispositions(1, prefix="late")  # as in the revoke test: the journal stays open
    with pytest.raises(DeviceRevoked):
        rig.service.sync_once()
    assert rig.secrets.get(sip_password_entry(AGENT)) is None


def test_the_phone_answer_is_never_cached_by_the_way(rig: SyncRig, server: RealServer) -> None:
    tokens = rig.vault.load(AGENT)
    assert tokens is not None
    answer = httpx.get(
        f"{server.url}/api/v1/agent/phone",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"


def test_a_revoke_at_sign_in_erases_the_sip_password(rig: SyncRig, server: RealServer) -> None:
    assert rig.store is not None
    assert fetch(rig) == DEMO_ACCOUNT
    rig.store.close()
    rig.store = None
    devices = server.admin("GET", "/devices").json()
    device = next(d for d in devices if d["client_device_id"] == WORKSTATION)
    assert server.admin("POST", f"/devices/{device['id']}/revoke?wipe=true").status_code == 200
    wiped: list[str] = []

    def wipe(agent: str) -> None:  # as the desktop wires it
        wiped.append(agent)
        wipe_agent_store(agent, secrets=rig.secrets, workstation_id=WORKSTATION)

    authenticate = ServerAuthenticator(rig.api, vault=rig.vault, on_wipe=wipe)
    with pytest.raises(LoginError):
        authenticate(AGENT, AGENT_PASSWORD)
    assert wiped == [AGENT]
    assert rig.secrets.get(sip_password_entry(AGENT)) is None
