"""``pulse-agent cache status|verify|rekey|wipe``: the encrypted store from IT's shell.

The commands use the same keyring as the app (they need the agent's desktop session)
and, by default, the files of the last agent who signed in on this workstation
(``--agent`` picks another). They print ids, counts and sizes, never patient data, and
refuse to run while Pulse itself holds the files.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from agent_app.store.errors import StoreError, StoreInUseError
from agent_app.store.layout import StoreLayout, last_agent

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_KEYRING = 3
EXIT_IN_USE = 4


def register_cache_commands(subparsers: Any) -> None:
    """Add ``cache`` and its subcommands to ``pulse-agent``'s subparsers."""
    parser = subparsers.add_parser(
        "cache", help="inspect and maintain this workstation's encrypted patient store"
    )
    parser.add_argument(
        "--agent", help="agent id whose files to use (default: the last agent who signed in)"
    )
    commands = parser.add_subparsers(dest="cache_command", required=True, metavar="COMMAND")
    commands.add_parser("status", help="counts, schema versions, sizes, last sync (JSON)")
    verify = commands.add_parser("verify", help="check keys and every page of both files")
    verify.add_argument(
        "--repair",
        action="store_true",
        help="set a damaged or unkeyable cache aside (it is rebuilt at the next sync)",
    )
    rekey = commands.add_parser("rekey", help="rotate the store keys in the keyring")
    rekey.add_argument("--store", choices=("cache", "journal", "both"), default="both")
    wipe = commands.add_parser("wipe", help="delete the cache (and, with --journal, the journal)")
    wipe.add_argument("--journal", action="store_true", help="also delete the journal")
    wipe.add_argument(
        "--discard-unsynced",
        action="store_true",
        help="delete the journal even though the server has not received all of it",
    )
    parser.set_defaults(run=run_cache_command)


def _fail(message: str, code: int) -> int:
    print(f"pulse-agent cache: {message}", file=sys.stderr)
    return code


def run_cache_command(args: argparse.Namespace) -> int:  # noqa: PLR0911 - an exit code per cause
    from agent_app.foundation.config import ConfigError, load_settings
    from agent_app.foundation.device import device_id
    from agent_app.secrets.errors import InsecureKeyringError, SecretStoreError
    from agent_app.secrets.store import SecretStore
    from agent_app.store.agent_store import AgentStore

    try:
        settings = load_settings().settings
    except ConfigError as exc:
        return _fail(str(exc), EXIT_USAGE)
    agent_id = args.agent or last_agent()
    if not agent_id:
        return _fail("no agent has signed in on this workstation; name one with --agent", 2)
    layout = StoreLayout.for_agent(agent_id)
    if not (layout.cache.exists() or layout.journal.exists()):
        return _fail(f"no store for agent {agent_id} in {layout.directory}", EXIT_PROBLEM)
    try:
        secrets = SecretStore()
    except InsecureKeyringError as exc:
        return _fail(str(exc), EXIT_KEYRING)

    command: str = args.cache_command
    try:
        store = AgentStore.open(
            agent_id=agent_id,
            workstation_id=device_id(),
            secrets=secrets,
            max_offline_hours=settings.sync.max_offline_hours,
            verify="full" if command == "verify" else "none",
            repair_cache=command == "wipe" or (command == "verify" and args.repair),
            remember_agent=False,
        )
    except StoreInUseError as exc:
        return _fail(f"{exc}", EXIT_IN_USE)
    except SecretStoreError as exc:
        return _fail(str(exc), EXIT_KEYRING)
    except StoreError as exc:
        hint = " (run `pulse-agent cache verify --repair` to set the cache aside)"
        return _fail(f"{type(exc).__name__}: {exc}{hint if 'cache' in str(exc) else ''}", 1)

    try:
        return _run(command, args, store)
    except StoreError as exc:
        return _fail(f"{type(exc).__name__}: {exc}", EXIT_PROBLEM)
    finally:
        store.close()


def _run(command: str, args: argparse.Namespace, store: Any) -> int:
    if command == "status":
        print(json.dumps(store.status(), indent=2, sort_keys=True))
        return EXIT_OK
    if command == "verify":
        report = store.report
        if report.cache_rebuilt:
            print(f"cache: {report.cache_rebuilt}; set aside as {report.cache_set_aside.name}")
            print("cache: an empty one replaces it and fills at the next sync")
        else:
            print("cache: ok (key opens it, every page authenticated)")
        print("journal: ok (key opens it, every page authenticated)")
        counts = store.journal.counts()
        print(f"journal: {counts.unsynced} entries not yet acknowledged ({counts.parked} parked)")
        return EXIT_OK
    if command == "rekey":
        for which in ("cache", "journal") if args.store == "both" else (args.store,):
            store.rekey(which)
            print(f"{which}: key rotated")
        return EXIT_OK
    # wipe
    store.wipe_cache()
    print("cache: wiped (files and key); it is rebuilt from the server at the next sign-in")
    if args.journal:
        store.wipe_journal(discard_unsynced=args.discard_unsynced)
        print("journal: wiped (files and key)")
    return EXIT_OK
