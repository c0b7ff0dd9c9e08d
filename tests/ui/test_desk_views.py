"""The desk's views without a call: not configured, tooltips with keys, names for every
control, the status bar's phone indicators, the Help sheet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from agent_app.telephony import protocol as p
from agent_app.views import shortcuts
from agent_app.views.desk_phone import DeskPhone
from agent_app.views.main_window import MainWindow
from agent_app.views.shortcuts_sheet import ShortcutsSheet
from agent_app.views.status_bar import Level, PulseStatusBar
from agent_app.workflow.agent_state import AgentState, AgentStatus, NotReadyReason
from agent_app.workflow.events import Problem
from agent_app.workflow.idle_lock import IdleLock
from agent_app.workflow.line_status import AudioQuality, LineStatus, PhoneState
from tests.ui.desk_rig import ManualClock


class Outbox:
    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, object]]] = []

    def enqueue(self, kind: str, payload: dict[str, object], *, call_id: str | None = None) -> str:
        self.items.append((kind, dict(payload)))
        return str(len(self.items))


def _audit(action: str, *, patient_id: str | None, reason: str, result: str) -> str:
    return "audit"


@pytest.fixture
def unconfigured(qtbot: QtBot) -> Iterator[MainWindow]:
    phone = DeskPhone.create(
        account=None,
        config=p.EngineConfig(),
        outbox=Outbox(),
        audit=_audit,
        lookup=lambda number: [],
        not_configured="no SIP account: set [sip] username and registrar",
    )
    window = MainWindow(
        "agent7",
        "Agent Seven",
        idle_lock=IdleLock(300, ManualClock()),
        authenticate=lambda agent, password: None,  # type: ignore[arg-type,return-value]
    )
    qtbot.addWidget(window)
    window.attach_phone(phone)
    phone.start()
    window.show()
    yield window
    phone.stop()


def test_without_an_account_the_phone_says_not_configured(unconfigured: MainWindow) -> None:
    window = unconfigured
    assert window.phone is not None and window.phone.engine is None
    assert window.status.registration.text() == "Phone: not configured"
    assert "username and registrar" in window.status.registration.toolTip()
    panel = window.softphone
    assert panel is not None
    assert panel.call_state.text() == "No phone is set up on this workstation"
    assert not panel.buttons["dial"].isEnabled()
    assert window.phone.session.state is AgentState.OFFLINE
    assert window.phone.session.dial("+12025550143") is None


def test_every_button_shows_its_key_and_every_control_has_a_name(
    unconfigured: MainWindow,
) -> None:
    window = unconfigured
    panel, bar = window.softphone, window.agent_bar
    assert panel is not None and bar is not None
    for name, button in panel.buttons.items():
        action = {"complete_transfer": "transfer", "merge": "conference"}.get(name, name)
        keys = QKeySequence(shortcuts.BY_ACTION[action].keys).toString(
            QKeySequence.SequenceFormat.NativeText
        )
        assert button.toolTip().endswith(f"({keys})"), name
    assert bar.ready_button.toolTip().endswith("(F9)")
    assert bar.not_ready_button.toolTip().endswith("(F10)")
    panel.keypad.show()
    for button in panel.keys.values():
        assert button.toolTip().endswith(f"({button.text()})")

    focusable = [
        w
        for w in window.findChildren(QWidget)
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isVisibleTo(window)
    ]
    unnamed = [w.objectName() or type(w).__name__ for w in focusable if not w.accessibleName()]
    assert unnamed == []
    for action in window.findChildren(type(bar.ready_action)):
        if action.objectName().startswith("action_"):
            assert action.shortcut().toString(), action.objectName()


def test_the_help_sheet_lists_the_whole_table(qtbot: QtBot) -> None:
    sheet = ShortcutsSheet()
    qtbot.addWidget(sheet)
    listed = [sheet.table.item(r, 1).text() for r in range(sheet.table.rowCount())]
    for shortcut in shortcuts.SHORTCUTS:
        assert shortcuts.label(shortcut) in listed
    assert any("send tones" in text for text in listed)


def test_a_field_key_is_never_bound_to_the_window(qtbot: QtBot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    with pytest.raises(ValueError, match="belongs to its field"):
        shortcuts.bind(widget, "dial")


def test_problems_from_the_desk_reach_the_agent(unconfigured: MainWindow) -> None:
    window = unconfigured
    assert window.phone is not None and window.softphone is not None
    window.phone.workflow_event.emit(Problem("The audit log could not be written."))
    assert window.status.currentMessage() == "The audit log could not be written."
    assert window.softphone.notice.text() == "The audit log could not be written."


@pytest.mark.parametrize(
    ("line", "texts", "levels", "tip"),
    [
        (
            LineStatus(PhoneState.FAILED, "403 Forbidden", "pbx.example"),
            ("Phone: registration failed",),
            (Level.PROBLEM,),
            "403 Forbidden",
        ),
        (
            LineStatus(PhoneState.REGISTERED, "", "pbx.example", tls=True, srtp=True),
            ("Phone: registered", "Encryption: TLS + SRTP"),
            (Level.OK, Level.OK),
            "pbx.example",
        ),
        (
            LineStatus(PhoneState.REGISTERED, tls=True, srtp=False, audio=AudioQuality.GOOD),
            ("Encryption: TLS", "Audio: flowing"),
            (Level.PROBLEM, Level.OK),
            "",
        ),
        (
            LineStatus(PhoneState.DIRECT, audio=AudioQuality.NO_INCOMING, silent_s=4),
            ("Phone: ready (direct calls)", "Audio: no sound from the caller"),
            (Level.OK, Level.PROBLEM),
            "directly",
        ),
        (
            LineStatus(PhoneState.ENGINE_DOWN, "killed by signal 9"),
            ("Phone: not running",),
            (Level.PROBLEM,),
            "signal 9",
        ),
    ],
)
def test_the_status_bar_shows_the_line(
    qtbot: QtBot,
    line: LineStatus,
    texts: tuple[str, ...],
    levels: tuple[Level, ...],
    tip: str,
) -> None:
    bar = PulseStatusBar()
    qtbot.addWidget(bar)
    bar.show_line_status(line)
    indicators = {i.text().split(":")[0]: i for i in (bar.registration, bar.security, bar.quality)}
    for text, level in zip(texts, levels, strict=True):
        indicator = indicators[text.split(":")[0]]
        assert (indicator.text(), indicator.level) == (text, level)
    assert tip in bar.registration.toolTip()


def test_the_status_bar_shows_the_state_its_reason_and_its_time(qtbot: QtBot) -> None:
    bar = PulseStatusBar()
    qtbot.addWidget(bar)
    lunch = NotReadyReason("lunch", "Lunch", limit_s=3600)
    status = AgentStatus(AgentState.NOT_READY, lunch, 3725, lunch, True, True, None)
    bar.show_agent_status(status)
    assert bar.agent.text() == "State: Not ready (Lunch) 1:02:05"
    assert bar.agent.level is Level.PROBLEM and "over the time" in bar.agent.toolTip()
    ready = AgentStatus(AgentState.READY, None, 12, None, True, False, None)
    bar.show_agent_status(ready)
    assert (bar.agent.text(), bar.agent.level) == ("State: Ready 0:12", Level.OK)


def test_the_audio_indicator_hides_without_a_call(qtbot: QtBot) -> None:
    bar = PulseStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.show_line_status(LineStatus(PhoneState.REGISTERED, audio=AudioQuality.ON_HOLD))
    assert bar.quality.isVisible()
    bar.show_line_status(LineStatus(PhoneState.REGISTERED))
    assert not bar.quality.isVisible()


def test_reason_codes_from_the_server_replace_the_menu(unconfigured: MainWindow) -> None:
    window = unconfigured
    assert window.agent_bar is not None and window.phone is not None
    window.set_not_ready_reasons([NotReadyReason("coaching", "Coaching", 1800)])
    assert list(window.agent_bar.reason_actions) == ["coaching"]
    assert window.agent_bar.reason_actions["coaching"].text() == "Coaching (up to 30 min)"
    assert [r.code for r in window.phone.session.reasons] == ["coaching"]
