"""The calm banner above the panels: offline since when, how much is queued, what was refused.

It shows only while there is something to say (the server cannot be reached, or items were
refused) and goes as soon as the queue has drained. It never blocks work: the agent goes on
with calls, scripts and dispositions from this workstation while it shows.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QWidget

from agent_app.sync.status import Connection, SyncStatus
from agent_app.views import shortcuts
from agent_app.views.forms import child, load_form
from agent_app.views.icons import icon

# Sizes and shapes; the colours are the palette's (styling.style_sheet).
BANNER_STYLE = """
#offlineBanner { border-radius: 6px; }
#offlineBanner QPushButton { padding: 4px 12px; }
"""


def clock_text(moment: float | None) -> str:
    return "" if moment is None else datetime.fromtimestamp(moment).strftime("%H:%M")


class OfflineBanner(QFrame):
    review_requested = Signal()
    try_now_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offlineBanner")
        self.setStyleSheet(BANNER_STYLE)
        form = load_form("offline_banner.ui", self)
        self.text = child(form, QLabel, "bannerText")
        self._icon = child(form, QLabel, "bannerIcon")
        self._icon.setPixmap(icon("offline").pixmap(QSize(20, 20)))
        self.review = child(form, QPushButton, "reviewButton")
        self.review.setToolTip(shortcuts.tooltip("refused_items"))
        self.try_now = child(form, QPushButton, "tryNowButton")
        self.review.clicked.connect(self.review_requested)
        self.try_now.clicked.connect(self.try_now_requested)
        self.hide()

    def show_status(self, status: SyncStatus) -> None:
        """Say what matters now, or hide (a queued slot: runs on the GUI thread)."""
        offline = status.connection is Connection.OFFLINE
        parts: list[str] = []
        if offline:
            since = clock_text(status.offline_since)
            parts.append(
                "<b>{}</b>".format(
                    self.tr("Working offline since {time}.").format(time=since)
                    if since
                    else self.tr("Working offline.")
                )
            )
            parts.append(
                self.tr("Nothing waiting to be sent.")
                if not status.queued
                else self.tr("One record queued for the server.")
                if status.queued == 1
                else self.tr("{count} records queued for the server.").format(count=status.queued)
            )
            parts.append(
                self.tr(
                    "Patients and scripts come from this workstation; your work is sent when "
                    "the server is back."
                )
            )
        if status.parked:
            parts.append(
                "<b>{}</b>".format(
                    self.tr("One item refused by the server needs a look.")
                    if status.parked == 1
                    else self.tr("{count} items refused by the server need a look.").format(
                        count=status.parked
                    )
                )
            )
        self.text.setText(" ".join(parts))
        self.review.setVisible(bool(status.parked))
        self.try_now.setVisible(offline)
        level = "refused" if status.parked and not offline else "offline"
        if self.property("level") != level:
            self.setProperty("level", level)
            self.style().unpolish(self)
            self.style().polish(self)
        self._icon.setPixmap(icon("offline" if offline else "warning").pixmap(QSize(20, 20)))
        self.setAccessibleDescription(self.text.text())
        self.setVisible(bool(parts))
