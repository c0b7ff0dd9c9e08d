"""Start-up of the desktop app: settings, logging, keyring check, then the windows and the phone.

Every check that can stop a shift runs here, before a window opens, and says in one
message what is wrong and who can fix it. After sign-in the agent's phone starts (the
engine process, the SIP account, the desk's workflow session wired to the store); at
sign-out it stops, the store closes and the sign-in window comes back; on exit and on
SIGTERM / SIGINT it stops too, and so does the demo server.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from agent_app import __version__
from agent_app.foundation import heap
from agent_app.foundation.config import (
    AgentDeskSettings,
    ConfigError,
    LoadedSettings,
    SipSettings,
    SyncSettings,
)
from agent_app.foundation.device import device_id
from agent_app.foundation.redaction import forget_phi
from agent_app.foundation.startup import prepare
from agent_app.secrets.errors import InsecureKeyringError, SecretStoreError
from agent_app.secrets.helper_client import HelperSecrets
from agent_app.secrets.protocols import Secrets

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    from agent_app.demo import DemoServer
    from agent_app.foundation.config import Settings
    from agent_app.store.agent_store import AgentStore
    from agent_app.sync.api import ServerApi
    from agent_app.sync.credentials import TokenVault
    from agent_app.sync.login import LoginResult
    from agent_app.sync.offline_login import OfflineVerifier
    from agent_app.telephony.protocol import AccountSpec
    from agent_app.views.desk_phone import DeskPhone
    from agent_app.views.main_window import MainWindow
    from agent_app.views.sync_relay import DesktopSync
    from agent_app.views.termination import QuitOnSignal
    from agent_app.workflow.agent_state import NotReadyReason
    from agent_app.workflow.desk_settings import DeskSettings

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
        secrets = HelperSecrets()
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

    from agent_app.foundation import qt_messages
    from agent_app.views.icons import icon
    from agent_app.views.language import Language
    from agent_app.views.styling import apply_theme
    from agent_app.views.termination import QuitOnSignal

    qt_messages.install()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0], *argv])
    # Before the first window: forms take their texts and colours when they are built.
    apply_theme(app, loaded.settings.ui.theme)
    language = Language(app)
    language.apply(loaded.settings.ui.language)
    app.setApplicationName("Pulse")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(icon("pulse"))
    # SIGTERM / SIGINT close the app through the ``finally`` blocks below, which stop the
    # phone and the demo server; the children also die with the app if it is killed.
    guard = QuitOnSignal(app)
    guard.install()
    try:
        return _run_with_guard(app, guard, loaded, secrets, demo=demo)
    finally:
        guard.uninstall()


def _run_with_guard(
    app: QApplication,
    guard: QuitOnSignal,
    loaded: LoadedSettings,
    secrets: Secrets,
    *,
    demo: bool,
) -> int:
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
        # The demo's phone system: the desk registers as its extension on loopback.
        demo_sip = demo_server.prepare_phone(loaded.settings.sip, secrets)
        loaded = replace(loaded, settings=loaded.settings.model_copy(update={"sip": demo_sip}))
    try:
        if guard.received is not None:
            return 128 + guard.received
        return _sign_in_and_run(app, sync, demo_server, loaded=loaded, secrets=secrets, guard=guard)
    finally:
        if demo_server is not None:
            demo_server.stop()


def _sign_in_and_run(
    app: QApplication,
    sync: SyncSettings,
    demo_server: DemoServer | None,
    *,
    loaded: LoadedSettings | None = None,
    secrets: Secrets | None = None,
    guard: QuitOnSignal | None = None,
) -> int:
    from agent_app.foundation.config import Settings
    from agent_app.sync.auth_client import ServerAuthenticator
    from agent_app.sync.credentials import TokenVault
    from agent_app.sync.service import make_api, make_verifier, wipe_agent_store
    from agent_app.views import timing_probe
    from agent_app.views.login_dialog import LoginDialog
    from agent_app.views.main_window import MainWindow
    from agent_app.workflow.idle_lock import IdleLock

    settings = (loaded.settings if loaded is not None else Settings()).model_copy(
        update={"sync": sync}
    )
    secrets = secrets or HelperSecrets()
    workstation = device_id()
    api = make_api(settings, device_id=workstation, secrets=secrets)
    vault = TokenVault(secrets)
    verifier = make_verifier(settings, secrets)
    authenticate = ServerAuthenticator(
        api,
        vault=vault,
        verifier=verifier,
        on_wipe=lambda agent: wipe_agent_store(agent, secrets=secrets, workstation_id=workstation),
    )
    tray: QSystemTrayIcon | None = None
    try:
        # Signing out comes back here: the sign-in window again, in the same process.
        while True:
            dialog = LoginDialog(
                authenticate, sync.server_url, change_password=authenticate.change_password
            )
            if demo_server is not None:
                dialog.offer_demo_account(demo_server.agent, demo_server.password)
            timing_probe.mark_first_frame(dialog, "login_shown")
            accepted = dialog.exec() == LoginDialog.DialogCode.Accepted
            result = dialog.result_value
            dialog.deleteLater()
            if not accepted or result is None:
                log.info("sign-in cancelled")
                return 0 if guard is None or guard.received is None else 128 + guard.received
            timing_probe.mark("signed_in")
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
            tray = tray or _tray(app)
            code = _run_desk(
                app,
                window,
                api,
                vault,
                verifier,
                secrets,
                settings,
                result,
                tray,
                loaded=loaded,
                guard=guard,
                demo_server=demo_server,
            )
            signed_out = window.signing_out and (guard is None or guard.received is None)
            window.deleteLater()
            if not signed_out:
                return code
            # The store is closed: the names it showed leave memory with it.
            forget_phi()
            log.info("agent %s signed out", result.agent_id)
    finally:
        api.close()


def _run_desk(  # noqa: PLR0917  (one call site: the parts of one sign-in)
    app: QApplication,
    window: MainWindow,
    api: ServerApi,
    vault: TokenVault,
    verifier: OfflineVerifier,
    secrets: Secrets,
    settings: Settings,
    result: LoginResult,
    tray: QSystemTrayIcon | None,
    *,
    loaded: LoadedSettings | None,
    guard: QuitOnSignal | None,
    demo_server: DemoServer | None = None,
) -> int:
    """One signed-in shift: sync, the phone and the window, until the window closes."""
    from agent_app.views import timing_probe

    desktop = _start_sync(window, api, vault, verifier, secrets, settings, result)
    server_account = _server_account(loaded, secrets, desktop, offline=result.offline)
    phone = _start_phone(window, settings, secrets, desktop, tray, server_account=server_account)
    attach_offline_desk(window, desktop, phone, settings)
    if demo_server is not None and demo_server.ringer is not None:
        from agent_app.demo.desk import attach_demo_desk

        attach_demo_desk(window, phone, demo_server.ringer)
    heap.settle()
    # The benchmarks' "desk ready": the window's first frame and a phone that takes calls.
    timing_probe.mark_when(phone.line_changed, "phone_ready", lambda line: bool(line.ready))
    timing_probe.mark_first_frame(window, "desk_shown")
    window.show()
    try:
        return app.exec() if guard is None else guard.exec(app)
    finally:
        # The phone first: stopping it journals the last state change through the store.
        phone.stop()
        if desktop is not None:
            desktop.stop()


def attach_offline_desk(
    window: MainWindow, desktop: DesktopSync | None, phone: DeskPhone, settings: Settings
) -> None:
    """The banner, refused items, My day, the offline lock and revoke; Retry on the phone."""
    from agent_app.views.phone_retry import PhoneRetryButton

    PhoneRetryButton(phone, window.status, window.status.registration)
    if desktop is None:
        return
    from agent_app.views.offline_desk import OfflineDesk

    offline = OfflineDesk(
        window,
        desktop,
        max_offline_hours=settings.sync.max_offline_hours,
        stop_phone=phone.stop,
    )
    offline.sign_out_requested.connect(window.sign_out)


# -- the phone ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneAccount:
    """The SIP account the desk registers, or why there is none."""

    spec: AccountSpec | None
    source: str = ""
    """Where it came from: "settings" (the [sip] section, IT's machine file first) or
    "server" (handed out at sign-in)."""
    problem: str = ""
    """Why there is no account, for the status bar's tooltip (no secrets in it)."""


def server_supplied_account() -> AccountSpec | None:
    """No account from a server (a desk started without one)."""
    return None


def _server_account(
    loaded: LoadedSettings | None,
    secrets: Secrets,
    desktop: DesktopSync | None,
    *,
    offline: bool,
) -> AccountSpec | None:
    """The account the server assigns this agent (asked once at an online sign-in, else the
    one kept from the last), with the configuration's PBX settings (decision 0024)."""
    from agent_app.sync.errors import SyncError
    from agent_app.sync.phone_account import (
        fetch_phone_account,
        sip_password_entry,
        sip_settings_for,
    )
    from agent_app.telephony.settings_bridge import account_spec

    if desktop is None or loaded is None:
        return None
    service = desktop.service
    try:
        if offline:
            account = service.store.phone_account()
        else:
            account = fetch_phone_account(service.session, secrets, service.store)
        if account is None:
            return None
        password = secrets.get(sip_password_entry(service.agent_id))
    except (SyncError, SecretStoreError) as exc:
        log.warning("phone account from the server not available: %s", exc)
        return None
    if password is None:
        log.warning(
            "agent %s: no SIP password in the keyring for the server's account", service.agent_id
        )
        return None
    return account_spec(sip_settings_for(loaded, account), _Password(password))


def choose_phone_account(
    sip: SipSettings,
    secrets: Any,
    server_account: Callable[[], AccountSpec | None] = server_supplied_account,
) -> PhoneAccount:
    """Which account the phone registers: the workstation's settings first, then the server's.

    The ``[sip]`` settings name an account when they have a user name and a registrar or
    a domain; they come from IT's machine-wide file first (a per-user file or a
    ``PULSE_SIP_*`` variable overrides it on a test bench). Its password is the keyring's;
    an account without a registrar takes direct calls and needs none. Otherwise the
    account the server handed out is used; without either the phone is "not configured".
    """
    from agent_app.secrets.errors import SecretStoreError
    from agent_app.telephony.settings_bridge import MissingSipPassword, account_spec

    if sip.username and (sip.registrar or sip.domain):
        try:
            return PhoneAccount(account_spec(sip, secrets), "settings")
        except MissingSipPassword as exc:
            if sip.registrar:
                return PhoneAccount(None, "settings", str(exc))
            return PhoneAccount(account_spec(sip, _NoPassword()), "settings")
        except SecretStoreError as exc:
            return PhoneAccount(None, "settings", f"the keyring could not be read ({exc})")
    supplied = server_account()
    if supplied is not None:
        return PhoneAccount(supplied, "server")
    return PhoneAccount(
        None,
        "",
        "no SIP account: set [sip] username and registrar, or sign in to a server that assigns one",
    )


class _NoPassword:
    def get(self, name: str) -> str | None:
        return ""


class _Password:
    def __init__(self, value: str) -> None:
        self._value = value

    def get(self, name: str) -> str | None:
        return self._value


def desk_settings(desk: AgentDeskSettings, account_id: str = "") -> DeskSettings:
    """The workflow's desk settings from the ``[desk]`` section."""
    from agent_app.workflow.agent_state import IncomingPolicy
    from agent_app.workflow.desk_settings import DeskSettings

    policy = (
        IncomingPolicy.RING_AND_DECLINE
        if desk.not_ready_calls == "ring_and_decline"
        else IncomingPolicy.BUSY_HERE
    )
    return DeskSettings(
        account_id=account_id,
        not_ready_policy=policy,
        ring_and_decline_s=desk.ring_and_decline_s,
        call_waiting=desk.call_waiting,
        auto_answer_s=desk.auto_answer_delay_s if desk.auto_answer else None,
    )


def not_ready_reasons(store: AgentStore | None) -> Sequence[NotReadyReason]:
    """The server's reason codes from the store when it has them, else the default list."""
    from agent_app.workflow.agent_state import NotReadyReason
    from agent_app.workflow.desk_settings import DEFAULT_NOT_READY_REASONS

    read = getattr(store, "not_ready_reasons", None)
    found: list[NotReadyReason] = []
    if callable(read):
        try:
            items = read()
        except Exception:  # the defaults keep the agent able to go Not ready
            log.exception("not-ready reasons could not be read from the store")
            items = []
        for item in items:
            code, label = getattr(item, "code", None), getattr(item, "label", None)
            if isinstance(code, str) and isinstance(label, str):
                limit = getattr(item, "limit_s", None)
                found.append(
                    NotReadyReason(
                        code, label, float(limit) if isinstance(limit, int | float) else None
                    )
                )
    return found or DEFAULT_NOT_READY_REASONS


class _StoreUnavailable:
    """Stands in for the store when it could not be opened: every use fails as a store
    failure, which the desk reports and survives."""

    def _fail(self) -> Any:
        from agent_app.store.errors import StoreClosedError

        raise StoreClosedError("the local store is not open")

    def enqueue(self, kind: str, payload: Any, *, call_id: str | None = None) -> str:
        return str(self._fail())

    def audit(self, action: str, *, patient_id: str | None, reason: str, result: str) -> str:
        return str(self._fail())

    def lookup(self, number: str) -> Sequence[str]:
        return list(self._fail())


def _tray(app: QApplication) -> QSystemTrayIcon | None:
    from PySide6.QtWidgets import QSystemTrayIcon

    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(app.windowIcon(), app)
    tray.setToolTip("Pulse")
    tray.show()
    return tray


def _start_phone(
    window: MainWindow,
    settings: Settings,
    secrets: Secrets,
    desktop: DesktopSync | None,
    tray: QSystemTrayIcon | None,
    *,
    server_account: AccountSpec | None = None,
) -> DeskPhone:
    """The agent's phone: engine, account, and the desk's session wired to the store."""
    from agent_app.store.errors import StoreError
    from agent_app.sync.clock import ServerClock
    from agent_app.telephony.protocol import AudioDevices
    from agent_app.telephony.settings_bridge import engine_config
    from agent_app.views.desk_phone import DeskPhone
    from agent_app.views.transfer_dialog import directory_entries

    choice = choose_phone_account(settings.sip, secrets, lambda: server_account)
    if choice.spec is None:
        log.warning("phone not configured: %s", choice.problem)
    else:
        log.info("phone account from %s (%s)", choice.source, choice.spec.account_id)
    store = desktop.service.store if desktop is not None else None
    missing = _StoreUnavailable()
    audio = settings.audio
    config = replace(
        engine_config(settings.sip),
        audio="devices",
        # The engine need not read (and validate) the settings again for its devices.
        audio_devices=AudioDevices(audio.microphone, audio.speaker, audio.ringer),
        stats_interval_s=1.0,
    )
    phone = DeskPhone.create(
        account=choice.spec,
        config=config,
        outbox=desktop.service if desktop is not None else missing,
        audit=store.journal.audit if store is not None else missing.audit,
        lookup=(
            (lambda number: [r.id for r in store.caller_lookup(number)])
            if store is not None
            else missing.lookup
        ),
        reasons=not_ready_reasons(store),
        settings=replace(
            desk_settings(settings.desk, "" if choice.spec is None else choice.spec.account_id),
            default_campaign_id=first_inbound_campaign(store),
        ),
        server_now=(
            desktop.service.api.clock.now_iso if desktop is not None else ServerClock().now_iso
        ),
        not_configured=choice.problem,
        parent=window,
        journal=store.journal if store is not None else None,
        cache=(lambda: store.cache) if store is not None else None,
        on_journaled=desktop.service.engine.nudge if desktop is not None else None,
    )
    panel = window.attach_phone(phone, region=settings.desk.dial_region, tray=tray)
    if store is not None:
        from agent_app.views.patient_panel import PatientPanel

        panel.set_directory_source(lambda: directory_entries(store.directory(None)))
        window.set_patient_panel(PatientPanel(phone.session, store, window))
        from agent_app.views.script_panel import ScriptPanel

        window.set_script_panel(
            ScriptPanel.for_store(phone.session, store, agent_name=window.agent_name, parent=window)
        )
    if store is not None:
        _start_outbound(window, phone, desktop, settings)
    if store is not None:
        try:
            phone.session.restore_wrap_ups(store.journal.drafts())
        except StoreError as exc:
            log.error("unfinished after-call work not restored: %s", exc)
    phone.start()
    return phone


def _start_outbound(
    window: MainWindow, phone: DeskPhone, desktop: DesktopSync | None, settings: Settings
) -> None:
    """The calling rules at the desk's door, and the agent's first outbound campaign in the
    queue panel (leases from the server, the offline batch in the journal)."""
    from agent_app.foundation.paths import data_dir
    from agent_app.sync.api import ServerApi
    from agent_app.workflow.dial_rules import DialGate, shared_rules
    from agent_app.workflow.disposition import CacheReads
    from agent_app.workflow.outbound import (
        CampaignSession,
        ServerLeases,
        preview_seconds,
        voicemail_message,
    )

    if desktop is None:
        return
    store = desktop.service.store
    phone.session.gate = DialGate(
        lookup=lambda number: [r.id for r in store.caller_lookup(number)],
        reads=CacheReads(lambda: store.cache),
        rules=shared_rules,
        state=store.journal,
    )
    if window.queue is None:
        return
    messages = data_dir() / "messages"
    window.queue.set_message_source(
        lambda campaign_id: voicemail_message(
            phone.session.campaign_document(campaign_id), messages
        )
    )
    campaign = first_outbound_campaign(store)
    if campaign is None:
        return
    # The lease calls run on the queue panel's worker thread, on a connection of their own
    # with a short timeout: an unreachable server hands the agent to the offline batch
    # soon, rather than after the sync's longer one.
    api = desktop.service.api
    lease_api = ServerApi(
        api.base_url,
        device_id=api.device_id,
        timeout_s=min(settings.sync.timeout_s, LEASE_TIMEOUT_S),
        verify=settings.sync.ca_bundle or True,
        clock=api.clock,
    )
    window.destroyed.connect(lambda _obj=None: lease_api.close())
    leases = ServerLeases(lease_api, desktop.service.session.call)
    window.queue.set_session(
        CampaignSession(
            phone.session,
            leases,
            campaign,
            state=store.journal,
            # The campaign's own progressive countdown when it names one.
            preview_s=preview_seconds(campaign),
            runner=window.queue.run_request,
        )
    )


LEASE_TIMEOUT_S = 3.0
"""The longest the desk waits for the next patient before working from the offline batch."""


def first_outbound_campaign(store: AgentStore) -> dict[str, Any] | None:
    """The agent's first preview or progressive campaign in the cache."""
    from agent_app.store.errors import StoreError

    try:
        campaigns = store.cache.documents("campaigns")
    except StoreError as exc:
        log.warning("campaigns not read for outbound (%s)", type(exc).__name__)
        return None
    found = [c for c in campaigns if c.get("kind") in ("preview", "progressive") and c.get("id")]
    return found[0] if found else None


def first_inbound_campaign(store: AgentStore | None) -> str | None:
    """The desk's default campaign: the agent's first inbound campaign in the cache."""
    if store is None:
        return None
    from agent_app.store.errors import StoreError

    try:
        campaigns = store.cache.documents("campaigns")
    except StoreError as exc:
        log.warning("campaigns not read for the default campaign (%s)", type(exc).__name__)
        return None
    inbound = [str(c["id"]) for c in campaigns if c.get("kind") == "inbound" and c.get("id")]
    return inbound[0] if inbound else None


def _start_sync(  # noqa: PLR0917  (one call site, all parts of one sign-in)
    window: MainWindow,
    api: ServerApi,
    vault: TokenVault,
    verifier: OfflineVerifier,
    secrets: Secrets,
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
        # A session the server ends mid-shift asks for the password; the new tokens reach the
        # keyring through the lock screen's sign-in and the next round sends the queue.
        desktop.relay.status_changed.connect(window.follow_sync_status)
        window.lock_screen.unlocked.connect(lambda _result: service.engine.nudge())
        service.tracker.reached_server()
    else:
        service.tracker.lost_server("signed in offline")
        window.status.showMessage(
            "Signed in OFFLINE: the server cannot be reached. Patients and scripts come from "
            "this workstation; your work is queued and sent when the server is back."
        )
    desktop.start()
    return desktop
