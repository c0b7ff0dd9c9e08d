"""The desk on a real journal: state changes and audit events land in the encrypted outbox."""

from __future__ import annotations

from pathlib import Path

from agent_app.store.journal import Journal
from agent_app.telephony import protocol as p
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.desk_settings import DeskSettings
from agent_app.workflow.identity import Claim
from server.schemas import PAYLOADS
from tests.unit.workflow.fakes import ACCOUNT, BREAK, FakeEngine, ManualClock, ServerTime, patient


def test_state_changes_and_identity_checks_are_queued_for_the_server(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.db", "5a" * 32, agent_id="agent-w")
    try:
        session = AgentSession(
            send=FakeEngine(),
            outbox=journal,
            audit=journal.audit,
            lookup=lambda number: ["pat-1"],
            reasons=[BREAK],
            settings=DeskSettings(account_id=ACCOUNT),
            clock=ManualClock(),
            server_now=ServerTime(),
        )
        session.handle(p.RegistrationChanged(ACCOUNT, "registered"))
        session.go_ready()
        session.handle(p.IncomingCall("c1", ACCOUNT, "+12025550143", "", "sip:x@pbx"))
        session.answer("c1")
        session.handle(p.CallStateChanged("c1", "confirmed"))
        [call] = session.calls
        claim = Claim(family_name="Oskarsdottir-Lind", birth_date="1961-07-04")
        session.verify_identity("c1", patient(), claim)

        batch = journal.next_batch()
        states = [i.payload for i in batch if i.kind == "agent_state"]
        assert [s["state"] for s in states] == ["not_ready", "ready", "ringing", "on_call"]
        assert states[-1]["call_id"] == call.record_id
        assert [i.call_id for i in batch if i.kind == "agent_state"][-1] == call.record_id
        [audit] = [i for i in batch if i.kind == "audit"]
        assert audit.payload == {
            "action": "verify_identity",
            "patient_id": "pat-1",
            "reason": f"call {call.record_id}",
            "result": "verified",
        }
        # What the desk audits is what the server's intake takes.
        PAYLOADS["audit"].model_validate(audit.payload)
    finally:
        journal.close()
