"""The desk's side of sync: banner, refused items, My day, the offline lock and a revoke.

:class:`OfflineDesk` puts the banner above the panels and two entries in the Pulse menu
(My day, refused items), follows the sync status the relay brings to the GUI thread, and
covers the panels with a page that says why when the desk cannot work: the patient cache
locked after ``sync.max_offline_hours`` without the server (lifted by itself when the
server answers), or this workstation revoked (the phone stops at once; the sync layer has
wiped the store). Clicking the sync indicator opens the refused items too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QBoxLayout

from agent_app.store.cache_reader import OFFLINE_LIMIT_REASON
from agent_app.store.errors import StoreError
from agent_app.sync.status import Connection, SyncStatus
from agent_app.views import shortcuts
from agent_app.views.desk_blocked import DeskBlockedPage
from agent_app.views.main_window import MainWindow
from agent_app.views.my_day import MyDayDialog
from agent_app.views.offline_banner import OfflineBanner
from agent_app.views.parked_items import RefusedItemsDialog
from agent_app.views.sync_relay import DesktopSync
from agent_app.workflow.my_day import MyDay, my_day
from agent_app.workflow.refused_items import RefusedItems

log = logging.getLogger(__name__)

LOCK_CHECK_MS = 30_000
"""The offline limit passes with time alone: how often the desk looks."""


class OfflineDesk(QObject):
    sign_out_requested = Signal()

    def __init__(
        self,
        window: MainWindow,
        desktop: DesktopSync,
        *,
        max_offline_hours: float,
        stop_phone: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.desktop = desktop
        self.max_offline_hours = max_offline_hours
        self._stop_phone = stop_phone
        self.revoked = False
        service = desktop.service
        self.refused = RefusedItems(
            service.store.journal, nudge=service.engine.nudge, now=service.api.clock.now_iso
        )

        self.banner = OfflineBanner(window.work_area)
        layout = window.work_area.layout()
        if isinstance(layout, QBoxLayout):
            layout.insertWidget(0, self.banner)
        self.banner.review_requested.connect(self.show_refused)
        self.banner.try_now_requested.connect(self.try_now)
        self.page = DeskBlockedPage()
        self.page.sign_out_requested.connect(self.sign_out_requested)
        self.page.try_now_requested.connect(self.try_now)

        self.my_day_action = shortcuts.bind(window, "my_day", text=self.tr("My &day…"))
        self.my_day_action.triggered.connect(self.show_my_day)
        self.refused_action = shortcuts.bind(
            window, "refused_items", text=self.tr("&Refused items…")
        )
        self.refused_action.triggered.connect(self.show_refused)
        menu = window.pulse_menu
        first = menu.actions()[0] if menu.actions() else None
        menu.insertActions(first, [self.my_day_action, self.refused_action])  # type: ignore[arg-type]
        menu.insertSeparator(first)  # type: ignore[arg-type]
        window.status.sync.installEventFilter(self)

        self.my_day_dialog: MyDayDialog | None = None
        self.refused_dialog: RefusedItemsDialog | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(LOCK_CHECK_MS)
        self._timer.timeout.connect(self.check_lock)
        self._timer.start()
        desktop.relay.status_changed.connect(self.show_status)
        self.show_status(desktop.relay.last)

    # -- status ------------------------------------------------------------------------------

    @Slot(object)
    def show_status(self, status: SyncStatus) -> None:
        if self.revoked:
            return
        if status.connection is Connection.REVOKED:
            self.revoke()
            return
        self.banner.show_status(status)
        self.refused_action.setEnabled(True)
        self.check_lock()
        if self.refused_dialog is not None and self.refused_dialog.isVisible():
            self.refused_dialog.refresh()

    @Slot()
    def check_lock(self) -> None:
        """Cover the desk while the offline limit locks the cache; uncover when it lifts."""
        if self.revoked:
            return
        try:
            reason = self.desktop.service.store.cache.lock_reason()
        except StoreError:
            reason = None
        phone = self.window.phone
        if reason == OFFLINE_LIMIT_REASON and phone is not None and phone.session.busy:
            # Never cover a call or its after-call work: the page comes when they are done.
            return
        if reason == OFFLINE_LIMIT_REASON:
            if self.page.kind != "cache_locked":
                log.warning("desk covered: the cache is locked after the offline limit")
            self.page.show_cache_locked(self.max_offline_hours, self.desktop.relay.last.queued)
            self.window.show_page(self.page)
            if phone is not None and not phone.session.desk_locked:
                phone.session.lock_desk()  # no call offered that the agent could not see
        elif self.page.kind == "cache_locked":
            log.info("desk uncovered: the cache is unlocked")
            self.page.kind = ""
            self.window.show_page(None)
            if phone is not None:
                phone.session.unlock_desk()

    @Slot()
    def revoke(self) -> None:
        """The server revoked this workstation: lock the desk now, stop the phone."""
        if self.revoked:
            return
        self.revoked = True
        log.warning("workstation revoked: the desk is locked")
        self.banner.hide()
        self.page.show_revoked()
        self.window.show_page(self.page)
        for action in (self.my_day_action, self.refused_action):
            action.setEnabled(False)
        for menu in (self.window.phone_menu, self.window.status_menu):
            menu.setEnabled(False)
        for dialog in (self.my_day_dialog, self.refused_dialog):
            if dialog is not None:
                dialog.reject()
        # After the page has painted: stopping the engine takes a moment.
        QTimer.singleShot(0, self._stop_phone)

    @Slot()
    def try_now(self) -> None:
        self.desktop.service.engine.nudge(pull=True)

    # -- the dialogs -------------------------------------------------------------------------

    def read_my_day(self) -> MyDay:
        return my_day(self.desktop.service.store.journal)

    @Slot()
    def show_my_day(self) -> None:
        if self.revoked:
            return
        if self.my_day_dialog is None:
            self.my_day_dialog = MyDayDialog(self.read_my_day, self.window)
        else:
            self.my_day_dialog.refresh()
        self.my_day_dialog.open()

    @Slot()
    def show_refused(self) -> None:
        if self.revoked:
            return
        if self.refused_dialog is None:
            self.refused_dialog = RefusedItemsDialog(self.refused, self.window)
        else:
            self.refused_dialog.refresh()
        self.refused_dialog.open()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The sync indicator is a label: a click on it opens the refused items when any.
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and watched is self.window.status.sync
            and self.desktop.relay.last.parked
        ):
            self.show_refused()
            return True
        return super().eventFilter(watched, event)
