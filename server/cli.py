"""``pulse-server``: serve, db upgrade, seed-demo, demo, create-user, assign-extension,
remove-extension, create, import-patients, dispositions, audit verify, purge, openapi."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.settings import ServerSettings, SettingsError, load_settings, sqlite_url

log = logging.getLogger("pulse.server")


def _settings(args: argparse.Namespace) -> ServerSettings:
    overrides: dict[str, Any] = {}
    for name in (
        "database_url",
        "data_dir",
        "host",
        "port",
        "workers",
        "tls_certfile",
        "tls_keyfile",
        "insecure_http",
    ):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = str(value) if isinstance(value, Path) else value
    return load_settings(getattr(args, "config", None), **overrides)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML settings file (or PULSE_SERVER_CONFIG)")
    parser.add_argument(
        "--database-url", dest="database_url", help="SQLAlchemy URL (or PULSE_SERVER_DATABASE_URL)"
    )
    parser.add_argument(
        "--data-dir",
        dest="data_dir",
        type=Path,
        help="directory of the SQLite default and the signing key",
    )


def _serve_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--tls-certfile", dest="tls_certfile", type=Path)
    parser.add_argument("--tls-keyfile", dest="tls_keyfile", type=Path)
    parser.add_argument(
        "--insecure-http",
        dest="insecure_http",
        action="store_true",
        default=None,
        help="allow plain HTTP on an address other than loopback (PHI would cross the network "
        "unencrypted; only behind a TLS-terminating proxy on a trusted network)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulse-server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server (migrates the database first)")
    _common(serve)
    _serve_args(serve)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply migrations up to the newest")
    _common(upgrade)

    seed = sub.add_parser("seed-demo", help="build the synthetic demo world (idempotent)")
    _common(seed)
    _seed_args(seed)

    demo = sub.add_parser("demo", help="seed the demo world if empty, then serve it")
    _common(demo)
    _serve_args(demo)
    _seed_args(demo)
    demo.add_argument(
        "--credentials-file",
        type=Path,
        help="also write the demo agent's sign-in (JSON, owner-only) here, for the desktop's demo",
    )

    user = sub.add_parser("create-user", help="create an agent, supervisor or admin")
    _common(user)
    user.add_argument("username")
    user.add_argument("--display-name", required=True)
    user.add_argument("--role", choices=["agent", "supervisor", "admin"], default="agent")
    user.add_argument("--password", help="read from standard input when omitted")

    ext = sub.add_parser(
        "assign-extension",
        help="give a user a phone extension (SIP account); the password never goes in argv",
    )
    _common(ext)
    ext.add_argument("user", help="the user's username (or id)")
    ext.add_argument("--username", dest="sip_username", required=True, help="SIP user, e.g. 1001")
    ext.add_argument("--domain", required=True, help="SIP domain of the account")
    ext.add_argument("--registrar", help="host[:port] of the PBX registrar (default: the domain)")
    ext.add_argument("--transport", choices=["udp", "tcp", "tls"], default="udp")
    ext.add_argument(
        "--password-env",
        metavar="VAR",
        help="read the SIP password from this environment variable (else from standard input)",
    )

    unext = sub.add_parser("remove-extension", help="take a user's phone extension away")
    _common(unext)
    unext.add_argument("user", help="the user's username (or id)")

    _account_args(sub)

    make = sub.add_parser(
        "create", help="create a script, code tree or campaign from a JSON file (the API's body)"
    )
    _common(make)
    make.add_argument("kind", choices=["script", "code-tree", "campaign"])
    make.add_argument("file", type=Path)
    make.add_argument("--id", dest="object_id", help="publish a new version of this one instead")

    imp = sub.add_parser("import-patients", help="import patients from CSV or a FHIR R4 Bundle")
    _common(imp)
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=["csv", "fhir"], required=True)
    imp.add_argument("--campaign-id")
    imp.add_argument("--list-name", default="default")

    _dispositions_args(
        sub.add_parser(
            "dispositions",
            help="list the newest dispositions (or other items) the workstations sent, no PHI",
        )
    )

    _maintenance_args(sub)

    api = sub.add_parser("openapi", help="write the OpenAPI document")
    api.add_argument("--output", type=Path, default=Path(__file__).parent / "openapi.json")
    return parser


def _maintenance_args(sub: Any) -> None:
    trail = sub.add_parser("audit", help="the audit trail")
    trail_sub = trail.add_subparsers(dest="audit_command", required=True)
    verify = trail_sub.add_parser(
        "verify", help="check the audit hash chain; name the first broken row (exit 1)"
    )
    _common(verify)

    purge = sub.add_parser(
        "purge", help="delete expired sign-in sessions and tombstones past the retention"
    )
    _common(purge)


def _dispositions_args(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument(
        "--kind",
        choices=["disposition", "call_record", "callback", "audit", "agent_state"],
        default="disposition",
    )
    parser.add_argument("--agent", help="only this agent's (username or id)")
    parser.add_argument("--limit", type=int, default=20, help="at most this many (newest first)")
    parser.add_argument("--json", action="store_true", help="one JSON object a line")


def _account_args(sub: Any) -> None:
    """Commands over accounts and workstations."""
    for command, what in (
        ("disable-user", "stop a user signing in; their sessions and tokens end at once"),
        ("enable-user", "let a disabled user sign in again"),
        ("reset-password", "set a temporary password the user must change at next sign-in"),
        ("unlock-user", "clear a user's failed sign-ins and lock"),
    ):
        account = sub.add_parser(command, help=what)
        _common(account)
        account.add_argument("user", help="the user's username (or id)")
        if command == "reset-password":
            account.add_argument(
                "--password-env",
                metavar="VAR",
                help="read the temporary password from this variable (else standard input)",
            )
    codes = sub.add_parser("enrolment-code", help="one-time codes that enrol workstations")
    codes_sub = codes.add_subparsers(dest="code_command", required=True)
    create_code = codes_sub.add_parser("create", help="create a code (printed once)")
    _common(create_code)
    create_code.add_argument(
        "--expires", default="1h", help="how long it is valid: 90s, 30m, 1h, 2d (default 1h)"
    )


def _seed_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--agent-password", help="password of the demo agent 'demo'")
    parser.add_argument("--admin-password", help="password of the demo admin 'admin'")
    parser.add_argument("--extra-agents", type=int, default=0, help="agent0000.. in the demo team")


def announce_caps(rt: Any) -> int:
    """Put the settings' exemption caps on every exempt campaign that carries others (a new
    version each, so that a change of the settings reaches every desk); returns how many."""
    from server import content
    from server.outbound import caps_of

    with rt.sessions() as session, session.begin():
        changed: int = content.announce_caps(session, caps_of(rt.settings))
    if changed:
        print(f"pulse-server: exemption caps sent with {changed} campaign(s)", file=sys.stderr)
    return changed


def _runtime(settings: ServerSettings) -> Any:
    from server.db import upgrade
    from server.runtime import Runtime

    upgrade(settings.resolved_database_url())
    return Runtime.build(settings)


def _seed(settings: ServerSettings, args: argparse.Namespace) -> None:
    from server.seed import DEMO_CASES, seed_demo

    rt = _runtime(settings)
    world = seed_demo(
        rt.sessions,
        patients=args.patients,
        agent_password=args.agent_password,
        admin_password=args.admin_password,
        extra_agents=args.extra_agents,
        sip_box=rt.sip_box,
    )
    announce_caps(rt)  # the world's campaigns carry this server's caps from the start
    rt.close()
    credentials_file: Path | None = getattr(args, "credentials_file", None)
    if credentials_file is not None:
        _write_private(
            credentials_file,
            json.dumps(
                {
                    "username": world.agent_username,
                    "password": world.agent_password,
                    # The kinds of call the desktop's demo caller places, in turn.
                    "cases": [
                        {"key": case.key, "title": case.title, "number": case.number}
                        for case in DEMO_CASES
                    ],
                }
            ),
        )
    print(
        json.dumps(
            {
                "demo_agent": {"username": world.agent_username, "password": world.agent_password},
                "admin": {"username": world.admin_username, "password": world.admin_password},
                "patients": world.patients,
                "campaign_ids": list(world.campaign_ids),
                "database": _safe_url(settings.resolved_database_url()),
            }
        ),
        flush=True,
    )


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _transport_refusal(settings: ServerSettings) -> str | None:
    """Why the server must not start as configured (HIPAA 164.312(e)), or None; warns when the
    operator chose plain HTTP off loopback."""
    if settings.tls_certfile or _is_loopback(settings.host):
        return None
    if not settings.insecure_http:
        return (
            f"refusing plain HTTP on {settings.host}: PHI and tokens would cross the network "
            "unencrypted; give --tls-certfile/--tls-keyfile, listen on 127.0.0.1 behind a "
            "TLS proxy, or pass --insecure-http"
        )
    log.warning(
        "serving plain HTTP on %s (--insecure-http): traffic is unencrypted unless a "
        "TLS-terminating proxy is in front",
        settings.host,
    )
    return None


# Settings that are secrets: handed to the workers in an owner-only file, never exported into
# their environment (which other processes of the account can read).
_SECRET_SETTINGS = ("database_url", "secret_key", "sip_secret_key")


def _hand_settings_to_workers(settings: ServerSettings) -> None:
    """Workers re-read the settings (uvicorn starts them afresh): what the command line chose
    goes into the environment, the secrets into ``serve-settings.toml`` in the data directory."""
    from server.private_files import replace_private

    secret_lines = []
    for name, value in settings.model_dump().items():
        if name in _SECRET_SETTINGS:
            os.environ.pop(f"PULSE_SERVER_{name.upper()}", None)
            secret_lines.append(f"{name} = {json.dumps(value)}")
            continue
        text = ",".join(value) if isinstance(value, tuple) else str(value)
        os.environ[f"PULSE_SERVER_{name.upper()}"] = text
    handed = settings.resolved_data_dir() / "serve-settings.toml"
    replace_private(handed, "\n".join(secret_lines) + "\n")
    os.environ["PULSE_SERVER_CONFIG"] = str(handed)


def _serve(settings: ServerSettings) -> int:
    import uvicorn

    from server.db import upgrade

    refusal = _transport_refusal(settings)
    if refusal is not None:
        print(f"pulse-server: {refusal}", file=sys.stderr)
        return 2

    upgrade(settings.resolved_database_url())
    settings.resolved_secret_key()  # created once, before workers race for it
    rt = _runtime(settings)
    try:
        announce_caps(rt)  # once, before the workers: the desks receive this server's caps
    finally:
        rt.close()
    kwargs: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "access_log": False,
        "log_level": "info",
        "proxy_headers": False,
    }
    if settings.tls_certfile:
        kwargs["ssl_certfile"] = settings.tls_certfile
        kwargs["ssl_keyfile"] = settings.tls_keyfile or None
    _hand_settings_to_workers(settings)
    print(
        f"pulse-server listening on {'https' if settings.tls_certfile else 'http'}://"
        f"{settings.host}:{settings.port}",
        flush=True,
    )
    uvicorn.run("server.app:app_factory", factory=True, **kwargs)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "openapi":
            from server.openapi import write_openapi

            write_openapi(args.output)
            print(f"wrote {args.output}")
            return 0
        if args.command == "demo" and getattr(args, "data_dir", None) and not args.database_url:
            args.database_url = sqlite_url(Path(args.data_dir))
        settings = _settings(args)
        if args.command == "db":
            from server.db import upgrade

            upgrade(settings.resolved_database_url())
            print(f"database at {_safe_url(settings.resolved_database_url())} is up to date")
        elif args.command == "seed-demo":
            _seed(settings, args)
        elif args.command == "demo":
            # The demo's own desk and its demo caller sign in unenrolled: a synthetic world,
            # never a real one, so enrolment is switched off explicitly and said so.
            settings = settings.model_copy(update={"require_enrolment": False})
            log.warning(
                "demo: workstation enrolment is OFF (require_enrolment = false); "
                "never serve real patients with the demo command"
            )
            _seed(settings, args)
            return _serve(settings)
        elif args.command == "serve":
            return _serve(settings)
        elif args.command in _ADMIN_COMMANDS:
            return _ADMIN_COMMANDS[args.command](settings, args)
    except SettingsError as exc:
        print(f"pulse-server: {exc}", file=sys.stderr)
        return 2
    return 0


def _create_user(settings: ServerSettings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from server import content, schemas

    password = args.password if args.password is not None else sys.stdin.readline().rstrip("\n")
    try:
        data = schemas.UserIn(
            username=args.username,
            display_name=args.display_name,
            role=args.role,
            password=password,
        )
    except ValidationError as exc:
        print(f"pulse-server: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    rt = _runtime(settings)
    try:
        with rt.sessions() as session, session.begin():
            user = content.create_user(session, data, actor_id=None)
    except content.ContentError as exc:
        print(f"pulse-server: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"id": user.id, "username": user.username, "role": user.role}))
    return 0


def _sip_password(args: argparse.Namespace) -> str | None:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            print(
                f"pulse-server: environment variable {args.password_env} is not set or empty",
                file=sys.stderr,
            )
            return None
        return value
    value = sys.stdin.readline().rstrip("\n")
    if not value:
        print("pulse-server: no SIP password on standard input", file=sys.stderr)
        return None
    return value


def _user_id(session: Any, name: str) -> str:
    from sqlalchemy import select

    from server.content import ContentError
    from server.models import User

    found = session.scalar(select(User.id).where(User.username == name))
    if found is None and session.get(User, name) is not None:
        found = name
    if found is None:
        raise ContentError(f"no user {name!r}", 404)
    return str(found)


def _assign_extension(settings: ServerSettings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from server import content, extensions, schemas
    from server.sip_secrets import SecretKeyError

    password = _sip_password(args)
    if password is None:
        return 2
    try:
        data = schemas.ExtensionIn(
            username=args.sip_username,
            domain=args.domain,
            registrar=args.registrar or args.domain,
            transport=args.transport,
            password=password,
        )
    except ValidationError as exc:
        # Never the input itself: it may be the password.
        first = exc.errors()[0]
        print(f"pulse-server: {first['loc']}: {first['msg']}", file=sys.stderr)
        return 2
    rt = _runtime(settings)
    try:
        with rt.sessions() as session, session.begin():
            user_id = _user_id(session, args.user)
            ext = extensions.assign(
                session=session, box=rt.sip_box, user_id=user_id, data=data, actor_id=None
            )
            out = {
                "user_id": user_id,
                "username": ext.sip_username,
                "domain": ext.domain,
                "registrar": ext.registrar,
                "transport": ext.transport,
                "password_version": ext.password_version,
            }
    except (content.ContentError, SecretKeyError) as exc:
        print(f"pulse-server: {exc}", file=sys.stderr)
        return 1
    finally:
        rt.close()
    print(json.dumps(out))
    return 0


def _remove_extension(settings: ServerSettings, args: argparse.Namespace) -> int:
    from server import content, extensions

    rt = _runtime(settings)
    try:
        with rt.sessions() as session, session.begin():
            user_id = _user_id(session, args.user)
            extensions.remove(session=session, user_id=user_id, actor_id=None)
    except content.ContentError as exc:
        print(f"pulse-server: {exc}", file=sys.stderr)
        return 1
    finally:
        rt.close()
    print(json.dumps({"user_id": user_id, "removed": True}))
    return 0


_ACCOUNT_ACTIONS = {
    "disable-user": "disable",
    "enable-user": "enable",
    "reset-password": "reset_password",
    "unlock-user": "unlock",
}


def _account(settings: ServerSettings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from server import content, schemas

    action = _ACCOUNT_ACTIONS[args.command]
    password: str | None = None
    if action == "reset_password":
        # Never in argv: other users of the machine can read a process's arguments.
        raw = (
            os.environ.get(args.password_env, "")
            if args.password_env
            else sys.stdin.readline().rstrip("\n")
        )
        try:
            password = schemas.PasswordResetIn(password=raw).password
        except ValidationError:
            print("pulse-server: the password needs at least 8 characters", file=sys.stderr)
            return 2
    rt = _runtime(settings)
    try:
        with rt.sessions() as session, session.begin():
            user_id = _user_id(session, args.user)
            content.account_action(session, user_id, action, actor_id=None, password=password)
    except content.ContentError as exc:
        print(f"pulse-server: {exc}", file=sys.stderr)
        return 1
    finally:
        rt.close()
    print(json.dumps({"user_id": user_id, "done": action}))
    return 0


def _duration_s(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    if text[-1:] in units and text[:-1].isdigit():
        return int(text[:-1]) * units[text[-1]]
    if text.isdigit():
        return int(text)
    raise ValueError(f"not a duration: {text!r} (for example 90s, 30m, 1h, 2d)")


def _enrolment_code(settings: ServerSettings, args: argparse.Namespace) -> int:
    from server import content, enrolment

    try:
        seconds = _duration_s(args.expires)
    except ValueError as exc:
        print(f"pulse-server: {exc}", file=sys.stderr)
        return 2
    rt = _runtime(settings)
    try:
        with rt.sessions() as session, session.begin():
            code, expires = enrolment.create_code(session, settings, seconds)
            content.audit(session, None, "enrolment_code.create", "enrolment_code", None)
    except enrolment.EnrolmentError as exc:
        print(f"pulse-server: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        rt.close()
    print(json.dumps({"code": code, "expires_at": expires.isoformat()}))
    return 0


def _create_content(settings: ServerSettings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from server import content, schemas
    from server.outbound import caps_of

    try:
        document = json.loads(args.file.read_text(encoding="utf-8"))
        if args.kind == "script":
            script = schemas.ScriptIn.model_validate(document)
        elif args.kind == "code-tree":
            tree = schemas.CodeTreeIn.model_validate(document)
        else:
            campaign = schemas.CampaignIn.model_validate(document)
    except (OSError, ValueError) as exc:
        detail = exc.errors()[0] if isinstance(exc, ValidationError) else exc
        print(f"pulse-server: cannot read {args.file}: {detail}", file=sys.stderr)
        return 2
    rt = _runtime(settings)
    try:
        with rt.sessions() as session, session.begin():
            if args.kind == "script":
                row: Any = content.save_script(
                    session, script, actor_id=None, script_id=args.object_id
                )
            elif args.kind == "code-tree":
                row = content.save_code_tree(session, tree, actor_id=None, tree_id=args.object_id)
            else:
                row = content.save_campaign(
                    session,
                    campaign,
                    actor_id=None,
                    campaign_id=args.object_id,
                    caps=caps_of(settings),
                )
            out = {"id": row.id, "version": row.version}
    except content.ContentError as exc:
        print(f"pulse-server: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out))
    return 0


def _import(settings: ServerSettings, args: argparse.Namespace) -> int:
    from server import content, importers

    try:
        text = args.file.read_text(encoding="utf-8-sig")
        parsed = (
            importers.parse_csv(text)
            if args.format == "csv"
            else importers.parse_fhir(json.loads(text))
        )
    except (OSError, ValueError) as exc:
        print(f"pulse-server: cannot import {args.file}: {exc}", file=sys.stderr)
        return 2
    rt = _runtime(settings)
    try:
        with rt.sessions() as session, session.begin():
            created, updated = importers.store(
                session,
                parsed,
                campaign_id=args.campaign_id,
                list_name=args.list_name,
                actor_id=None,
            )
    except content.ContentError as exc:
        print(f"pulse-server: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"created": created, "updated": updated, "errors": parsed.errors}))
    return 1 if parsed.errors else 0


# What a listed item shows: ids, codes and times; never names, numbers, notes or field values.
_LISTED_PAYLOAD_KEYS = (
    "code",
    "call_id",
    "callback_at",
    "state",
    "reason",
    "action",
    "direction",
    "sip_code",
)


def _dispositions(settings: ServerSettings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from server.api.sync import intake_out
    from server.content import ContentError
    from server.models import IntakeItem, User

    if not 1 <= args.limit <= 1000:
        print("pulse-server: --limit must be between 1 and 1000", file=sys.stderr)
        return 2
    # A listing for a person: the migration check's progress lines would only clutter it.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    rt = _runtime(settings)
    try:
        with rt.sessions() as session:
            query = select(IntakeItem).where(IntakeItem.kind == args.kind)
            if args.agent:
                query = query.where(IntakeItem.user_id == _user_id(session, args.agent))
            rows = list(
                session.scalars(
                    query.order_by(IntakeItem.received_at.desc(), IntakeItem.id).limit(args.limit)
                )
            )
            # .all(): a Result has keys() of its own, which dict() would take for a mapping's.
            names = dict(session.execute(select(User.id, User.username)).tuples().all())
            listed = [_listed(intake_out(row), names) for row in rows]
    except ContentError as exc:
        print(f"pulse-server: {exc}", file=sys.stderr)
        return 1
    finally:
        rt.close()
    if args.json:
        for item in listed:
            print(json.dumps(item))
        return 0
    if not listed:
        print(f"no {args.kind} items yet")
        return 0
    print("received_at           id                                    agent     code / what")
    for item in listed:
        what = " ".join(
            f"{key}={item[key]}" for key in _LISTED_PAYLOAD_KEYS if item.get(key) is not None
        )
        print(f"{item['received_at'][:19]:<21} {item['id']:<37} {item['agent']:<9} {what}")
    return 0


def _listed(out: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    payload = out["payload"]
    listed = {
        "id": out["id"],
        "kind": out["kind"],
        "agent": names.get(out["agent_id"], out["agent_id"]),
        "received_at": out["received_at"],
        "created_at": out["created_at"],
        "campaign_id": out["campaign_id"],
        "patient_id": out["patient_id"],
    }
    listed.update({key: payload[key] for key in _LISTED_PAYLOAD_KEYS if key in payload})
    return listed


def _audit_verify(settings: ServerSettings, args: argparse.Namespace) -> int:
    from server import audit

    logging.getLogger("alembic").setLevel(logging.WARNING)
    rt = _runtime(settings)
    try:
        with rt.sessions() as session, session.begin():
            report = audit.verify_chain(session)
        with rt.sessions() as session, session.begin():
            # Checking the trail reads it: that read is itself on the record.
            audit.audit(
                session,
                "audit.verify",
                target_type="audit",
                detail={"rows": report.rows, "ok": report.ok},
            )
    finally:
        rt.close()
    if report.ok:
        print(f"audit chain intact: {report.rows} rows, head {report.head_hash}")
        return 0
    print(
        f"audit chain broken at position {report.broken_position}"
        + (f" (row id {report.broken_id})" if report.broken_id is not None else "")
        + f": {report.reason}; the {report.rows} rows before it are intact",
        file=sys.stderr,
    )
    return 1


def _purge(settings: ServerSettings, args: argparse.Namespace) -> int:
    from server.purge import purge

    logging.getLogger("alembic").setLevel(logging.WARNING)
    rt = _runtime(settings)
    try:
        done = purge(rt.sessions, settings)
    finally:
        rt.close()
    print(json.dumps(done.as_dict()))
    return 0


# Commands that read or change the database and answer with an exit status of their own.
_ADMIN_COMMANDS: dict[str, Callable[[ServerSettings, argparse.Namespace], int]] = {
    "audit": _audit_verify,
    "purge": _purge,
    "create-user": _create_user,
    "assign-extension": _assign_extension,
    "remove-extension": _remove_extension,
    "import-patients": _import,
    "create": _create_content,
    "dispositions": _dispositions,
    **dict.fromkeys(_ACCOUNT_ACTIONS, _account),
    "enrolment-code": _enrolment_code,
}


if __name__ == "__main__":
    sys.exit(main())
