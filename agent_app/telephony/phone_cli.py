"""``pulse-phone``: the telephony engine without a window, for IT and for tests.

Every engine event is printed as one JSON line on standard output (the wire format of
:mod:`agent_app.telephony.protocol`). The exit status is 0 when the subcommand did what
it was asked (registered, connected a call, answered ...) and non-zero otherwise.

Subcommands live in :data:`SUBCOMMANDS`; another area adds its own (``audio-test``)
with :func:`register_subcommand` before :func:`main` builds the parser.

With ``--commands-stdin`` each line of standard input is a protocol command (JSON) sent
to the engine, which makes pulse-phone a scriptable SIP peer.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from agent_app.foundation import qt_compat
from agent_app.telephony import protocol as p

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


SUBCOMMANDS: dict[str, Subcommand] = {}


def register_subcommand(sub: Subcommand) -> None:
    SUBCOMMANDS[sub.name] = sub


class Session:
    """An engine plus an event queue the command's main loop reads."""

    def __init__(self, args: argparse.Namespace, out: TextIO = sys.stdout) -> None:
        from agent_app.telephony.engine.core import Engine

        self.args = args
        self.out = out
        self.events: queue.Queue[p.Event] = queue.Queue()
        self.engine = Engine(self.events.put)
        self.stop_requested = threading.Event()
        self.signalled = False
        """Set by the SIGTERM / SIGINT handler, which must take no lock: a second signal
        arriving while the first handler held the event's lock deadlocked the phone."""

    def stopping(self) -> bool:
        """Asked to stop: by a signal, or by a ``shutdown`` line on standard input."""
        return self.signalled or self.stop_requested.is_set()

    def print(self, event: p.Event) -> None:
        self.out.write(json.dumps(p.to_dict(event), separators=(",", ":")) + "\n")
        self.out.flush()

    def next_event(self, timeout: float) -> p.Event | None:
        try:
            event = self.events.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        self.print(event)
        return event

    def submit(self, command: p.Command) -> None:
        self.engine.submit(command)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        # Read before --commands-stdin's reader starts: the first line is the password.
        return sys.stdin.readline().rstrip("\n")
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise SystemExit(f"pulse-phone: environment variable {args.password_env} is not set")
        return value
    if args.password_keyring:
        from agent_app.secrets.store import SecretStore

        value = SecretStore().get(args.password_keyring)
        if value is None:
            raise SystemExit("pulse-phone: no SIP password in the keyring under that name")
        return value
    return ""


def engine_config(args: argparse.Namespace) -> p.EngineConfig:
    transports: list[str] = [args.transport]
    for extra in ("udp", "tcp", "tls"):
        if extra in args.also_listen and extra not in transports:
            transports.append(extra)
    return p.EngineConfig(
        transports=tuple(transports),  # type: ignore[arg-type]
        bind_address=args.bind,
        local_port=args.port,
        tls_port=args.tls_port,
        tls_ca_file=args.tls_ca or "",
        tls_cert_file=args.tls_cert or "",
        tls_key_file=args.tls_key or "",
        tls_verify_server=not args.tls_no_verify,
        tls_pin_sha256=args.tls_pin or "",
        srtp=args.srtp,
        codecs=tuple(c for c in args.codecs.split(",") if c),
        stun_server=args.stun or "",
        ice=args.ice,
        media_timeout_s=args.media_timeout,
        stats_interval_s=args.stats_interval,
        log_level=args.pj_log_level,
    )


