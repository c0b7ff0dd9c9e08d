"""``tools/demo-call``: a synthetic patient rings the desk of the running demo (``make run``).

It finds the demo's PBX, asks the demo server for a patient of the demo agent with a number
of their own (so that the desk's caller-id lookup finds exactly that patient), and places the
call with ``pulse-phone call`` from that number to the agent's extension; ``--case KEY`` calls
as one of the demo's cases instead (a household number, an unknown caller ...). ``--answer``
does the opposite: the patient's phone registers at the PBX and answers when the desk dials the
number.
Each step is printed; the data is the demo's synthetic world only.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_app.demo import processes
from agent_app.demo.patient_phones import (
    DemoCaller,
    PatientFeedError,
    choose_caller,
    fetch_patients,
    listen_arguments,
)
from agent_app.demo.pbx import HOST, ping
from agent_app.demo.ringer import cases_from_file
from agent_app.demo.server import PHONE_FILE
from agent_app.foundation import paths
from agent_app.foundation.child_processes import child_environment

# The demo caller signs in to the demo server as this workstation, apart from the desk's.
_CALLER_DEVICE = ("demo-caller-0000", "demo caller")
# With --answer, the desk hears its call ring this long before the patient picks up.
_ANSWER_AFTER_S = 2.0


class DemoCallError(Exception):
    """The call cannot be placed; the message says what to do."""


@dataclass(frozen=True)
class RunningDemo:
    directory: Path
    server_url: str
    registrar: str
    extension: str
    password: str

    @property
    def port(self) -> int:
        return int(self.registrar.rsplit(":", 1)[1])


def default_directories() -> list[Path]:
    return [paths.data_dir() / "demo-server"]


def find_demo(directories: Iterable[Path]) -> RunningDemo:
    """The first of ``directories`` whose demo PBX answers."""
    looked: list[str] = []
    for directory in directories:
        looked.append(str(directory))
        try:
            state = json.loads((directory / PHONE_FILE).read_text(encoding="utf-8"))
            demo = RunningDemo(
                directory=directory,
                server_url=str(state["server_url"]),
                registrar=str(state["registrar"]),
                extension=str(state["extension"]),
                password=str(state["password"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if ping(demo.port):
            return demo
    raise DemoCallError(
        "no running demo with a phone system was found (looked in "
        + ", ".join(looked)
        + "): start it with 'make run' and sign in first"
    )


def pick_caller(demo: RunningDemo) -> DemoCaller:
    """A demo patient whose number no other patient of the agent has (one screen-pop match)."""
    try:
        sign_in = json.loads((demo.directory / "demo-agent.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DemoCallError(f"the demo's sign-in file is unreadable ({exc})") from None
    try:
        patients = fetch_patients(
            demo.server_url, sign_in["username"], sign_in["password"], _CALLER_DEVICE
        )
    except PatientFeedError as exc:
        raise DemoCallError(str(exc)) from None
    caller = choose_caller(patients)
    if caller is None:
        raise DemoCallError("the demo world has no patient with a number of their own")
    return caller


def phone_command(demo: RunningDemo, caller: str, args: argparse.Namespace) -> list[str]:
    """The ``pulse-phone`` arguments (after the program) for the chosen mode."""
    if args.answer:
        return [
            *listen_arguments(demo.registrar, caller),
            "--auto-answer", "--answer-after", str(_ANSWER_AFTER_S),
        ]  # fmt: skip
    return [
        "call", "--username", caller, "--domain", HOST,
        "--timeout", str(args.ring), "--duration", str(args.talk),
        f"sip:{demo.extension}@{demo.registrar}",
    ]  # fmt: skip


_PLAIN: dict[tuple[Any, Any], str] = {
    ("registration_changed", "registered"): "registered at the demo PBX",
    ("incoming_call", None): "the desk is calling",
    ("call_state", "early"): "ringing",
    ("call_state", "ringing"): "ringing",
    ("call_state", "confirmed"): "answered",
}


def _describe(event: dict[str, Any]) -> str | None:
    """pulse-phone's event in a few words; None for those not worth a line."""
    kind = event.get("type")
    said = _PLAIN.get((kind, event.get("state")))
    if said:
        return said
    if kind == "registration_changed" and event.get("state") == "failed":
        return f"registration failed ({event.get('code')} {event.get('reason', '')})".rstrip()
    if kind == "call_ended" and event.get("code") == 404:
        return "call ended (404 Not Found): nobody is registered there; is the desk signed in?"
    if kind == "call_ended":
        return f"call ended ({event.get('code', '')} {event.get('reason', '')})".strip()
    if kind == "command_failed":
        return f"failed: {event.get('message', '')}"
    return None


