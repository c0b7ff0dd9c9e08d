"""The desk as the app builds it after a real sign-in: the central server with synthetic
patients, the sign-in dialog, the encrypted store synced from the server, the phone (a real
engine process) and both panels, composed by the app's own start-up functions."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from agent_app import app
from agent_app.foundation.config import Settings, SipSettings
from agent_app.store.agent_store import AgentStore
from agent_app.sync.login import LoginResult
from agent_app.views.login_dialog import LoginDialog
from agent_app.views.main_window import MainWindow
from agent_app.views.patient_panel import PatientPanel
from agent_app.views.sync_relay import DesktopSync
from agent_app.workflow.idle_lock import IdleLock
from testbed.calling_hours import calling_hours_clock
from testbed.ports import free_port
from testbed.store_population import number, synthetic_name
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.sync_setup import SyncRig, new_device_id
from tests.ui.desk_rig import WAIT_MS, DeskRig, ManualClock

AREA = 312
"""The seeded demo world's few patients have 201 and 202 numbers: the test's are theirs alone."""


@dataclass(frozen=True)
class Patient:
    """A synthetic patient the test imports into the central server."""

    mrn: str
    given_name: str
    family_name: str
    birth_date: str
    phones: tuple[tuple[str, str], ...]
    """(number, kind) pairs."""

    @property
    def phone(self) -> str:
        return self.phones[0][0]

    def phi(self) -> list[str]:
        """Every value that must never reach an audit event, a log or a masked card."""
        return [self.family_name, self.birth_date, self.mrn, *(n for n, _ in self.phones)]

    def csv_row(self) -> str:
        phones = ";".join(f"{n}:{kind}" for n, kind in self.phones)
        return f"{self.mrn},{self.given_name},{self.family_name},{self.birth_date},{phones}"


def _patients() -> dict[str, Patient]:
    rng = random.Random(20_260_105)
    household = number(AREA, 102)
    plan = {
        "single": ("1941-01-23", ((number(AREA, 101), "mobile"),)),
        "household_a": ("1958-06-30", ((household, "home"), (number(AREA, 103), "mobile"))),
        "household_b": ("1987-11-04", ((household, "home"), (number(AREA, 104), "mobile"))),
        "searched": ("1972-03-15", ((number(AREA, 105), "mobile"),)),
        "dialled": ("1965-09-09", ((number(AREA, 106), "mobile"),)),
    }
    made: dict[str, Patient] = {}
    for index, (key, (born, phones)) in enumerate(plan.items()):
        given, family = synthetic_name(rng)
        made[key] = Patient(f"E2E{index + 1:07d}", given, family, born, phones)
    return made


PATIENTS = _patients()
HOUSEHOLD_NUMBER = PATIENTS["household_a"].phone
UNKNOWN_NUMBER = number(AREA, 199)  # nobody has it


def start_central(server: RealServer) -> RealServer:
    """Start the server and add the test's patients to the demo agent's first campaign."""
    server.start()
    rows = "\n".join(p.csv_row() for p in PATIENTS.values())
    imported = server.admin(
        "POST",
        "/patients/import/csv",
        content=f"mrn,given_name,family_name,birth_date,phones\n{rows}\n".encode(),
        params={"campaign_id": server.world["campaign_ids"][0]},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == len(PATIENTS), imported.json()
    return server


def audits_at_server(server: RealServer, record_id: str) -> list[dict[str, Any]]:
    """The audit events the server received about the call ``record_id``."""
    return [
        payload
        for _id, _kind, payload in server.intake_rows("audit")
        if str(payload.get("reason", "")).startswith(f"call {record_id}")
    ]


class NoMouse(QObject):
    """Counts mouse button events anywhere in the app (a keyboard-only flow has none)."""

    KINDS = (
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
    )

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self.KINDS:
            self.seen += 1
        return False


@dataclass
class CentralDesk:
    """The signed-in desk; ``rig`` drives it with the keys of the shortcut table."""

    rig: DeskRig
    server: RealServer
    sync: SyncRig
    desktop: DesktopSync
    store: AgentStore

    @property
    def patients(self) -> PatientPanel:
        """The patient panel the app put in the window's patient area."""
        [panel] = self.rig.window.panels["patientPanel"].findChildren(PatientPanel)
        return panel

    def patient_id(self, key: str) -> str:
        """The server's id of a test patient, as the synced store has it (not audited)."""
        found = self.store.caller_lookup(PATIENTS[key].phones[-1][0])
        assert len(found) == 1, f"{key}: {len(found)} matches"
        return found[0].id

    def has_every_patient(self) -> bool:
        return all(len(self.store.caller_lookup(p.phones[-1][0])) == 1 for p in PATIENTS.values())

    def journal_delivered(self) -> None:
        """Wait until the journal sent everything to the server and none was refused."""

        def delivered() -> None:
            counts = self.store.journal.counts()
            assert counts.parked == 0, f"the server refused entries: {self.store.journal.parked()}"
            assert counts.unsynced == 0, f"journal entries not delivered yet: {counts}"

        self.rig.qtbot.waitUntil(delivered, timeout=30_000)

    def audits(self, record_id: str, expected: Counter[str]) -> list[dict[str, Any]]:
        """The call's audit events, once the server has ``expected`` (action -> count)."""
        found: list[dict[str, Any]] = []

        def arrived() -> None:
            found[:] = audits_at_server(self.server, record_id)
            assert Counter(a["action"] for a in found) == expected, found

        self.rig.qtbot.waitUntil(arrived, timeout=30_000)
        self.journal_delivered()
        text = json.dumps(found)
        for patient in PATIENTS.values():
            for value in (patient.given_name, *patient.phi()):
                assert value not in text, "an audit event carries patient data"
        return found

    def stop(self) -> None:
        """As the app does at exit: the phone first (it journals the last state), then sync."""
        self.rig.phone.stop()
        self.desktop.stop()
        self.sync.api.close()


