"""Offline sign-in against the verifier the last online sign-in left in the real keyring."""

from __future__ import annotations

import time

import pytest

from agent_app.sync.login import LoginError
from agent_app.sync.offline_login import OfflineLoginError, OfflineVerifier
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import SyncRig

pytestmark = pytest.mark.integration


def test_same_agent_unlocks_offline_after_an_online_sign_in(
    server: RealServer, secret_backend: object
) -> None:
    rig = SyncRig(
        server.url, secret_backend, offline_hours=8, enrolment_code=server.enrolment_code()
    )
    try:
        online = rig.sign_in(AGENT, AGENT_PASSWORD)
        assert not online.offline and online.access_token
        assert rig.vault.load(AGENT) is not None  # tokens in the keyring
        expires = rig.verifier.expires_at(AGENT)
        assert expires is not None and abs(expires - (time.time() + 8 * 3600)) < 120
        server.stop()

        offline = rig.sign_in(AGENT.upper(), AGENT_PASSWORD)
        assert offline.offline and offline.agent_id == AGENT
        assert offline.display_name == online.display_name and offline.role == online.role

        with pytest.raises(OfflineLoginError, match="not correct"):
            rig.sign_in(AGENT, "wrong-password-0101")
        with pytest.raises(OfflineLoginError, match="not signed in on this workstation before"):
            rig.sign_in("agent-never-here", AGENT_PASSWORD)
        with pytest.raises(OfflineLoginError, match="more than 8 hours"):
            rig.verifier.unlock(AGENT, AGENT_PASSWORD, now=time.time() + 8 * 3600 + 60)
        with pytest.raises(OfflineLoginError, match="clock"):
            rig.verifier.unlock(AGENT, AGENT_PASSWORD, now=time.time() - 3600)
        # A shorter limit configured later applies to an existing verifier too.
        shorter = OfflineVerifier(rig.secrets, hours=1)
        with pytest.raises(OfflineLoginError, match="more than 1 hours"):
            shorter.unlock(AGENT, AGENT_PASSWORD, now=time.time() + 2 * 3600)
        disabled = OfflineVerifier(rig.secrets, hours=0)
        with pytest.raises(OfflineLoginError, match="turned off"):
            disabled.unlock(AGENT, AGENT_PASSWORD)
    finally:
        rig.close()


def test_wrong_passwords_online_leave_no_verifier(
    server: RealServer, secret_backend: object
) -> None:
    rig = SyncRig(server.url, secret_backend, enrolment_code=server.enrolment_code())
    try:
        with pytest.raises(LoginError, match="not correct"):
            rig.sign_in(AGENT, "wrong-password-0101")
        assert rig.verifier.expires_at(AGENT) is None
        server.stop()
        with pytest.raises(OfflineLoginError, match="not signed in"):
            rig.sign_in(AGENT, AGENT_PASSWORD)
    finally:
        rig.close()


def test_repeated_wrong_offline_passwords_pause_unlocking(
    server: RealServer, secret_backend: object
) -> None:
    rig = SyncRig(server.url, secret_backend, enrolment_code=server.enrolment_code())
    try:
        rig.sign_in(AGENT, AGENT_PASSWORD)
        server.stop()
        for _ in range(5):
            with pytest.raises(OfflineLoginError, match="not correct"):
                rig.sign_in(AGENT, "wrong-password-0101")
        with pytest.raises(OfflineLoginError, match="too many"):
            rig.sign_in(AGENT, AGENT_PASSWORD)
    finally:
        rig.close()
