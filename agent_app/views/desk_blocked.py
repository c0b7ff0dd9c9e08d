"""The page that covers the panels when the desk cannot work: why, and what to do.

Two cases: the patient cache locked itself after too long without the server
(``sync.max_offline_hours``), which lifts by itself when the server answers; and this
workstation revoked by IT, after which the local data is gone and only signing out is left.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from agent_app.views.forms import child, load_form

# Sizes and shapes; the colours are the palette's (styling.style_sheet).
PAGE_STYLE = """
#blockedCard { border-radius: 10px; }
#blockedTitle { font-size: 16pt; font-weight: 600; }
#blockedWhy { font-size: 11pt; }
#blockedTodo { font-size: 11pt; border-radius: 6px; padding: 10px 12px; }
#blockedCard QPushButton { padding: 6px 18px; }
"""


class DeskBlockedPage(QWidget):
    sign_out_requested = Signal()
    try_now_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deskBlockedPage")
        self.setStyleSheet(PAGE_STYLE)
        form = load_form("desk_blocked.ui", self)
        self.title = child(form, QLabel, "blockedTitle")
        self.why = child(form, QLabel, "blockedWhy")
        self.todo = child(form, QLabel, "blockedTodo")
        self.try_now = child(form, QPushButton, "blockedTryNow")
        self.sign_out = child(form, QPushButton, "blockedSignOut")
        self.try_now.clicked.connect(self.try_now_requested)
        self.sign_out.clicked.connect(self.sign_out_requested)
        self.kind = ""

    def show_cache_locked(self, hours: float, queued: int) -> None:
        self.kind = "cache_locked"
        self.title.setText(self.tr("Patient data is locked on this workstation"))
        self.why.setText(
            self.tr(
                "Pulse has not reached the server for more than {hours} hours, the limit your "
                "organisation set for keeping patient data on a workstation that cannot check in."
            ).format(hours=f"{hours:g}")
        )
        todo = self.tr(
            "Connect this workstation to the network (or the VPN). Pulse unlocks by itself as "
            "soon as the server answers; if it does not, call IT support."
        )
        if queued:
            todo += " " + (
                self.tr("Your queued record is kept and will be sent.")
                if queued == 1
                else self.tr("Your {count} queued records are kept and will be sent.").format(
                    count=queued
                )
            )
        self.todo.setText(todo)
        self.try_now.show()
        self.try_now.setDefault(True)
        self._announce()

    def show_revoked(self) -> None:
        self.kind = "revoked"
        self.title.setText(self.tr("This workstation's access was withdrawn"))
        self.why.setText(
            self.tr(
                "The server says this workstation may no longer be used with Pulse, so the "
                "phone was stopped and the patient data on it was erased."
            )
        )
        self.todo.setText(
            self.tr(
                "Sign out and contact IT support. Work the server had not received yet is kept "
                "encrypted on this workstation for IT to recover."
            )
        )
        self.try_now.hide()
        self.sign_out.setDefault(True)
        self._announce()

    def _announce(self) -> None:
        self.setAccessibleName(self.title.text())
        self.setAccessibleDescription(f"{self.why.text()} {self.todo.text()}")
        (self.try_now if self.try_now.isVisibleTo(self) else self.sign_out).setFocus()
