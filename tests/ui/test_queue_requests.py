"""The queue panel's lease requests off the window's thread, against a loopback HTTP server
that answers slowly, answers garbage or is not there: the window keeps painting, a second
click sends no second request, the panel says what is going on, and no patient is lost."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from agent_app.sync.api import ServerApi
from agent_app.views.queue_panel import QueuePanel
from agent_app.workflow.disposition import utc_text
from agent_app.workflow.outbound import (
    BATCH_STATE,
    FROM_BATCH,
    SERVER_DOWN,
    CampaignSession,
    Phase,
    ServerLeases,
)
from testbed.ports import free_port
from tests.unit.workflow.outbound_fakes import NOW, Rig, lease, rig

WAIT_MS = 10_000


class LeaseServer:
    """The server's lease API on loopback, by hand: ``delay_s`` before every answer to
    "next patient"; ``garbage`` answers that with something that is no list of leases."""

    def __init__(self) -> None:
        self.delay_s = 0.0
        self.garbage = False
        self.patients = ["pat-1", "pat-2", "pat-3"]
        self.asked: list[str] = []
        """Paths of every "next patient" request, in order."""
        self.released: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # the test's output stays quiet
                pass

            def do_GET(self) -> None:
                if self.path.endswith("/attempts"):
                    self._send({"attempts": []})
                elif self.path.endswith("/callbacks"):
                    self._send({"callbacks": []})
                else:
                    self._send({"detail": "not found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.endswith("/release"):
                    lease_id = self.path.split("/")[-2]
                    with owner.lock:
                        owner.released.append((lease_id, body.get("reason", "")))
                    self._send({"ok": True})
                    return
                with owner.lock:
                    owner.asked.append(self.path)
                    delay, garbage = owner.delay_s, owner.garbage
                threading.Event().wait(delay)
                if garbage:
                    self._send({"leases": "not today"})
                    return
                with owner.lock:
                    given = owner.patients[:1]
                    owner.patients = owner.patients[1:]
                self._send(
                    {
                        "leases": [
                            {
                                "lease_id": f"lease-{pid}",
                                "patient_id": pid,
                                "campaign_id": "camp-out",
                                "expires_at": utc_text(NOW + timedelta(minutes=10)),
                            }
                            for pid in given
                        ],
                        "next_due_at": None,
                    }
                )

            def _send(self, body: Any, status: int = 200) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.port = free_port()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LeaseServer]:
    made = LeaseServer()
    try:
        yield made
    finally:
        made.stop()


def desk(qtbot: QtBot, url: str, *, timeout_s: float = 3.0) -> tuple[Rig, QueuePanel]:
    """The rig's desk with a queue panel whose session asks ``url`` for its leases."""
    r = rig()
    view = QueuePanel(r.desk.session)
    qtbot.addWidget(view)
    view.resize(460, 560)
    view.show()
    api = ServerApi(url, device_id="ws-test", timeout_s=timeout_s)
    view.destroyed.connect(lambda *_: api.close())
    leases = ServerLeases(api, lambda operation: operation("access-token"))
    r.cache.campaigns["camp-out"]["kind"] = "preview"
    session = CampaignSession(
        r.desk.session,
        leases,
        r.cache.campaigns["camp-out"],
        clock=r.desk.clock,
        now=lambda: r.clock[0],
        state=r.state,
        batch_size=0,
        runner=view.run_request,
    )
    view.set_session(session)
    return r, view


def test_a_slow_server_leaves_the_window_painting_and_a_second_click_asks_nothing_more(
    qtbot: QtBot, server: LeaseServer
) -> None:
    server.delay_s = 1.5
    _r, view = desk(qtbot, server.url)
    session = view.session
    assert session is not None
    ticks = [0]
    beat = QTimer(view)
    beat.setInterval(50)
    beat.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    beat.start()

    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)  # Start calling
    assert session.asking and session.lease is None
    assert view.idle_label.text() == "Asking the server for the next patient…"
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)  # impatient clicks
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.lease is not None, timeout=WAIT_MS)
    assert view.pages.currentWidget() is view.lease_page
    assert session.phase is Phase.PREVIEW and session.lease is not None
    assert session.lease.patient_id == "pat-1"
    assert len(server.asked) == 1, "one request however often the agent clicks"
    assert ticks[0] >= 10, "the window's timers ran while the server took its time"


def test_a_stop_while_asking_gives_the_patient_back(qtbot: QtBot, server: LeaseServer) -> None:
    server.delay_s = 0.8
    _r, view = desk(qtbot, server.url)
    session = view.session
    assert session is not None
    session.start()
    assert session.asking
    session.stop()
    qtbot.waitUntil(lambda: server.released == [("lease-pat-1", "stopped")], timeout=WAIT_MS)
    assert session.lease is None and not session.asking and session.phase is Phase.IDLE


def test_garbage_from_the_server_is_said_plainly_and_the_next_answer_serves(
    qtbot: QtBot, server: LeaseServer
) -> None:
    server.garbage = True
    _r, view = desk(qtbot, server.url)
    session = view.session
    assert session is not None
    session.start()
    qtbot.waitUntil(lambda: not session.asking, timeout=WAIT_MS)
    assert session.lease is None and session.offline
    assert view.message.text() == SERVER_DOWN
    assert server.patients == ["pat-1", "pat-2", "pat-3"], "nobody was handed out"
    server.garbage = False
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.lease is not None, timeout=WAIT_MS)
    assert session.lease is not None and session.lease.patient_id == "pat-1"
    assert not session.offline


def test_a_server_that_is_down_hands_over_to_the_patients_kept_on_this_desk(
    qtbot: QtBot,
) -> None:
    r, view = desk(qtbot, f"http://127.0.0.1:{free_port()}", timeout_s=1.0)  # nobody listens
    session = view.session
    assert session is not None
    kept = lease("pat-2")
    r.state.set_state(BATCH_STATE, json.dumps([kept.to_json()]))
    session.start()
    qtbot.waitUntil(lambda: session.lease is not None, timeout=WAIT_MS)
    assert session.lease == kept and session.offline
    assert view.message.text() == FROM_BATCH
    assert session.skip("other")  # the release cannot reach the server: the lease expires
    qtbot.waitUntil(lambda: not session.asking, timeout=WAIT_MS)
    assert session.lease is None
    assert view.message.text() == SERVER_DOWN
