"""The demo caller: a ``pulse-phone`` process that rings the desk from the demo world's numbers.

``make run`` rings the signed-in desk a few seconds after its phone registers, and again on
"Demo → Call me again", each time as the next of the demo's cases (a known patient, a household
number, an unknown caller, a Spanish-speaking patient, a patient with a callback due). The
caller plays a synthetic voice once answered. Each caller process ends with the app (parent
death signal) and is hung up when the next call starts or the demo stops.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_app.demo import processes
from agent_app.demo.recording import write_voice

log = logging.getLogger(__name__)

_RING_S = 60.0
"""How long the demo caller lets the desk ring before giving up."""
_TALK_S = 300.0
"""How long the demo caller stays on an answered call (the agent usually hangs up first)."""


@dataclass(frozen=True)
class DemoCase:
    """One kind of call the demo places: ``number`` calls, ``title`` says what to expect."""

    key: str
    title: str
    number: str


def read_cases(raw: Any) -> tuple[DemoCase, ...]:
    """The cases from the demo server's sign-in hand-over (``[{key, title, number}]``)."""
    found = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        key, title, number = item.get("key"), item.get("title"), item.get("number")
        if isinstance(key, str) and isinstance(title, str) and isinstance(number, str):
            found.append(DemoCase(key, title, number))
    return tuple(found)


class DemoRinger:
    """Places the demo's calls to ``extension`` at ``registrar``, one case after the other."""

    def __init__(
        self,
        *,
        registrar: str,
        extension: str,
        cases: Sequence[DemoCase],
        directory: Path,
        host: str = "127.0.0.1",
    ) -> None:
        self.registrar, self.extension, self.host = registrar, extension, host
        self.cases = tuple(cases)
        self.directory = directory
        self.calls = 0
        """Calls placed so far; the next one is ``cases[calls % len(cases)]``."""
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def next_case(self) -> DemoCase | None:
        return self.cases[self.calls % len(self.cases)] if self.cases else None

    def command(self, case: DemoCase, voice: Path) -> list[str]:
        """The ``pulse-phone call`` command line for ``case``."""
        return [
            sys.executable, "-m", "agent_app.telephony.phone_cli", "call",
            "--username", case.number, "--domain", self.host,
            "--play", str(voice),
            "--timeout", str(_RING_S), "--duration", str(_TALK_S),
            f"sip:{self.extension}@{self.registrar}",
        ]  # fmt: skip

    def call_next(self) -> DemoCase | None:
        """Hang up the demo's current call, if any, and ring the desk as the next case.

        Call it from the thread that lives as long as the app (the GUI thread): the caller
        process ends when that thread does. None when the demo has no cases."""
        case = self.next_case
        if case is None:
            return None
        self.stop()
        voice = write_voice(self.directory / "demo-caller-voice.wav")
        self.process = processes.start(
            self.command(case, voice), str(self.directory / "demo-caller.log")
        )
        self.calls += 1
        log.info("demo: caller %d rings the desk (case %s)", self.calls, case.key)
        return case

    def stop(self) -> None:
        """Hang up (pulse-phone ends its call on SIGTERM) and wait for the process."""
        if self.process is not None:
            processes.stop(self.process, timeout=5.0)
            self.process = None


def cases_from_file(path: Path) -> tuple[DemoCase, ...]:
    """The cases in the demo server's hand-over file; none when it has none."""
    try:
        return read_cases(json.loads(path.read_text(encoding="utf-8")).get("cases"))
    except (OSError, ValueError, AttributeError):
        return ()
