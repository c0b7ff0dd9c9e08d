"""The desk under test: the main window with its phone (a real engine process on loopback,
a direct-call account), the journal as its outbox and audit log, and keyboard helpers."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from agent_app.store.agent_store import AgentStore
from agent_app.store.journal import Journal
from agent_app.telephony import protocol as p
from agent_app.views import shortcuts
from agent_app.views.desk_phone import DeskPhone
from agent_app.views.main_window import MainWindow
from agent_app.views.patient_panel import PatientPanel
from agent_app.views.script_panel import ScriptPanel
from agent_app.views.softphone_panel import SoftphonePanel
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.call_session import CallSession
from agent_app.workflow.desk_settings import DeskSettings
from agent_app.workflow.idle_lock import IdleLock
from testbed.ports import free_port
from tests.helpers.telephony_peers import EventLog

SHOTS_ENV = "PULSE_TEST_SCREENSHOTS"
"""Set to a directory to keep a screenshot of every state the tests pass through."""
CALLER = "+12025550143"  # synthetic (555-01xx is reserved for fiction)
WAIT_MS = 20_000


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class DeskRig:
    qtbot: QtBot
    window: MainWindow
    phone: DeskPhone
    panel: SoftphonePanel
    journal: Journal
    port: int
    idle_clock: ManualClock
    shots: list[Path] = field(default_factory=list)

    @property
    def session(self) -> AgentSession:
        return self.phone.session

    @property
    def address(self) -> str:
        """What a peer dials to reach the desk."""
        return f"sip:agent@127.0.0.1:{self.port}"

    def press(self, action: str, target: QWidget | None = None) -> None:
        """The keys of ``action`` from the shortcut table, sent where the focus is."""
        self.press_keys(shortcuts.BY_ACTION[action].keys, target)

    def press_keys(self, keys: str, target: QWidget | None = None) -> None:
        combo = QKeySequence(keys)[0]
        widget = target or QApplication.focusWidget() or self.window
        self.qtbot.keyClick(widget, combo.key(), combo.keyboardModifiers())

    def type_text(self, text: str) -> None:
        widget = QApplication.focusWidget()
        assert widget is not None
        self.qtbot.keyClicks(widget, text)

    def wait(self, condition: object, what: str, timeout: int = WAIT_MS) -> None:
        def check() -> None:
            assert condition(), what  # type: ignore[operator]

        self.qtbot.waitUntil(check, timeout=timeout)

    def peer_event(self, events: EventLog, kind: type[Any], **fields: Any) -> Any:
        """Wait for a peer's event while the desk's event loop keeps running (a blocking
        wait would stall the desk, which answers from that loop)."""
        found: list[Any] = []

        def seen() -> None:
            found[:] = events.of_type(kind, **fields)
            assert found, f"{kind.__name__} {fields}"

        self.qtbot.waitUntil(seen, timeout=WAIT_MS)
        return found[0]

    def only_call(self) -> CallSession:
        calls = self.session.calls
        assert len(calls) == 1, calls
        return calls[0]

    def shot(self, name: str, widget: QWidget | None = None) -> None:
        folder = os.environ.get(SHOTS_ENV)
        if not folder:
            return
        path = Path(folder) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()  # let the layouts settle, as the event loop would
        (widget or self.window).grab().save(str(path))
        self.shots.append(path)

    def activate(self) -> None:
        self.window.show()
        self.window.activateWindow()
        self.qtbot.waitUntil(self.window.isActiveWindow, timeout=5000)


def make_desk(
    qtbot: QtBot,
    tmp_path: Path,
    port: int,
    *,
    domain: str = "127.0.0.1",
    settings: DeskSettings | None = None,
    authenticate: object = None,
) -> DeskRig:
    tmp_path.mkdir(parents=True, exist_ok=True)
    journal = Journal(tmp_path / "journal.db", "6b" * 32, agent_id="agent7")
    account = p.AccountSpec("agent", "agent", domain, register=False)
    config = p.EngineConfig(bind_address="127.0.0.1", local_port=port, stats_interval_s=0.5)
    phone = DeskPhone.create(
        account=account,
        config=config,
        outbox=journal,
        audit=journal.audit,
        lookup=lambda number: [],
        settings=settings,
    )
    clock = ManualClock()
    window = MainWindow(
        "agent7",
        "Agent Seven",
        idle_lock=IdleLock(300, clock),
        authenticate=authenticate or _refuse,  # type: ignore[arg-type]
    )
    qtbot.addWidget(window)
    panel = window.attach_phone(phone)
    phone.start()
    rig = DeskRig(qtbot, window, phone, panel, journal, port, clock)
    rig.activate()
    rig.wait(lambda: phone.session.registered, "the phone takes calls")
    return rig


def store_desk(qtbot: QtBot, store: AgentStore, *, wrap_up: bool = False) -> DeskRig:
    """The window as the app composes it over ``store``: the phone (a direct-call account on a
    free loopback port), the patient card and the script; ``wrap_up``: the session keeps
    its after-call work in the store's journal too (the disposition panel's)."""
    port = free_port()
    phone = DeskPhone.create(
        account=p.AccountSpec("agent", "agent", "127.0.0.1", register=False),
        config=p.EngineConfig(bind_address="127.0.0.1", local_port=port, stats_interval_s=0.5),
        outbox=store.journal,
        audit=store.journal.audit,
        lookup=lambda number: [r.id for r in store.caller_lookup(number)],
        journal=store.journal if wrap_up else None,
        cache=(lambda: store.cache) if wrap_up else None,
    )
    clock = ManualClock()
    window = MainWindow(
        "agent7",
        "Agent Seven",
        idle_lock=IdleLock(300, clock),
        authenticate=None,  # type: ignore[arg-type]
    )
    qtbot.addWidget(window)
    panel = window.attach_phone(phone)
    window.set_patient_panel(PatientPanel(phone.session, store, window))
    window.set_script_panel(
        ScriptPanel.for_store(phone.session, store, agent_name=window.agent_name, parent=window)
    )
    phone.start()
    rig = DeskRig(qtbot, window, phone, panel, store.journal, port, clock)
    rig.activate()
    rig.wait(lambda: phone.session.registered, "the phone takes calls")
    return rig


def _refuse(agent_id: str, password: str) -> object:
    from agent_app.sync.login import LoginError

    raise LoginError("Agent ID or password is not correct.")