def sign_in(qtbot: QtBot, sync: SyncRig, server_url: str) -> LoginResult:
    """The sign-in dialog, typed into and submitted with Enter; returns its LoginResult."""
    dialog = LoginDialog(sync.authenticator, server_url)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    qtbot.keyClicks(dialog.agent_id, AGENT)
    qtbot.keyClicks(dialog.password, AGENT_PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result_value is not None and not dialog.result_value.offline
    return dialog.result_value


def open_desk(
    qtbot: QtBot, server: RealServer, secret_backend: object, *, domain: str = "127.0.0.1"
) -> CentralDesk:
    """Sign in to ``server`` and build the window the way ``app._sign_in_and_run`` does.

    The phone's account is a direct-call one (no registrar) from the ``[sip]`` settings, on
    a free loopback port; ``domain`` is where numbers the agent dials go (a peer's address).
    """
    # A workstation of its own: a desk opened again on the same server has a new key (the
    # keyring is cleared between tests), and an enrolled id keeps the key it enrolled with.
    sync = SyncRig(
        server.url,
        secret_backend,
        device_id=new_device_id(),
        enrolment_code=server.enrolment_code(),
    )
    result = sign_in(qtbot, sync, server.url)
    port = free_port()
    settings = Settings(
        sip=SipSettings(username="agent", registrar="", domain=domain, local_port=port)
    )
    clock = ManualClock()  # the inactivity lock stays out of the way of a slow machine
    window = MainWindow(
        result.agent_id,
        result.display_name,
        idle_lock=IdleLock(settings.security.lock_after_idle_s, clock),
        authenticate=sync.authenticator,
    )
    qtbot.addWidget(window)
    desktop = app._start_sync(
        window, sync.api, sync.vault, sync.verifier, sync.secrets, settings, result
    )
    assert desktop is not None, window.status.currentMessage()
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    try:
        phone = app._start_phone(window, settings, sync.secrets, desktop, app._tray(instance))
    except BaseException:
        desktop.stop()
        sync.api.close()
        raise
    assert window.softphone is not None
    gate = phone.session.gate
    assert gate is not None, "the app put the calling rules at the desk's door"
    gate.judge_with(calling_hours_clock())  # the suite may run at night
    rig = DeskRig(
        qtbot, window, phone, window.softphone, desktop.service.store.journal, port, clock
    )
    desk = CentralDesk(rig, server, sync, desktop, desktop.service.store)
    try:
        assert desk.patients.isVisibleTo(window), "the app put the patient panel in the window"
        window.show()
        rig.activate()
        rig.wait(
            lambda: window.status.sync.text() == "Sync: up to date",
            "the first pull is done",
            60_000,
        )
        rig.wait(lambda: phone.session.registered, "the phone takes calls")
        rig.wait(desk.has_every_patient, "the test's patients reached the store")
    except BaseException:
        desk.stop()
        raise
    return desk
