"""Start-up: process start → login window shown, and sign-in → desk ready.

The real app, offscreen, with a per-user ``pulse.toml`` naming a real central server
(``pulse-server``, seeded with the synthetic demo world) and a direct-call SIP account on
loopback; a real keyring (gnome-keyring on a private bus) and a private PulseAudio server
with a virtual headset, as on an agent's desk. Times are ``time.monotonic()`` in this
process and in the app (one clock for the whole machine on Linux); the app writes its marks
only because ``PULSE_TIMING_PROBE`` is set (:mod:`agent_app.views.timing_probe`).

* ``start_to_login_ms``: ``python -m agent_app`` started → the sign-in window's first frame
  painted (median of the runs; each run is a new process, stopped with SIGTERM after).
* ``sign_in_to_desk_ready_ms``: Sign in pressed (``testbed.desk_app`` presses it once the
  window is up) → the desk is ready: the main window's first frame painted and the phone
  taking calls (the engine process started, the direct-call account added; the encrypted
  store opened before either). The first sign-in on the workstation (the store and its
  keys made, the first sync) is printed on its own; the target is for an agent coming back,
  the median of the later runs. Its parts: ``auth`` (pressed → the server said yes),
  ``window`` and ``phone`` (signed in → each ready).

Controls, run between the runs: the interpreter's bare start (``python -c pass``) and
``import PySide6.QtWidgets``, started and finished, as the machine serves them right now.

``python -m benchmarks.startup`` (10 runs of each) or ``--quick`` (3).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import desk_runs
from testbed.audio_server import audio_server
from testbed.desk_process import DeskProcess, app_environment, enrol_desk, write_config
from testbed.ports import free_port
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.timing import Figures

FIGURES = Figures("startup")


def command_ms(*args: str) -> float:
    """Start → exit of ``python args``, in ms."""
    started = time.monotonic()
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
    return (time.monotonic() - started) * 1000


def login_run(work: Path, env: dict[str, str], index: int) -> float:
    desk = DeskProcess(work, env, signs_in=False, name=f"login-{index}")
    try:
        shown = desk.wait_mark("login_shown")
    finally:
        desk.stop()
    return (shown - desk.started_at) * 1000


def sign_in_run(work: Path, env: dict[str, str], index: int) -> dict[str, float]:
    desk = DeskProcess(
        work, env, signs_in=True, agent=AGENT, password=AGENT_PASSWORD, name=f"sign-in-{index}"
    )
    try:
        pressed = desk.wait_mark("sign_in")
        signed_in = desk.wait_mark("signed_in")
        shown = desk.wait_mark("desk_shown")
        phone = desk.wait_mark("phone_ready")
    finally:
        desk.stop()
    return {
        "ready": (max(shown, phone) - pressed) * 1000,
        "auth": (signed_in - pressed) * 1000,
        "window": (shown - signed_in) * 1000,
        "phone": (phone - signed_in) * 1000,
    }


def run(runs: int, work: Path, keyring_env: dict[str, str]) -> None:
    FIGURES.emit("runs", runs, "count")
    FIGURES.emit("load_average_1m_at_start", os.getloadavg()[0], "processes")
    server = RealServer(work / "server")
    server.start()
    try:
        with audio_server(work / "audio") as sound:
            sound.add_speaker("headset_speaker")
            sound.add_microphone("headset_mic")
            sound.set_defaults(sink="headset_speaker", source="headset_mic")
            audio_env = {k: v for k, v in sound.env.items() if k.startswith("PULSE_")}
            env = app_environment(work, {**keyring_env, **audio_env})
            write_config(Path(env["PULSE_HOME"]), server_url=server.url, sip_port=free_port())
            enrol_desk(env, server.enrolment_code())
            bare: list[float] = []
            qt: list[float] = []
            login: list[float] = []
            for index in range(runs):
                bare.append(command_ms("-c", "pass"))
                qt.append(command_ms("-c", "import PySide6.QtWidgets"))
                login.append(login_run(work, env, index))
            sign_ins = [sign_in_run(work, env, index) for index in range(runs + 1)]
    finally:
        server.stop()
    FIGURES.emit("start_to_login_ms", statistics.median(login), "ms", "<= 1000")
    FIGURES.emit("start_to_login_max_ms", max(login), "ms")
    FIGURES.emit("python_bare_start_ms", statistics.median(bare), "ms")
    FIGURES.emit("import_qtwidgets_ms", statistics.median(qt), "ms")
    first, later = sign_ins[0], sign_ins[1:]
    ready = [r["ready"] for r in later]
    FIGURES.emit("sign_in_to_desk_ready_ms", statistics.median(ready), "ms", "<= 1500")
    FIGURES.emit("sign_in_to_desk_ready_max_ms", max(ready), "ms")
    for part in ("auth", "window", "phone"):
        FIGURES.emit(f"sign_in_{part}_ms", statistics.median(r[part] for r in later), "ms")
    FIGURES.emit("first_sign_in_to_desk_ready_ms", first["ready"], "ms")
    FIGURES.emit("load_average_1m_at_end", os.getloadavg()[0], "processes")


def main(argv: list[str] | None = None) -> int:
    return desk_runs.main("python -m benchmarks.startup", run, argv)


if __name__ == "__main__":
    sys.exit(main())
