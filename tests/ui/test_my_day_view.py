"""My day in the window: the figures of today's journal, reached from the Pulse menu."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from agent_app.store.journal import Journal
from agent_app.views.my_day import MyDayDialog
from agent_app.workflow.my_day import my_day

pytestmark = pytest.mark.integration


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _state(journal: Journal, new: str, previous: str, spent: float, call: str | None) -> None:
    payload = {"state": new, "previous": previous, "previous_s": spent, "call_id": call}
    journal.enqueue("agent_state", payload, call_id=call)


def test_my_day_shows_todays_figures_before_and_after_delivery(
    qtbot: QtBot, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal.db", "6b" * 32, agent_id="agent7")
    try:
        for n, (code, talk, wrap) in enumerate([("REACHED", 185, 41), ("CALLBACK", 95, 75)]):
            call = f"rec-{n}"
            _state(journal, "on_call", "ringing", 5, call)
            _state(journal, "wrap_up", "on_call", talk, call)
            journal.enqueue("disposition", {"call_id": call, "code": code}, call_id=call)
            _state(journal, "ready", "wrap_up", wrap, None)
        later = datetime.now().astimezone().replace(hour=23, minute=30, second=0, microsecond=0)
        journal.enqueue(
            "callback", {"call_id": "rec-1", "callback_at": _iso(later)}, call_id="rec-1"
        )
        dialog = MyDayDialog(lambda: my_day(journal))
        qtbot.addWidget(dialog)
        dialog.show()
        assert dialog.calls.text() == "2"
        assert dialog.handle.text() == "3:18"  # (185 + 41 + 95 + 75) / 2 s
        assert dialog.wrap_up.text() == "1:56"
        assert dialog.talk.text() == "4:40"
        assert [dialog.codes.item(r, 0).text() for r in range(dialog.codes.rowCount())] == [
            "CALLBACK",
            "REACHED",
        ]
        assert dialog.callbacks.item(0).text().startswith("23:30")
        assert "9 of today's records" in dialog.waiting.text()
        folder = os.environ.get("PULSE_TEST_SCREENSHOTS")
        if folder:
            QApplication.processEvents()
            dialog.grab().save(str(Path(folder) / "my-day.png"))

        journal.mark_acknowledged([item.id for item in journal.next_batch(50)])
        dialog.refresh()
        assert (dialog.calls.text(), dialog.handle.text()) == ("2", "3:18")
        assert dialog.codes.rowCount() == 2
        assert "reached the server" in dialog.waiting.text()
        assert dialog.day is not None
        assert dialog.day.day == (datetime.now().astimezone() - timedelta(0)).date()
    finally:
        journal.close()
