"""Start-up of the desktop app: settings, logging, keyring check, then the windows.

Every check that can stop a shift runs here, before a window opens, and says in one
message what is wrong and who can fix it.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from agent_app import __version__
from agent_app.foundation.config import (
    ConfigError,
    LoadedSettings,
    SyncSettings,
)
from agent_app.foundation.device import device_id
from agent_app.foundation.startup import prepare
from agent_app.secrets.errors import InsecureKeyringError, SecretStoreError
from agent_app.secrets.store import SecretStore

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from agent_app.demo import DemoServer
    from agent_app.foundation.config import Settings
    from agent_app.sync.api import ServerApi
    from agent_app.sync.credentials import TokenVault
    from agent_app.sync.login import LoginResult
    from agent_app.sync.offline_login import OfflineVerifier
    from agent_app.views.main_window import MainWindow
    from agent_app.views.sync_relay import DesktopSync

log = logging.getLogger(__name__)

EXIT_CONFIG = 2
EXIT_KEYRING = 3


def run_gui(argv: list[str], *, demo: bool = False) -> int:
    try:
        loaded = prepare()
    except ConfigError as exc:
        print(f"pulse-agent: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        secrets = SecretStore()
    except InsecureKeyringError as exc:
        log.error("start-up refused: %s", exc)
        print(f"pulse-agent: {exc}", file=sys.stderr)
        return EXIT_KEYRING
    log.info("starting Pulse %s; keyring backend %s", __version__, secrets.backend_name)
    try:
        # The keyring session is made now, so that opening the store after sign-in
        # pays only for reading its keys.
        secrets.warm_up()
    except SecretStoreError as exc:
        log.error("start-up refused: %s", exc)
        print(f"pulse-agent: {exc}", file=sys.stderr)
        return EXIT_KEYRING

    # Qt is imported only here so that --version, --print-config and the IT
    # subcommands work on a machine without a display.
    from PySide6.QtWidgets import QApplication

    from agent_app.views.icons import icon

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *argv])
    app.setApplicationName("Pulse")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(icon("pulse"))
    sync = loaded.settings.sync
    demo_server = None
    if demo:
        from agent_app.demo import DemoError, start_demo_server

        try:
            demo_server = start_demo_server()
        except DemoError as exc:
            log.error("demo: %s", exc)
            print(f"pulse-agent: {exc}", file=sys.stderr)
            return 1
        sync = sync.model_copy(update={"server_url": demo_server.url})
    try:
        return _sign_in_and_run(app, sync, demo_server, loaded=loaded, secrets=secrets)
    finally:
        if demo_server is not None:
            demo_server.stop()


def _sign_in_and_run(
    app: QApplication,
    sync: SyncSettings,
    demo_server: DemoServer | None,
    *,
    loaded: LoadedSettings | None = None,
    secrets: SecretStore | None = None,
) -> int:
    from agent_app.foundation.config import Settings
    from agent_app.sync.auth_client import ServerAuthenticator
    from agent_app.sync.credentials import TokenVault
    from agent_app.sync.service import make_api, make_verifier, wipe_agent_store
    from agent_app.views.login_dialog import LoginDialog
    from agent_app.views.main_window import MainWindow
    from agent_app.workflow.idle_lock import IdleLock

    settings = (loaded.settings if loaded is not None else Settings()).model_copy(
        update={"sync": sync}
    )
    secrets = secrets or SecretStore()
    workstation = device_id()
    api = make_api(settings, device_id=workstation)
    vault = TokenVault(secrets)
    verifier = make_verifier(settings, secrets)
    authenticate = ServerAuthenticator(
        api,
        vault=vault,
        verifier=verifier,
        on_wipe=lambda agent: wipe_agent_store(agent, secrets=secrets, workstation_id=workstation),
    )
    dialog = LoginDialog(authenticate, sync.server_url)
    if demo_server is not None:
        dialog.offer_demo_account(demo_server.agent, demo_server.password)
    if dialog.exec() != LoginDialog.DialogCode.Accepted or dialog.result_value is None:
        log.info("sign-in cancelled")
        api.close()
        return 0
    result = dialog.result_value
    log.info(
        "signed in as agent %s (role %s%s)",
        result.agent_id,
        result.role,
        ", offline" if result.offline else "",
    )
    window = MainWindow(
        result.agent_id,
        result.display_name,
        idle_lock=IdleLock(settings.security.lock_after_idle_s),
        authenticate=authenticate,
    )
    desktop = _start_sync(window, api, vault, verifier, secrets, settings, result)
    window.show()
    try:
        return app.exec()
    finally:
        if desktop is not None:
            desktop.stop()
        api.close()


def _start_sync(  # noqa: PLR0917  (one call site, all parts of one sign-in)
    window: MainWindow,
    api: ServerApi,
    vault: TokenVault,
    verifier: OfflineVerifier,
    secrets: SecretStore,
    settings: Settings,
    result: LoginResult,
) -> DesktopSync | None:
    """Open the agent's store and start sync on its worker thread, wired to the status bar."""
    from agent_app.store.agent_store import AgentStore
    from agent_app.store.errors import StoreError
    from agent_app.sync.service import SyncService
    from agent_app.views.sync_relay import DesktopSync

    try:
        store = AgentStore.open(
            agent_id=result.agent_id,
            workstation_id=device_id(),
            secrets=secrets,
            max_offline_hours=settings.sync.max_offline_hours,
            # Lookups start at once; a damaged cache found by the page check is locked
            # and rebuilt instead of delaying the first screen-pop by seconds.
            verify="background",
        )
    except StoreError as exc:
        log.error("store not opened: %s", exc)
        window.status.showMessage(f"Local store unavailable: {exc}")
        return None
    service = SyncService(
        api=api,
        vault=vault,
        store=store,
        agent_id=result.agent_id,
        pull_interval_s=settings.sync.pull_interval_s,
        verifier=verifier,
    )
    desktop = DesktopSync(service, window)
    desktop.relay.status_changed.connect(window.status.show_sync_status)
    window.status.show_sync_status(desktop.relay.last)
    if not result.offline:
        service.tracker.reached_server()
    else:
        service.tracker.lost_server("signed in offline")
        window.status.showMessage(
            "Signed in OFFLINE: the server cannot be reached. Patients and scripts come from "
            "this workstation; your work is queued and sent when the server is back."
        )
    desktop.start()
    return desktop
