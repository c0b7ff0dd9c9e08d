"""``pulse-agent sync``: one sync round or the sync status, from a shell, without a window.

Credentials are those the last sign-in left in the keyring (``--agent`` picks another agent
who signed in on this workstation). For IT and tests, ``--login USER --password-env VAR``
signs in first with the password read from the environment variable ``VAR`` (never from
the command line, where other users could read it).

Exit codes: 0 done, 2 bad usage or configuration, 3 server unreachable (work stays queued),
4 sign-in needed, 5 workstation revoked, 6 the store is in use or unreadable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent_app.foundation.config import Settings
    from agent_app.store.agent_store import AgentStore
    from agent_app.sync.api import ServerApi
    from agent_app.sync.credentials import TokenVault

EXIT_OK, EXIT_USAGE, EXIT_OFFLINE, EXIT_SIGN_IN, EXIT_REVOKED, EXIT_STORE = 0, 2, 3, 4, 5, 6

log = logging.getLogger(__name__)


DESCRIPTION = "Sync this workstation with the Pulse server (one round, or the status)."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulse-agent sync", description=DESCRIPTION)
    add_arguments(parser)
    return parser


def register_sync_command(subcommands: Any) -> None:
    """Add ``sync`` to ``pulse-agent``'s subcommands (``run`` is what main calls)."""
    parser = subcommands.add_parser("sync", help=DESCRIPTION, description=DESCRIPTION)
    add_arguments(parser)
    parser.set_defaults(run=run_parsed)


