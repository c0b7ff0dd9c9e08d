"""``pulse-agent enrol``: IT enrols this workstation with the server, from a shell (one command
per machine in a mass deployment).

It makes the workstation's Ed25519 key pair, keeps the private key in the OS keyring and
registers the public key with a one-time code from ``pulse-server enrolment-code create``
(read from standard input, or the variable named by ``--code-env``: never from the command
line, where other users could read it). ``--request`` registers without a code instead; the
workstation then waits for an admin's approval.

Exit codes: 0 enrolled (or request filed), 2 bad usage or configuration, 3 server
unreachable, 4 the server refused (wrong, used or expired code; already enrolled).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from typing import Any

EXIT_OK, EXIT_USAGE, EXIT_OFFLINE, EXIT_REFUSED = 0, 2, 3, 4
DESCRIPTION = "Enrol this workstation with the Pulse server (IT's one-time code)."


def register_enrol_command(subcommands: Any) -> None:
    parser = subcommands.add_parser("enrol", help=DESCRIPTION, description=DESCRIPTION)
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--code-env", metavar="VAR", help="read the code from this variable")
    how.add_argument("--request", action="store_true", help="no code: ask for an admin's approval")
    parser.add_argument("--name", help="a name for this workstation (default: the host name)")
    parser.set_defaults(run=run_parsed)


class _Exit(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def run_parsed(args: argparse.Namespace) -> int:
    try:
        print(_enrol(args))
    except _Exit as exc:
        print(f"pulse-agent enrol: {exc}", file=sys.stderr)
        return exc.code
    return EXIT_OK


def _code(args: argparse.Namespace) -> str | None:
    """IT's code, from the named variable or standard input; None with ``--request``."""
    if args.request:
        return None
    code = os.environ.get(args.code_env, "") if args.code_env else sys.stdin.readline()
    if not code.strip():
        raise _Exit(EXIT_USAGE, "no enrolment code given")
    return code.strip()


def _enrol(args: argparse.Namespace) -> str:
    from agent_app.foundation.config import ConfigError
    from agent_app.foundation.device import device_id
    from agent_app.foundation.startup import prepare
    from agent_app.secrets.device_key import DeviceKey
    from agent_app.secrets.errors import SecretStoreError
    from agent_app.secrets.store import SecretStore
    from agent_app.sync.errors import RequestRejected, ServerUnreachable, SyncError
    from agent_app.sync.service import make_api

    code = _code(args)
    try:
        settings = prepare(stderr_logging=False).settings
        secrets = SecretStore()
        workstation = device_id()
    except (ConfigError, SecretStoreError) as exc:
        raise _Exit(EXIT_USAGE, str(exc)) from None
    key = DeviceKey.generate()
    api = make_api(settings, device_id=workstation)
    try:
        status = api.enrol(key, code=code, name=args.name or platform.node())
    except ServerUnreachable as exc:
        raise _Exit(EXIT_OFFLINE, f"server unreachable ({exc})") from None
    except SyncError as exc:
        reason = exc.reason if isinstance(exc, RequestRejected) else type(exc).__name__
        raise _Exit(EXIT_REFUSED, f"refused: {reason}") from None
    finally:
        api.close()
    try:
        # Kept only now: a refused enrolment leaves an earlier, working key in place.
        key.save(secrets)
    except SecretStoreError as exc:
        raise _Exit(EXIT_USAGE, f"the key could not be kept: {exc}") from None
    if status == "pending":
        return f"workstation {workstation} is waiting for an admin's approval"
    return f"workstation {workstation} is enrolled"
