"""A whole preview campaign on the signed-in desk, against the real central server and real
pulse-phone peers: a patient who answers, one whose line is busy, one whose phone rings out,
and one whose voicemail takes the call and gets the campaign's message."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout
from pytestqt.qtbot import QtBot

from agent_app.views.patient_panel import PatientPanel
from agent_app.views.script_panel import ScriptPanel
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.call_session import CallPhase
from agent_app.workflow.dial_rules import DialGate, shared_rules
from agent_app.workflow.disposition import CacheReads
from agent_app.workflow.outbound import (
    Callback,
    CampaignSession,
    Lease,
    LeaseSource,
    Phase,
    ServerLeases,
)
from server import enrolment
from server.db import upgrade
from server.seed import seed_demo
from server.settings import ServerSettings
from testbed.ports import free_port
from testbed.sync_server import ADMIN, ADMIN_PASSWORD, AGENT, AGENT_PASSWORD
from tests.helpers.server_live import LiveServer, live_server
from tests.helpers.telephony_peers import Phone, tone_windows, write_tone
from tests.ui.central_desk import CentralDesk, open_desk, start_central

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NOW = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)
"""Noon on the East Coast on a working Tuesday: the server and the desk judge at this instant."""
MESSAGE_HZ = 1000.0


class ClockedCentral:
    """The central server in this process (its calling rules judge at :data:`NOW`), seeded
    with the demo world, with what the desk fixtures need of a server."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.db = root / "server.db"
        url = f"sqlite:///{self.db}"
        upgrade(url)
        settings = ServerSettings.model_validate(
            {
                "database_url": url,
                "data_dir": str(root / "data"),
                "secret_key": "test-signing-key",
                "login_rate_per_minute": 1000,
                "argon2_time_cost": 1,
                "argon2_memory_kib": 1024,
            }
        )
        self._context = live_server(settings)
        self.live: LiveServer = self._context.__enter__()
        self.live.runtime.clock = lambda: NOW
        world = seed_demo(
            self.live.runtime.sessions,
            patients=6,
            agent_password=AGENT_PASSWORD,
            admin_password=ADMIN_PASSWORD,
        )
        self.url = self.live.base_url
        self.world: dict[str, Any] = {"campaign_ids": list(world.campaign_ids)}

    def start(self) -> None:
        """Already serving (the fixtures of the central desk call it)."""

    def stop(self) -> None:
        self._context.__exit__(None, None, None)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = self.live.login(ADMIN, ADMIN_PASSWORD)["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.request(
            method, f"{self.url}/api/v1/admin{path}", headers=headers, timeout=30, **kwargs
        )

    def agent(self) -> httpx.Client:
        return self.live.as_user(AGENT, AGENT_PASSWORD)

    def enrolment_code(self) -> str:
        """A one-time enrolment code for the desk, as ``RealServer`` makes one."""
        with self.live.runtime.sessions() as s, s.begin():
            code, _ = enrolment.create_code(s, self.live.runtime.settings, 600)
        return code


@dataclass
class PeerRouting:
    """The server's leases, each dialled at the next peer: what a PBX does with the patient's
    number in the real centre (each peer plays one kind of patient line)."""

    leases: LeaseSource
    peers: list[str]
    given: list[Lease] = field(default_factory=list)

    def next_lease(self, campaign_id: str) -> Lease | None:
        if not self.peers:
            return None
        lease = self.leases.next_lease(campaign_id)
        if lease is None:
            return None
        routed = replace(lease, number=self.peers.pop(0))
        self.given.append(routed)
        return routed

    def release(self, lease: Lease, reason: str) -> None:
        self.leases.release(lease, reason)

    def batch(self, campaign_id: str, size: int) -> Sequence[Lease]:
        return []

    def callbacks(self) -> Sequence[Callback]:
        return self.leases.callbacks()


