"""The demo on the desk: the first demo call a few seconds after the phone registers, and the
"Demo → Call me again" action (``make run`` only).

The desk takes calls when the agent is Ready. A newcomer's first sign-in is "Not ready (signed
in)", so the demo puts the desk Ready for its first call and says so; later calls wait until
the agent is Ready again (after the wrap-up), so that none is turned away busy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence

from agent_app.demo.ringer import DemoCase

log = logging.getLogger(__name__)

CALL_AGAIN_KEYS = "Ctrl+Shift+F5"
"""The demo's own shortcut (not in the desk's table: the demo menu exists only in the demo)."""
FIRST_CALL_AFTER_MS = 4000
CASE_TITLES = (
    QT_TRANSLATE_NOOP("DemoDesk", "a known patient (one match)"),
    QT_TRANSLATE_NOOP("DemoDesk", "a household number (two patients)"),
    QT_TRANSLATE_NOOP("DemoDesk", "an unknown caller (search)"),
    QT_TRANSLATE_NOOP("DemoDesk", "a Spanish-speaking patient"),
    QT_TRANSLATE_NOOP("DemoDesk", "a patient with a callback due"),
)
"""The demo server's case titles, marked so that the translations carry them."""
_READY = "ready"
_SIGNED_IN = "signed_in"
_NOTICE_MS = 15_000


class Ringer(Protocol):
    def call_next(self) -> DemoCase | None: ...

    @property
    def next_case(self) -> DemoCase | None: ...


class Session(Protocol):
    @property
    def state(self) -> Any: ...

    @property
    def availability(self) -> Any: ...

    def go_ready(self) -> bool: ...


class DemoDesk(QObject):
    """Rings the desk through ``ringer`` when ``session`` is Ready."""

    notice = Signal(str)
    """A sentence for the status bar: who is calling, or what the demo waits for."""

    def __init__(
        self,
        ringer: Ringer,
        session: Session,
        parent: QObject | None = None,
        *,
        first_call_after_ms: int = FIRST_CALL_AFTER_MS,
    ) -> None:
        super().__init__(parent)
        self._ringer, self._session = ringer, session
        self._first_call_after_ms = first_call_after_ms
        self._registered_once = False
        self._waiting = False
        self.call_again = QAction(self.tr("Call me again"), parent)
        self.call_again.setObjectName("action_demo_call_again")
        self.call_again.setShortcut(QKeySequence(CALL_AGAIN_KEYS))
        shown = QKeySequence(CALL_AGAIN_KEYS).toString(QKeySequence.SequenceFormat.NativeText)
        self.call_again.setToolTip(
            self.tr("A demo patient calls the desk: the next of the demo's cases") + f" ({shown})"
        )
        self.call_again.triggered.connect(self.request_call)
        self._first_call = QTimer(self)
        self._first_call.setSingleShot(True)
        self._first_call.timeout.connect(self.request_call)

    @property
    def waiting(self) -> bool:
        """A demo call is due once the agent is Ready."""
        return self._waiting

    @Slot(object)
    def on_line(self, line: object) -> None:
        """The desk's line changed: its first registration schedules the first demo call."""
        if self._registered_once or not getattr(line, "ready", False):
            return
        self._registered_once = True
        reason = self._session.availability
        if getattr(reason, "code", None) == _SIGNED_IN:
            self._session.go_ready()
        self._first_call.start(self._first_call_after_ms)
        case = self._ringer.next_case
        if case is not None:
            self.notice.emit(
                self.tr("Demo: you are Ready; {case} calls in a few seconds.").format(
                    case=self.tr(case.title)
                )
            )

    @Slot(object)
    def on_workflow_event(self, _event: object) -> None:
        if self._waiting and self._is_ready():
            self._place()

    @Slot()
    def request_call(self) -> None:
        """Ring the desk now if the agent is Ready, else as soon as they are."""
        self._first_call.stop()
        if self._is_ready():
            self._place()
            return
        self._waiting = True
        self.notice.emit(self.tr("Demo: the next demo patient calls when you are Ready (F9)."))

    def _is_ready(self) -> bool:
        return str(self._session.state) == _READY

    def _place(self) -> None:
        self._waiting = False
        case = self._ringer.call_next()
        if case is None:
            return
        self.notice.emit(
            self.tr("Demo: {case} is calling from {number}.").format(
                case=self.tr(case.title), number=case.number
            )
        )


class DemoWindow(Protocol):
    def add_demo_menu(self, actions: Sequence[QAction]) -> object: ...

    def statusBar(self) -> Any: ...


class DemoPhone(Protocol):
    @property
    def session(self) -> Any: ...

    @property
    def line_changed(self) -> Any: ...

    @property
    def workflow_event(self) -> Any: ...


def attach_demo_desk(
    window: DemoWindow,
    phone: DemoPhone,
    ringer: Ringer,
    *,
    first_call_after_ms: int = FIRST_CALL_AFTER_MS,
) -> DemoDesk:
    """Wire the demo caller to the signed-in desk: its menu, its first call, its notices."""
    parent = window if isinstance(window, QObject) else None
    desk = DemoDesk(ringer, phone.session, parent, first_call_after_ms=first_call_after_ms)
    window.add_demo_menu([desk.call_again])
    phone.line_changed.connect(desk.on_line)
    phone.workflow_event.connect(desk.on_workflow_event)
    show: Callable[[str], None] = lambda text: window.statusBar().showMessage(text, _NOTICE_MS)  # noqa: E731
    desk.notice.connect(show)
    return desk