def case_caller(demo: RunningDemo, key: str) -> tuple[str, str]:
    """The number and description of the demo case ``key`` (as the demo server seeded it)."""
    cases = cases_from_file(demo.directory / "demo-agent.json")
    for case in cases:
        if case.key == key:
            return case.number, case.title
    known = ", ".join(case.key for case in cases) or "none"
    raise DemoCallError(f"the demo has no case {key!r} (its cases: {known})")


def run(args: argparse.Namespace) -> int:
    demo = find_demo([*default_directories(), *(args.demo_dir or [])])
    if args.caller:
        caller, about = args.caller, "the number given"
    elif args.case:
        caller, about = case_caller(demo, args.case)
    else:
        chosen = pick_caller(demo)
        caller, about = chosen.number, f"synthetic demo patient {chosen.mrn}"
    arguments = phone_command(demo, caller, args)
    if args.answer:
        print(f"demo-call: {caller} ({about}) registers at the demo PBX {demo.registrar} and")
        print(f"demo-call: answers when the desk dials {caller}; Ctrl-C stops it")
    else:
        print(
            f"demo-call: calling extension {demo.extension} at the demo PBX {demo.registrar} "
            f"from {caller} ({about})"
        )
    print("demo-call: pulse-phone " + " ".join(arguments), flush=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "agent_app.telephony.phone_cli", *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=child_environment(),
        text=True,
        preexec_fn=processes.die_with_parent,  # noqa: PLW1509 - one prctl call
    )
    assert process.stdin is not None and process.stdout is not None
    if args.answer:
        # The SIP password through a pipe, never the child's environment.
        process.stdin.write(demo.password + "\n")
    process.stdin.close()
    # Stopped from outside, the phone hangs up (or unregisters) before this exits.
    signal.signal(signal.SIGTERM, lambda signum, frame: process.send_signal(signal.SIGTERM))
    try:
        for line in process.stdout:
            if args.verbose:
                print(line.rstrip(), flush=True)
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            said = _describe(event)
            if said:
                print(f"demo-call: {said}", flush=True)
    except KeyboardInterrupt:
        process.send_signal(signal.SIGTERM)
    return process.wait()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="demo-call",
        description="Ring the desk of the running demo as a synthetic patient (make run first).",
    )
    parser.add_argument(
        "--answer",
        action="store_true",
        help="instead: the patient's phone registers and answers when the desk calls it",
    )
    parser.add_argument(
        "--from", dest="caller", metavar="NUMBER", help="call from this number instead"
    )
    parser.add_argument(
        "--case",
        metavar="KEY",
        help="call as this demo case instead: known, household, unknown, spanish, callback",
    )
    parser.add_argument(
        "--ring", type=float, default=60.0, metavar="S", help="let the desk ring at most S s"
    )
    parser.add_argument(
        "--talk", type=float, default=120.0, metavar="S", help="hang up S s after the answer"
    )
    parser.add_argument(
        "--demo-dir",
        type=Path,
        action="append",
        metavar="DIR",
        help="also look for the demo here (after the data directory's demo-server)",
    )
    parser.add_argument("--verbose", action="store_true", help="print pulse-phone's JSON events")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except DemoCallError as exc:
        print(f"demo-call: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