@pytest.fixture
def central(tmp_path: Path) -> Iterator[ClockedCentral]:
    server = ClockedCentral(tmp_path / "central")
    try:
        start_central(server)  # type: ignore[arg-type]
        yield server
    finally:
        server.stop()


@pytest.fixture
def desk(
    qtbot: QtBot, central: ClockedCentral, secret_backend: object, secret_service_env: object
) -> Iterator[CentralDesk]:
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        for item in collection.search_items({"service": "Pulse"}):
            item.delete()
    finally:
        connection.close()
    made = open_desk(qtbot, central, secret_backend)  # type: ignore[arg-type]
    try:
        yield made
    finally:
        made.stop()


def _peer(peers: Callable[..., Phone], *options: str) -> str:
    port = free_port()
    peer = peers("listen", "--port", str(port), *options)
    peer.ready()
    return f"sip:patient@127.0.0.1:{port}"


def test_a_preview_campaign_with_answer_busy_ring_out_and_voicemail(
    desk: CentralDesk, central: ClockedCentral, peers: Callable[..., Phone], tmp_path: Path
) -> None:
    rig, store = desk.rig, desk.store
    session = rig.phone.session
    window = rig.window
    assert window.queue is not None
    recording = tmp_path / "voicemail-{n}.wav"
    routes = [
        _peer(peers, "--auto-answer"),
        _peer(peers, "--decline", "486"),
        _peer(peers),  # rings and never answers
        _peer(peers, "--auto-answer", "--record", str(recording)),
    ]
    message = write_tone(tmp_path / "approved-message.wav", MESSAGE_HZ, seconds=2.0)
    # The rules at the desk's door judge at the server's instant.
    session.gate = DialGate(
        lookup=lambda number: [r.id for r in store.caller_lookup(number)],
        reads=CacheReads(lambda: store.cache),
        rules=shared_rules,
        state=store.journal,
        now=lambda: NOW,
    )
    campaign_id = central.world["campaign_ids"][0]
    campaign = store.cache.document("campaigns", campaign_id)
    assert campaign is not None and campaign["kind"] == "preview"
    routing = PeerRouting(ServerLeases(desk.sync.api, desk.desktop.service.session.call), routes)
    # The lease requests run on the queue panel's worker, as the app has them.
    campaign_session = CampaignSession(
        session,
        routing,
        campaign,
        state=store.journal,
        now=lambda: NOW,
        ring_timeout_s=4.0,
        runner=window.queue.run_request,
    )
    window.queue.set_message_source(lambda _campaign: str(message))
    window.queue.set_session(campaign_session)
    rig.press("ready")
    rig.wait(lambda: session.state is AgentState.READY, "Ready")
    queue = window.queue
    script = window.findChild(ScriptPanel)
    assert script is not None

    def dial_next() -> str:
        rig.wait(lambda: campaign_session.phase is Phase.PREVIEW, "the next patient previewed")
        assert queue.badge.property("level") in ("ok", "warning")
        rig.press("campaign_dial")
        rig.wait(lambda: bool(session.calls), "the campaign call is placed")
        return session.calls[0].record_id

    def submitted(record_id: str) -> None:
        work = session.wrap_up_work(record_id)
        if work is not None:
            assert work.submit(), work.problems()
        rig.wait(lambda: not session.wrap_ups, "the disposition recorded")

    qtbot = rig.qtbot
    qtbot.mouseClick(queue.next_button, Qt.MouseButton.LeftButton)  # Start calling
    codes: list[str | None] = []

    # 1. The patient answers; the agent talks, hangs up and records the outcome.
    rig.wait(lambda: campaign_session.phase is Phase.PREVIEW, "the first patient previewed")
    rig.wait(lambda: script.previewing, "the campaign's script shows before the call")
    assert script.preview_note.isVisible() and script.step_text.text()
    grid = window.findChild(QGridLayout, "grid")
    assert grid is not None
    assert grid.rowStretch(1) == 8  # between calls the campaign has the column's middle
    assert queue.lease_page.isVisible() and not queue.summary.isVisible()
    rig.shot("outbound-01-preview")
    record = dial_next()
    call = session.calls[0]
    rig.wait(lambda: script.call is call, "the call placed runs its own script")
    assert not script.previewing
    rig.wait(lambda: call.phase is CallPhase.TALKING, "the patient answers")
    # The card's indicator speaks of calling the patient again: this call was the day's
    # exempt attempt.
    card = window.findChild(PatientPanel).card  # type: ignore[union-attr]
    rig.wait(lambda: card.compliance.text() == "No further call now", "the card's indicator")
    assert card.compliance_reason.text().startswith("Healthcare call limit reached")
    # In a call the card and the script the agent reads have the room; the campaign keeps a
    # line that names it.
    assert grid.rowStretch(1) == 0
    assert queue.summary.isVisible() and not queue.lease_page.isVisible()
    assert queue.summary.toolTip().startswith(str(campaign_session.campaign["name"]))
    assert (
        queue.summary.text() and queue.summary.height() < 3 * queue.summary.fontMetrics().height()
    )
    rig.shot("outbound-02-on-call")
    rig.press("hangup")
    rig.wait(lambda: bool(session.wrap_ups), "after-call work")
    work = session.wrap_up_work(record)
    assert work is not None and work.tree is not None
    reached = next(n for n in work.tree.walk() if n.selectable and not n.fields)
    assert work.set_code(reached.code)
    codes.append(reached.code)
    submitted(record)

    # 2. Busy: the system code is chosen for the agent.
    record = dial_next()
    rig.wait(lambda: bool(session.wrap_ups), "the busy call ends")
    work = session.wrap_up_work(record)
    assert work is not None and work.code == "SYS_BUSY"
    codes.append(work.code)
    submitted(record)

    # 3. Rings out: given up after the ring timeout, recorded as no answer.
    record = dial_next()
    rig.wait(lambda: bool(session.wrap_ups), "the call that rang out is given up", 20_000)
    work = session.wrap_up_work(record)
    assert work is not None and work.code == "SYS_NO_ANSWER"
    codes.append(work.code)
    submitted(record)

    # 4. Voicemail: one key leaves the message; the agent is free at once.
    record = dial_next()
    call = session.calls[0]
    rig.wait(lambda: call.phase is CallPhase.TALKING, "the answering machine picks up")
    rig.press("voicemail")
    rig.wait(lambda: not session.calls and not session.wrap_ups, "the agent is free at once")
    assert session.state is AgentState.READY
    codes.append("SYS_VOICEMAIL")
    played = Path(str(recording).replace("{n}", "1"))
    rig.wait(played.exists, "the answering machine recorded the message", 20_000)
    heard = tone_windows(played, MESSAGE_HZ)
    assert sum(1 for s in heard if s > 0.5) >= 4, "the message was played into the call"

    # The list is done for this test; every disposition reached the server.
    rig.wait(lambda: campaign_session.phase is Phase.IDLE, "no more patients")
    desk.journal_delivered()
    sent = [
        payload
        for _id, kind, payload in _intake(central)
        if kind == "disposition" and payload.get("campaign_id") == campaign_id
    ]
    assert [d["code"] for d in sent] == codes
    assert [d["patient_id"] for d in sent] == [lease.patient_id for lease in routing.given]
    with central.agent() as client:
        for lease in routing.given:
            history = client.get(f"/api/v1/agent/patients/{lease.patient_id}/attempts")
            assert history.status_code == 200, history.text
            assert any(a["kind"] == "call" for a in history.json()["attempts"])


def _intake(central: ClockedCentral) -> list[tuple[str, str, dict[str, Any]]]:
    import json
    import sqlite3

    conn = sqlite3.connect(f"file:{central.db}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("SELECT id, kind, payload FROM intake_items ORDER BY rowid")
        return [(r[0], r[1], json.loads(r[2])) for r in rows]
    finally:
        conn.close()
