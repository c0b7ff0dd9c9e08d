"""Offline in the window, against the real sync server over HTTP (a proxy cuts it off):
the banner comes and goes, a refused disposition is corrected and reaches the server once,
the offline limit covers the desk and lifts, a revoke locks the desk and wipes the store,
and signing out comes back to the sign-in window in the same process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from agent_app import app
from agent_app.foundation import redaction
from agent_app.foundation.config import LoadedSettings, Settings, SipSettings, SyncSettings
from agent_app.foundation.device import device_id
from agent_app.secrets.store import SecretStore
from agent_app.store.errors import StoreClosedError
from agent_app.telephony import protocol as p
from agent_app.views import offline_desk
from agent_app.views.desk_phone import DeskPhone
from agent_app.views.login_dialog import LoginDialog
from agent_app.views.main_window import MainWindow
from agent_app.views.offline_desk import OfflineDesk
from agent_app.views.sync_relay import DesktopSync
from agent_app.workflow.desk_settings import DESK_LOCKED
from agent_app.workflow.idle_lock import IdleLock
from agent_app.workflow.line_status import LineStatus
from server.seed import did
from testbed.ports import free_port
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import WORKSTATION, SyncRig, disposition
from tests.helpers.flaky_proxy import FlakyProxy

pytestmark = pytest.mark.integration

WAIT_MS = 30_000
SHOTS_ENV = "PULSE_TEST_SCREENSHOTS"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> RealServer:
    return RealServer(tmp_path_factory.mktemp("offline-world"))


@pytest.fixture
def server(tmp_path: Path, seeded: RealServer) -> Iterator[RealServer]:
    real = RealServer(tmp_path / "server", template=seeded)
    real.start()
    try:
        yield real
    finally:
        real.stop()


@pytest.fixture(autouse=True)
def clean_keyring(secret_service_env: dict[str, str]) -> None:
    """The keyring daemon lives for the whole run: start each test without Pulse secrets."""
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(connection)
        for item in collection.search_items({"service": "Pulse"}):
            item.delete()
    finally:
        connection.close()


@dataclass
class OfflineRig:
    window: MainWindow
    desktop: DesktopSync
    offline: OfflineDesk
    phone: DeskPhone
    rig: SyncRig
    proxy: FlakyProxy

    def on_server(self, server: RealServer, call_id: str) -> list[dict[str, object]]:
        rows = server.intake_rows("disposition")
        return [payload for _id, _kind, payload in rows if payload.get("call_id") == call_id]


@pytest.fixture
def open_desk(
    qtbot: QtBot, server: RealServer, secret_backend: object
) -> Iterator[Callable[..., OfflineRig]]:
    made: list[OfflineRig] = []

    def make(*, max_offline_hours: float = 72.0) -> OfflineRig:
        proxy = FlakyProxy(server.url)
        rig = SyncRig(
            proxy.url, secret_backend, timeout_s=2, enrolment_code=server.enrolment_code()
        )
        result = rig.sign_in(AGENT, AGENT_PASSWORD)
        window = MainWindow(
            result.agent_id,
            result.display_name,
            idle_lock=IdleLock(300),
            authenticate=rig.authenticator,
        )
        qtbot.addWidget(window)
        settings = Settings(
            sync=SyncSettings(server_url=proxy.url, max_offline_hours=max_offline_hours)
        )
        desktop = app._start_sync(
            window, rig.api, rig.vault, rig.verifier, rig.secrets, settings, result
        )
        assert desktop is not None
        phone = DeskPhone.create(
            account=None,
            config=p.EngineConfig(),
            outbox=desktop.service,
            audit=desktop.service.store.journal.audit,
            lookup=lambda number: [],
            parent=window,
        )
        window.attach_phone(phone)
        app.attach_offline_desk(window, desktop, phone, settings)
        offline = window.findChild(OfflineDesk)
        assert offline is not None
        phone.start()
        window.show()
        desk = OfflineRig(window, desktop, offline, phone, rig, proxy)
        made.append(desk)
        qtbot.waitUntil(lambda: window.status.sync.text() == "Sync: up to date", timeout=WAIT_MS)
        return desk

    yield make
    for desk in made:
        desk.phone.stop()
        desk.desktop.stop()
        desk.rig.api.close()
        desk.proxy.close()


def _shot(widget: Any, name: str) -> None:
    import os

    directory = os.environ.get(SHOTS_ENV)
    if directory:
        QApplication.processEvents()  # let the layouts settle, as the event loop would
        widget.grab().save(str(Path(directory) / f"{name}.png"))


def test_the_banner_says_offline_and_goes_when_the_queue_drains(
    qtbot: QtBot, open_desk: Callable[..., OfflineRig], server: RealServer
) -> None:
    desk = open_desk()
    banner = desk.offline.banner
    assert not banner.isVisible()

    desk.proxy.mode = "reset"
    desk.desktop.service.enqueue("disposition", disposition("rec-o1"), call_id="rec-o1")
    qtbot.waitUntil(banner.isVisible, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "One record queued" in banner.text.text(), timeout=WAIT_MS)
    assert "Working offline since" in banner.text.text()
    assert banner.try_now.isVisible() and not banner.review.isVisible()
    assert desk.window.status.connection.text() == "Server: offline"
    _shot(desk.window, "offline-banner")

    # The agent keeps working: more goes into the queue while the banner shows.
    desk.desktop.service.enqueue("disposition", disposition("rec-o2"), call_id="rec-o2")
    qtbot.waitUntil(lambda: "2 records queued" in banner.text.text(), timeout=WAIT_MS)

    desk.proxy.mode = "pass"
    qtbot.mouseClick(banner.try_now, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=WAIT_MS)
    assert desk.window.status.connection.text() == "Server: online"
    assert len(desk.on_server(server, "rec-o1")) == 1
    assert len(desk.on_server(server, "rec-o2")) == 1


def test_a_refused_disposition_is_corrected_in_the_window_and_sent_once(
    qtbot: QtBot, open_desk: Callable[..., OfflineRig], server: RealServer
) -> None:

    desk = open_desk()
    banner = desk.offline.banner
    refused_id = desk.desktop.service.enqueue(
        "disposition",
        # The demo campaign's code tree has the code the agent corrects it to.
        disposition("rec-p1", code="", notes="first try", campaign_id=did("campaign", "reminders")),
        call_id="rec-p1",
    )
    qtbot.waitUntil(banner.review.isVisible, timeout=WAIT_MS)
    assert "One item refused" in banner.text.text()
    qtbot.waitUntil(lambda: "refused" in desk.window.status.sync.text(), timeout=WAIT_MS)

    qtbot.mouseClick(banner.review, Qt.MouseButton.LeftButton)
    dialog = desk.offline.refused_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert dialog.list.count() == 1
    assert "422" in dialog.reason.text()
    assert dialog.send_corrected.isEnabled()
    assert dialog.notes.toPlainText() == "first try"
    dialog.code.setText("REACHED")
    dialog.notes.setPlainText("corrected after the refusal")
    _shot(dialog, "refused-items")
    qtbot.mouseClick(dialog.send_corrected, Qt.MouseButton.LeftButton)
    assert dialog.list.count() == 0 and dialog.empty.isVisible()
    # A second click finds nothing to send; the item asked again gives back the same copy.
    qtbot.mouseClick(dialog.send_corrected, Qt.MouseButton.LeftButton)
    item = desk.desktop.service.store.journal.entry(refused_id)
    assert item is not None
    copy = desk.desktop.service.store.journal.resend_parked(refused_id, item.payload)

    qtbot.waitUntil(lambda: bool(desk.on_server(server, "rec-p1")), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=WAIT_MS)
    desk.offline.try_now()
    qtbot.waitUntil(lambda: desk.window.status.sync.text() == "Sync: up to date", timeout=WAIT_MS)
    [stored] = desk.on_server(server, "rec-p1")
    assert stored["code"] == "REACHED" and stored["notes"] == "corrected after the refusal"
    assert stored["replaces"] == refused_id
    assert [row[0] for row in server.intake_rows("disposition") if row[0] == copy] == [copy]


def test_the_offline_limit_covers_the_desk_and_lifts_when_the_server_answers(
    qtbot: QtBot,
    open_desk: Callable[..., OfflineRig],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(offline_desk, "LOCK_CHECK_MS", 200)
    desk = open_desk(max_offline_hours=0.002)  # about seven seconds
    stack = desk.window.centralWidget()
    page = desk.offline.page
    desk.proxy.mode = "reset"
    desk.offline.try_now()
    qtbot.waitUntil(lambda: stack.currentWidget() is page, timeout=WAIT_MS)
    assert page.kind == "cache_locked"
    assert "locked" in page.title.text() and "network" in page.todo.text()
    session = desk.phone.session
    assert session.desk_locked and session.availability == DESK_LOCKED  # no call offered now
    assert not session.go_ready()
    _shot(desk.window, "offline-limit")

    desk.proxy.mode = "pass"
    qtbot.mouseClick(page.try_now, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stack.currentWidget() is desk.window.work_area, timeout=WAIT_MS)
    assert desk.desktop.service.store.cache.lock_reason() is None
    assert not session.desk_locked and session.go_ready()


def test_a_revoke_locks_the_open_desk_and_wipes_the_store(
    qtbot: QtBot, open_desk: Callable[..., OfflineRig], server: RealServer
) -> None:
    desk = open_desk()
    store = desk.desktop.service.store
    devices = server.admin("GET", "/devices").json()
    device = next(d for d in devices if d["client_device_id"] == WORKSTATION)
    assert server.admin("POST", f"/devices/{device['id']}/revoke?wipe=true").status_code == 200
    desk.offline.try_now()
    stack = desk.window.centralWidget()
    qtbot.waitUntil(lambda: stack.currentWidget() is desk.offline.page, timeout=WAIT_MS)
    assert desk.offline.page.kind == "revoked"
    assert not desk.window.phone_menu.isEnabled()
    assert not desk.offline.my_day_action.isEnabled()
    qtbot.waitUntil(lambda: desk.phone._stopped, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not store.layout.cache.exists(), timeout=WAIT_MS)
    with pytest.raises(StoreClosedError):
        store.cache.counts()
    _shot(desk.window, "revoked")


def test_sign_out_comes_back_to_sign_in_and_a_new_sign_in_works(
    qapp: QApplication,
    server: RealServer,
    secret_backend: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The app signs in as this machine's workstation: enrolled first, its key in the keyring.
    SyncRig(
        server.url, secret_backend, device_id=device_id(), enrolment_code=server.enrolment_code()
    ).close()
    sip = SipSettings(username="agent", domain="127.0.0.1", registrar="", local_port=free_port())
    settings = Settings(sip=sip, sync=SyncSettings(server_url=server.url))
    loaded = LoadedSettings(settings, {})
    desks: list[tuple[MainWindow, DeskPhone, DesktopSync | None]] = []
    sign_ins: list[LoginDialog] = []
    attach = app.attach_offline_desk

    def attach_and_watch(
        window: MainWindow, desktop: DesktopSync | None, phone: DeskPhone, settings: Settings
    ) -> None:
        attach(window, desktop, phone, settings)
        desks.append((window, phone, desktop))
        first = len(desks) == 1
        # As when the desk shows a patient: the name joins the log redactor's registry.
        redaction.register_phi("Zyxwvutgiven")
        done: list[bool] = []

        def ready(line: LineStatus) -> None:
            if line.ready and not done:
                done.append(True)
                # The first desk signs out; the second one closes the app.
                QTimer.singleShot(0, window.sign_out if first else window.close)

        phone.line_changed.connect(ready)

    exec_dialog = LoginDialog.exec

    known_at_sign_in: list[int] = []

    def sign_in(dialog: LoginDialog) -> int:
        sign_ins.append(dialog)
        known_at_sign_in.append(redaction.REDACTOR.known_count())
        dialog.agent_id.setText(AGENT)
        dialog.password.setText(AGENT_PASSWORD)
        QTimer.singleShot(0, dialog.buttons.accepted.emit)
        return exec_dialog(dialog)

    monkeypatch.setattr(app, "attach_offline_desk", attach_and_watch)
    monkeypatch.setattr(LoginDialog, "exec", sign_in)
    code = app._sign_in_and_run(
        qapp,
        settings.sync,
        None,
        loaded=loaded,
        secrets=SecretStore(secret_backend),  # type: ignore[arg-type]
    )
    assert code == 0
    assert len(sign_ins) == 2 and len(desks) == 2
    for _window, phone, desktop in desks:
        assert phone.engine is not None
        process = phone.engine.client._proc
        assert process is not None and process.poll() is not None  # the engine stopped
        assert desktop is not None
        with pytest.raises(StoreClosedError):
            desktop.service.store.journal.counts()
    assert desks[0][0].signing_out and not desks[1][0].signing_out
    # Signing out forgot the first agent's patient names.
    assert known_at_sign_in[1] == 0