def account_spec(args: argparse.Namespace, *, register: bool) -> p.AccountSpec:
    return p.AccountSpec(
        account_id="main",
        username=args.username,
        domain=args.domain or args.registrar or args.bind,
        registrar=args.registrar or "",
        transport=args.transport,
        password=_password(args),
        display_name=args.display_name,
        outbound_proxy=args.outbound_proxy or "",
        fallback_registrar=args.fallback_registrar or "",
        register=register and bool(args.registrar),
        expiry_s=args.expiry,
        retry_first_s=args.retry_first,
        retry_s=args.retry,
    )


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("engine")
    g.add_argument("--port", type=int, default=0, help="local SIP port (UDP/TCP; 0: any)")
    g.add_argument("--tls-port", type=int, default=0, help="local SIP port for TLS (0: any)")
    g.add_argument("--bind", default="127.0.0.1", help="local address (default 127.0.0.1)")
    g.add_argument("--transport", choices=("udp", "tcp", "tls"), default="udp")
    g.add_argument(
        "--also-listen",
        default="",
        help="extra transports to listen on, comma separated (udp,tcp,tls)",
    )
    g.add_argument("--srtp", choices=("off", "optional", "mandatory"), default="optional")
    g.add_argument("--codecs", default="G722/16000,PCMA/8000,PCMU/8000")
    g.add_argument("--tls-ca", help="CA bundle (PEM) to verify TLS peers")
    g.add_argument("--tls-cert", help="our TLS certificate (PEM)")
    g.add_argument("--tls-key", help="our TLS private key (PEM)")
    g.add_argument("--tls-no-verify", action="store_true", help="do not verify the TLS server")
    g.add_argument("--tls-pin", help="hex SHA-256 of the expected server certificate (DER)")
    g.add_argument("--stun", help="STUN server host[:port]")
    g.add_argument("--ice", action="store_true")
    g.add_argument(
        "--media-timeout", type=float, default=0.0, help="end a call after S s of no RTP"
    )
    g.add_argument("--stats-interval", type=float, default=0.0, help="media stats every S s")
    g.add_argument("--pj-log-level", type=int, default=0, help="pjsip log level on stderr")
    a = parser.add_argument_group("account")
    a.add_argument("--username", default="pulse")
    a.add_argument("--domain", default="")
    a.add_argument("--display-name", default="")
    a.add_argument("--registrar", help="host[:port] of the registrar")
    a.add_argument("--fallback-registrar")
    a.add_argument("--outbound-proxy")
    a.add_argument("--password-env", help="name of the environment variable holding the password")
    a.add_argument("--password-keyring", help="keyring entry holding the password")
    a.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (kept out of the "
        "environment, which other processes of the account can read)",
    )
    a.add_argument("--expiry", type=int, default=300)
    a.add_argument("--retry-first", type=int, default=2, help="first re-register retry after S s")
    a.add_argument("--retry", type=int, default=30, help="later re-register retries every S s")
    a.add_argument("--commands-stdin", action="store_true", help="read JSON commands on stdin")


def _start(session: Session, *, register: bool) -> bool:
    args = session.args
    from agent_app.telephony.engine.errors import EngineError

    config = engine_config(args)
    try:
        session.engine.start(config)
    except EngineError as exc:
        print(f"pulse-phone: {exc}", file=sys.stderr)
        return False
    try:
        # Before any event is printed: a peer that saw engine_ready can be called.
        session.engine.run_sync(p.AddAccount(account_spec(args, register=register)))
    except EngineError as exc:
        print(f"pulse-phone: {exc}", file=sys.stderr)
        return False
    if args.commands_stdin:
        threading.Thread(target=_read_stdin, args=(session,), daemon=True).start()
    return True


def _read_stdin(session: Session) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            message = p.decode(line)
        except p.ProtocolError as exc:
            session.print(p.CommandFailed(command="?", message=str(exc)))
            continue
        if isinstance(message, p.Shutdown):
            session.stop_requested.set()
        elif isinstance(message, p.Command):
            session.submit(message)


def _wait_registered(session: Session, timeout: float, *, stop_on_failure: bool = False) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not session.stopping():
        event = session.next_event(min(0.1, deadline - time.monotonic()))
        if isinstance(event, p.RegistrationChanged) and event.state == "registered":
            return True
        if stop_on_failure and isinstance(event, p.RegistrationChanged) and event.state == "failed":
            return False
        if isinstance(event, p.CommandFailed) and event.command == "add_account":
            return False
    return False


