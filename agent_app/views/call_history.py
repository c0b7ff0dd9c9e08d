"""The shift's call history and missed calls, as two keyboard-friendly lists.

Every call that finished this shift goes to the history, newest first; the missed list
mirrors the session's (calls refused while Not ready, declined, or given up before
anyone answered). Enter on an entry hands its number to ``on_call_back`` (the number
field), so an agent calls back without retyping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTabWidget

from agent_app.views.icons import ActionIcon, icon
from agent_app.workflow.call_session import CallSession, Direction

MAX_ENTRIES = 200
NUMBER_ROLE = Qt.ItemDataRole.UserRole


def shown_number(number: str) -> str:
    """A number or address as the agent reads it: a SIP address without its scheme."""
    if number.lower().startswith(("sip:", "sips:")):
        return number.split(":", 1)[1]
    return number


def clock_time(iso: str | None) -> str:
    """``HH:MM`` in the workstation's time zone of a server timestamp ("" if unknown)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return moment.astimezone().strftime("%H:%M")


def duration_text(seconds: float) -> str:
    """``M:SS`` or ``H:MM:SS``."""
    total = int(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class CallHistory(QObject):
    def __init__(
        self,
        history: QListWidget,
        missed: QListWidget,
        tabs: QTabWidget,
        on_call_back: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.history, self.missed, self._tabs = history, missed, tabs
        self._on_call_back = on_call_back
        for widget in (history, missed):
            widget.itemActivated.connect(self._activated)
            widget.setUniformItemSizes(True)
            # One line per call, cut at the right edge (the tooltip has it all).
            widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            widget.setTextElideMode(Qt.TextElideMode.ElideRight)

    def add(self, call: CallSession) -> None:
        """A call that finished: newest first."""
        item = QListWidgetItem(self._entry_text(call))
        item.setIcon(icon(self._icon(call)))
        item.setData(NUMBER_ROLE, call.number)
        item.setToolTip(item.text())
        self.history.insertItem(0, item)
        while self.history.count() > MAX_ENTRIES:
            self.history.takeItem(self.history.count() - 1)

    def show_missed(self, calls: Sequence[CallSession]) -> None:
        self.missed.clear()
        for call in reversed(calls):
            item = QListWidgetItem(icon("decline"), self._missed_text(call))
            item.setData(NUMBER_ROLE, call.number)
            item.setToolTip(item.text())
            self.missed.addItem(item)
        title = self.tr("Missed ({count})").format(count=len(calls)) if calls else self.tr("Missed")
        page = self.missed.parentWidget()
        if page is not None:
            self._tabs.setTabText(self._tabs.indexOf(page), title)

    def _activated(self, item: QListWidgetItem) -> None:
        number = item.data(NUMBER_ROLE)
        if isinstance(number, str) and number:
            self._on_call_back(number)

    @staticmethod
    def _icon(call: CallSession) -> ActionIcon:
        if call.direction is Direction.OUTBOUND:
            return "dialpad"
        return "answer" if call.answered else "decline"

    def _entry_text(self, call: CallSession) -> str:
        number = shown_number(call.number) or self.tr("Unknown number")
        when = clock_time(call.started_at)
        if call.answered:
            outcome = duration_text(call.talk_time())
        elif call.direction is Direction.OUTBOUND:
            outcome = self.tr("not answered")
        else:
            outcome = self.tr("missed")
        direction = (
            self.tr("Outgoing") if call.direction is Direction.OUTBOUND else self.tr("Incoming")
        )
        return f"{number}  ·  {direction} {when}  ·  {outcome}"

    def _missed_text(self, call: CallSession) -> str:
        number = shown_number(call.number) or self.tr("Unknown number")
        why = {
            "refused": self.tr("refused while not available"),
            "declined": self.tr("declined"),
        }.get(call.end_reason, self.tr("caller hung up"))
        return f"{number}  ·  {clock_time(call.started_at)}  ·  {why}"
