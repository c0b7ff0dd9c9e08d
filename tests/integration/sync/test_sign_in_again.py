"""When the server ends a session mid-shift, or an administrator resets the password, the
agent signs in again without losing anything queued; against the real server and keyring."""

from __future__ import annotations

import httpx
import pytest

from agent_app.sync.errors import NotSignedIn
from agent_app.sync.login import PasswordChangeNeeded
from agent_app.sync.status import Connection
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import SyncRig

pytestmark = pytest.mark.integration


def _agent_user_id(server: RealServer, rig: SyncRig) -> str:
    stored = rig.vault.load(AGENT)
    assert stored is not None
    me = httpx.get(
        f"{server.url}/api/v1/me",
        headers={"Authorization": f"Bearer {stored.access_token}"},
        timeout=30,
    )
    assert me.status_code == 200
    return str(me.json()["id"])


def test_a_refused_refresh_mid_shift_keeps_the_queue_until_the_agent_signs_in_again(
    rig: SyncRig, server: RealServer
) -> None:
    assert rig.service is not None
    user_id = _agent_user_id(server, rig)
    # The server ends every session of the agent: access and refresh tokens are refused.
    assert server.admin("POST", f"/users/{user_id}/revoke_tokens").status_code == 200
    queued = rig.queue_dispositions(3)

    with pytest.raises(NotSignedIn):
        rig.service.sync_once(pull=False)
    assert rig.service.tracker.status.connection is Connection.SIGNED_OUT
    assert rig.service.store.journal.counts().unsynced == 3
    assert server.intake_rows("disposition") == []

    # The desk's prompt signs in again through the same authenticator (new tokens in the
    # keyring); the next round delivers the journal as it was.
    again = rig.sign_in(AGENT, AGENT_PASSWORD)
    assert not again.offline
    assert rig.service.sync_once(pull=False).push.acknowledged == 3
    assert sorted(r[0] for r in server.intake_rows("disposition")) == sorted(queued)
    assert rig.service.tracker.status.connection is Connection.ONLINE


def test_a_reset_password_is_replaced_at_the_next_sign_in(rig: SyncRig, server: RealServer) -> None:
    user_id = _agent_user_id(server, rig)
    reset = server.admin(
        "POST", f"/users/{user_id}/reset_password", json={"password": "temporary-0101"}
    )
    assert reset.status_code == 200
    with pytest.raises(PasswordChangeNeeded):
        rig.sign_in(AGENT, "temporary-0101")
    result = rig.authenticator.change_password(AGENT, "temporary-0101", "chosen-pass-0202")
    assert not result.offline and result.access_token
    stored = rig.vault.load(AGENT)
    assert stored is not None and stored.access_token == result.access_token
    # The offline verifier follows the new password.
    assert rig.verifier.unlock(AGENT, "chosen-pass-0202").offline
    assert not rig.sign_in(AGENT, "chosen-pass-0202").offline