def _finish(session: Session) -> None:
    session.engine.stop()
    while True:
        try:
            session.print(session.events.get_nowait())
        except queue.Empty:
            break


# ---------------------------------------------------------------- register


def _register_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=0.0, help="stay registered S s")
    parser.add_argument("--timeout", type=float, default=15.0)


def run_register(args: argparse.Namespace) -> int:
    if not args.registrar:
        print("pulse-phone: register needs --registrar", file=sys.stderr)
        return EXIT_USAGE
    session = Session(args)
    _install_signals(session)
    if not _start(session, register=True):
        return EXIT_FAILED
    try:
        ok = _wait_registered(session, args.timeout, stop_on_failure=True)
        end = time.monotonic() + args.duration
        while ok and time.monotonic() < end and not session.stopping():
            session.next_event(min(0.2, end - time.monotonic()))
    finally:
        _finish(session)
    return EXIT_OK if ok else EXIT_FAILED


# ---------------------------------------------------------------- call


def _call_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="number or SIP URI")
    parser.add_argument("--play", help="WAV file sent into the call (looped)")
    parser.add_argument("--record", help="WAV file receiving the call's audio")
    parser.add_argument("--dtmf", help="digits to send once media is up")
    parser.add_argument("--dtmf-method", choices=("rfc2833", "info"), default="rfc2833")
    parser.add_argument("--duration", type=float, default=5.0, help="hang up after S s connected")
    parser.add_argument("--timeout", type=float, default=30.0, help="give up after S s")


def run_call(args: argparse.Namespace) -> int:  # noqa: PLR0912 - one event loop
    session = Session(args)
    _install_signals(session)
    if not _start(session, register=True):
        return EXIT_FAILED
    connected = False
    try:
        if args.registrar and not _wait_registered(session, args.timeout):
            return EXIT_FAILED
        call_id = "out-1"
        session.submit(p.Dial(call_id=call_id, account_id="main", target=args.target))
        if args.play:
            session.submit(p.PlayFile(call_id=call_id, path=args.play))
        if args.record:
            session.submit(p.RecordFile(call_id=call_id, path=args.record))
        deadline = time.monotonic() + args.timeout
        hangup_at: float | None = None
        dtmf_sent = False
        while not session.stopping():
            now = time.monotonic()
            if hangup_at is not None and now >= hangup_at:
                session.submit(p.Hangup(call_id=call_id))
                hangup_at = float("inf")
            if hangup_at is None and now >= deadline:
                session.submit(p.Hangup(call_id=call_id))
                hangup_at = float("inf")
            event = session.next_event(0.1)
            if isinstance(event, p.CallStateChanged) and event.call_id == call_id:
                if event.state == "confirmed" and not connected:
                    connected = True
                    hangup_at = time.monotonic() + args.duration
            elif isinstance(event, p.MediaChanged) and event.call_id == call_id:
                if event.state == "active" and args.dtmf and not dtmf_sent:
                    dtmf_sent = True
                    session.submit(
                        p.SendDtmf(call_id=call_id, digits=args.dtmf, method=args.dtmf_method)
                    )
            elif (isinstance(event, p.CallEnded) and event.call_id == call_id) or (
                (isinstance(event, p.CommandFailed) and event.command == "dial")
                or (hangup_at == float("inf") and now > deadline + 10)
            ):
                break
    finally:
        _finish(session)
    return EXIT_OK if connected else EXIT_FAILED


# ---------------------------------------------------------------- listen