def run_parsed(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except _Exit as exc:
        print(f"pulse-agent sync: {exc}", file=sys.stderr)
        return exc.code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--once", action="store_true", help="push the outbox, pull the feeds")
    action.add_argument("--status", action="store_true", help="show the sync status")
    parser.add_argument("--agent", help="the agent whose store and tokens to use")
    parser.add_argument("--login", metavar="USER", help="sign in as USER first")
    parser.add_argument(
        "--password-env",
        metavar="VAR",
        default="PULSE_PASSWORD",
        help="environment variable holding the --login password (default PULSE_PASSWORD)",
    )
    parser.add_argument("--push-only", action="store_true", help="with --once: skip the pull")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


class _Exit(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _when(moment: float | None) -> str:
    if moment is None:
        return "never"
    return datetime.fromtimestamp(moment).astimezone().isoformat(timespec="seconds")


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    for key, value in result.items():
        shown = value
        if key in ("last_success", "offline_since") and not isinstance(value, str):
            shown = _when(value)
        print(f"{key:<16} {shown}")


def main(argv: list[str]) -> int:
    return run_parsed(build_parser().parse_args(argv))


def _run(args: argparse.Namespace) -> int:
    from agent_app.foundation.config import ConfigError
    from agent_app.foundation.device import device_id
    from agent_app.foundation.startup import prepare
    from agent_app.secrets.errors import SecretStoreError
    from agent_app.secrets.store import SecretStore
    from agent_app.sync.credentials import TokenVault
    from agent_app.sync.service import make_api

    try:
        settings = prepare(stderr_logging=False).settings
        secrets = SecretStore()
    except (ConfigError, SecretStoreError) as exc:
        raise _Exit(EXIT_USAGE, str(exc)) from None
    vault = TokenVault(secrets)
    api = make_api(settings, device_id=device_id(), secrets=secrets)
    try:
        agent = args.agent or args.login or vault.last_agent()
        if args.login:
            agent = _login(args, api, vault, secrets, settings)
        if not agent:
            raise _Exit(
                EXIT_SIGN_IN,
                "no agent has signed in on this workstation; use --login USER --password-env VAR",
            )
        if args.status:
            _print(_status(agent, secrets, settings), args.json)
            return EXIT_OK
        return _once(args, agent, api=api, vault=vault, secrets=secrets, settings=settings)
    finally:
        api.close()


def _login(
    args: argparse.Namespace, api: ServerApi, vault: TokenVault, secrets: Any, settings: Settings
) -> str:
    from agent_app.sync.auth_client import ServerAuthenticator
    from agent_app.sync.login import LoginError
    from agent_app.sync.service import make_verifier

    password = os.environ.get(args.password_env)
    if not password:
        raise _Exit(EXIT_USAGE, f"--login needs the password in ${args.password_env}")
    authenticate = ServerAuthenticator(api, vault=vault, verifier=make_verifier(settings, secrets))
    try:
        result = authenticate(args.login, password)
    except LoginError as exc:
        raise _Exit(EXIT_SIGN_IN, str(exc)) from None
    if result.offline:
        raise _Exit(EXIT_OFFLINE, "offline: the server cannot be reached")
    return result.agent_id


def _open_store(agent: str, secrets: Any, settings: Settings) -> AgentStore:
    from agent_app.foundation.device import device_id
    from agent_app.store.agent_store import AgentStore
    from agent_app.store.errors import StoreError, StoreInUseError

    try:
        return AgentStore.open(
            agent_id=agent,
            workstation_id=device_id(),
            secrets=secrets,
            max_offline_hours=settings.sync.max_offline_hours,
            remember_agent=False,
        )
    except StoreInUseError:
        raise _Exit(EXIT_STORE, "Pulse is running for this agent and syncs by itself") from None
    except StoreError as exc:
        raise _Exit(EXIT_STORE, str(exc)) from None


def _once(
    args: argparse.Namespace,
    agent: str,
    *,
    api: ServerApi,
    vault: TokenVault,
    secrets: Any,
    settings: Settings,
) -> int:
    from agent_app.store.errors import StoreError
    from agent_app.sync.errors import DeviceRevoked, NotSignedIn, ServerUnreachable, SyncError
    from agent_app.sync.service import SyncService, make_verifier

    store = _open_store(agent, secrets, settings)
    try:
        service = SyncService(
            api=api,
            vault=vault,
            store=store,
            agent_id=agent,
            verifier=make_verifier(settings, secrets),
        )
        code, error, out = EXIT_OK, None, {}
        try:
            report = service.sync_once(pull=not args.push_only)
            out = {
                "acknowledged": report.push.acknowledged,
                "parked_now": report.push.parked,
                "pages": report.pull.pages if report.pull else 0,
                "duration_s": round(report.duration_s, 3),
            }
        except ServerUnreachable as exc:
            code, error = EXIT_OFFLINE, f"offline: {exc}"
        except NotSignedIn:
            code, error = EXIT_SIGN_IN, "sign-in needed: run with --login"
        except DeviceRevoked as exc:
            code, error = EXIT_REVOKED, f"revoked: {exc}"
        except SyncError as exc:
            code, error = EXIT_OFFLINE, f"failed: {exc}"
        result: dict[str, Any] = {"agent": agent, **service.tracker.status.as_dict(), **out}
        if error:
            result["error"] = error
            print(f"pulse-agent sync: {error}", file=sys.stderr)
        _print(result, args.json)
        return code
    finally:
        with contextlib.suppress(StoreError):
            store.close()


def _status(agent: str, secrets: Any, settings: Settings) -> dict[str, Any]:
    from agent_app.store.errors import StoreError
    from agent_app.sync.service import state_file
    from agent_app.sync.status import StatusTracker

    status = StatusTracker(state_file(agent)).status
    out: dict[str, Any] = {
        "agent": agent,
        "server": settings.sync.server_url,
        "last_success": status.last_success,
        "offline_since": status.offline_since,
    }
    try:
        store = _open_store(agent, secrets, settings)
    except _Exit as exc:
        out["queued"] = f"unknown ({exc})"
        return out
    try:
        counts = store.journal.counts()
        out.update(
            queued=counts.pending + counts.in_flight,
            parked=counts.parked,
            parked_items=[
                {"id": p.id, "kind": p.kind, "reason": p.reason} for p in store.journal.parked()
            ],
        )
    finally:
        with contextlib.suppress(StoreError):
            store.close()
    return out