def _listen_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--auto-answer", action="store_true")
    parser.add_argument("--answer-after", type=float, default=0.0, help="ring S s before answering")
    parser.add_argument("--decline", type=int, choices=(486, 603), help="decline every call")
    parser.add_argument("--play", help="WAV file sent into each answered call (looped)")
    parser.add_argument("--record", help="WAV file for each call's audio ('{n}' numbers the calls)")
    parser.add_argument("--dtmf", help="digits to send once media is up")
    parser.add_argument("--duration", type=float, default=0.0, help="exit after S s (0: never)")
    parser.add_argument("--max-calls", type=int, default=0, help="exit after N calls ended")
    parser.add_argument("--register", action="store_true", help="register at --registrar first")


def run_listen(args: argparse.Namespace) -> int:  # noqa: PLR0912 - one event loop
    session = Session(args)
    _install_signals(session)
    if not _start(session, register=args.register):
        return EXIT_FAILED
    ok = True
    ended = 0
    calls = 0
    pending: dict[str, float] = {}
    media_seen: set[str] = set()
    try:
        if args.register and args.registrar and not _wait_registered(session, 15.0):
            return EXIT_FAILED
        end = time.monotonic() + args.duration if args.duration else float("inf")
        while not session.stopping() and time.monotonic() < end:
            now = time.monotonic()
            for call_id, due in list(pending.items()):
                if now >= due:
                    del pending[call_id]
                    session.submit(p.Answer(call_id=call_id))
            event = session.next_event(min(0.1, max(0.0, end - now)))
            if isinstance(event, p.IncomingCall):
                calls += 1
                if args.decline:
                    session.submit(p.Decline(call_id=event.call_id, code=args.decline))
                    continue
                if args.play:
                    session.submit(p.PlayFile(call_id=event.call_id, path=args.play))
                if args.record:
                    path = args.record.replace("{n}", str(calls))
                    session.submit(p.RecordFile(call_id=event.call_id, path=path))
                if args.auto_answer:
                    pending[event.call_id] = now + args.answer_after
            elif isinstance(event, p.CallReplaced):
                if args.play:
                    session.submit(p.PlayFile(call_id=event.new_call_id, path=args.play))
            elif (
                isinstance(event, p.MediaChanged)
                and event.state == "active"
                and args.dtmf
                and event.call_id not in media_seen
            ):
                media_seen.add(event.call_id)
                session.submit(p.SendDtmf(call_id=event.call_id, digits=args.dtmf))
            elif isinstance(event, p.CallEnded):
                ended += 1
                if args.max_calls and ended >= args.max_calls:
                    break
    finally:
        _finish(session)
    return EXIT_OK if ok else EXIT_FAILED


# ---------------------------------------------------------------- entry point


def _install_signals(session: Session) -> None:
    def handler(signum: int, frame: Any) -> None:
        session.signalled = True  # the loops look every 100 ms (see Session.signalled)

    with contextlib.suppress(ValueError):  # not the main thread (tests calling main())
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


register_subcommand(
    Subcommand(
        "register", "register an account and report the result", _register_args, run_register
    )
)
register_subcommand(Subcommand("call", "place a call", _call_args, run_call))
register_subcommand(Subcommand("listen", "wait for calls", _listen_args, run_listen))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pulse-phone", description="Headless Pulse SIP phone; one JSON event per line."
    )
    subs = parser.add_subparsers(dest="command", required=True)
    if "audio-test" not in SUBCOMMANDS:
        from agent_app.telephony.audio.audio_test_cli import SUBCOMMAND as AUDIO_TEST

        register_subcommand(Subcommand(**AUDIO_TEST))
    for sub in SUBCOMMANDS.values():
        sp = subs.add_parser(sub.name, help=sub.help, allow_abbrev=False)
        add_common_arguments(sp)
        sub.add_arguments(sp)
        sp.set_defaults(run=sub.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    qt_compat.apply()
    args = build_parser().parse_args(argv)
    if hasattr(args, "also_listen"):
        args.also_listen = [t.strip() for t in args.also_listen.split(",") if t.strip()]
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
