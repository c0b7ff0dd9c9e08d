"""Memory: the PSS of every Pulse process together, signed in and idle, then in a call.

The real app signs in by itself (``testbed.desk_app``, offscreen) to a real central server
(``pulse-server``; its synthetic patients, 100,000 or ``--quick`` 5,000, synced into the
encrypted cache at sign-in), goes Ready and answers by itself (``[desk] auto_answer``); its
phone is a direct-call account on loopback and its audio a virtual headset on a private
PulseAudio server (null sinks: real devices to Qt and the engine). Pulse's processes are
the app and everything it started (the engine process, and the secrets helper while it runs:
it ends a few seconds after sign-in); the central server, the keyring and sound daemons and
the caller are not counted.

* ``idle_pss_mb``: once the agent is Ready and Pulse's processes have been quiet together
  (under 10 % of a core for 3 s) and the server too (under 2 %): the first sync and the
  cache's page check are done;
  ``idle_cpu_pct`` is the CPU they then use, in % of one core.
* ``call_pss_mb``: in a call from a sipp caller (PCMA) that echoes the desk's audio back,
  5 s after the desk's microphone stream opened on the headset (the call answered).

Each is the largest of three readings a second apart, with each process's share beside it.
PSS (``/proc/<pid>/smaps_rollup``) gives every shared page to the processes that map it in
equal parts, so it adds up across processes. A page Pulse shares with a process outside it
is partly charged to that process (the Python interpreter and a few libraries are shared
with the central server; the caller is sipp, which shares nothing with Pulse), so
``*_uss_mb`` (pages only Pulse's processes map: a floor) and ``*_rss_mb`` (every page each
process maps, shared ones counted in each: a ceiling) are printed beside it. Control,
measured alone before the app starts: the PSS of the smallest PySide6 window app
(``reference_qt_window_pss_mb``), what any Qt widget program costs on this machine.

``python -m benchmarks.memory`` or ``--quick``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testbed.audio_server import AudioServer, audio_server
from testbed.desk_process import DeskProcess, app_environment, enrol_desk, write_config
from testbed.ports import free_port
from testbed.processes import PROC, cpu_seconds, parse_smaps_rollup
from testbed.secret_service import secret_service
from testbed.sync_server import AGENT, AGENT_PASSWORD, RealServer
from testbed.timing import Figures, wait_until

FIGURES = Figures("memory", digits=1)
QUIET_CPU_SHARE = 0.10
"""Quiet: the idle desk's own polling (the engine's SIP loop wakes every 5 ms: ~5 % of a
core here) stays under it; the first sync and the cache's page check do not."""
SERVER_QUIET_SHARE = 0.02
QUIET_WINDOW_S = 3.0
READINGS = 3
IN_CALL_S = 5.0
MB = 1024  # smaps_rollup counts kB (KiB): figures are MiB

_REFERENCE_APP = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv)
label = QLabel("Pulse")
label.resize(400, 200)
label.show()
QTimer.singleShot(300, lambda: print("shown", flush=True))
app.exec()
"""


def memory_of(pid: int) -> dict[str, int]:
    """PSS, RSS and USS of one process, in KiB."""
    fields = parse_smaps_rollup((PROC / str(pid) / "smaps_rollup").read_text())
    private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return {"pss": fields["Pss"], "rss": fields["Rss"], "uss": private}


def readings(desk: DeskProcess) -> dict[str, dict[str, int]]:
    """The largest of :data:`READINGS` readings of Pulse's processes (by total PSS): role →
    memory, plus "total"."""
    best: dict[str, dict[str, int]] = {}
    for index in range(READINGS):
        if index:
            time.sleep(1.0)
        reading: dict[str, dict[str, int]] = {}
        for pid, role in desk.processes().items():
            try:
                used = memory_of(pid)
            except (OSError, KeyError):
                continue  # ended between the listing and the reading
            name = role if role in ("gui", "engine") else "other"
            into = reading.setdefault(name, {"pss": 0, "rss": 0, "uss": 0})
            for key, value in used.items():
                into[key] += value
        reading["total"] = {k: sum(r[k] for r in reading.values()) for k in ("pss", "rss", "uss")}
        if not best or reading["total"]["pss"] > best["total"]["pss"]:
            best = reading
    return best


def wait_quiet(desk: DeskProcess, server: RealServer, timeout: float = 600.0) -> float:
    """Wait until, for 3 s, Pulse's processes used under 10 % of a core and the central
    server under 2 % (the first sync is over: a pull waiting on the server is quiet on
    Pulse's side); return the wait (s)."""
    assert server.process is not None
    server_pid = server.process.pid
    started = time.monotonic()
    window: list[tuple[float, float, float]] = []

    def quiet() -> bool:
        if desk.proc.poll() is not None:
            raise RuntimeError(f"the app exited ({desk.proc.returncode}): {desk.tail()}")
        now = time.monotonic()
        window.append((now, cpu_seconds(list(desk.processes())), cpu_seconds([server_pid])))
        while len(window) > 2 and now - window[1][0] >= QUIET_WINDOW_S:
            window.pop(0)
        first_at, first_pulse, first_server = window[0]
        span = now - first_at
        return (
            span >= QUIET_WINDOW_S
            and (window[-1][1] - first_pulse) / span < QUIET_CPU_SHARE
            and (window[-1][2] - first_server) / span < SERVER_QUIET_SHARE
        )

    wait_until(quiet, timeout, 0.25, what="the signed-in desk and its server to go quiet")
    return time.monotonic() - started


def reference_window(env: dict[str, str]) -> int:
    """PSS (KiB) of a minimal PySide6 window app, shown and idle."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _REFERENCE_APP],
        env={**env, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "shown":
            raise RuntimeError("the reference window app did not start")
        time.sleep(1.0)
        return memory_of(proc.pid)["pss"]
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def emit(state: str, reading: dict[str, dict[str, int]], target: str) -> None:
    total = reading["total"]
    FIGURES.emit(f"{state}_pss_mb", total["pss"] / MB, "MiB", target)
    for role in ("gui", "engine", "other"):
        if role in reading:
            FIGURES.emit(f"{state}_pss_{role}_mb", reading[role]["pss"] / MB, "MiB")
    FIGURES.emit(f"{state}_uss_mb", total["uss"] / MB, "MiB")
    FIGURES.emit(f"{state}_rss_mb", total["rss"] / MB, "MiB")


_CALLER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="memory benchmark caller">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+12015550123@[local_ip]:[local_port]>;tag=[pid]-[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+12015550123@[local_ip]:[local_port]>;tag=[pid]-[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
  <pause milliseconds="[call_s]000"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+12015550123@[local_ip]:[local_port]>;tag=[pid]-[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
</scenario>
"""
CALL_S = 15


def in_call(
    desk: DeskProcess, sound: AudioServer, work: Path, port: int
) -> dict[str, dict[str, int]]:
    """Call the desk (it answers by itself), read Pulse's memory with the audio flowing.

    The caller is sipp, which echoes the desk's own audio back to it (``-rtp_echo``): audio
    flows both ways, and the caller shares no library with Pulse (a Python caller would share
    the interpreter, Qt and pjsua2 with it, and take part of their PSS).
    """
    scenario = work / "caller.xml"
    scenario.write_text(_CALLER_SCENARIO.replace("[call_s]", str(CALL_S)), encoding="ascii")
    caller = subprocess.Popen(
        [
            *("sipp", "-sf", str(scenario), "-m", "1", "-s", "agent"),
            *("-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port())),
            *("-rtp_echo", "-nostdin", "-trace_err"),
            f"127.0.0.1:{port}",
        ],
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def capturing() -> bool:
            if caller.poll() is not None:
                raise RuntimeError(f"the caller ended ({caller.returncode}) before the call")
            return audio_streams(sound)[1] > 0

        wait_until(capturing, 30, 0.2, what="the desk's microphone stream (the call answered)")
        time.sleep(IN_CALL_S)
        FIGURES.emit("call_audio_streams", sum(audio_streams(sound)), "count")
        reading = readings(desk)
        code = caller.wait(CALL_S + 30)
        if code != 0:
            raise RuntimeError(f"the call did not complete (sipp exit status {code})")
        return reading
    finally:
        if caller.poll() is None:
            caller.terminate()
            caller.wait(10)


def audio_streams(sound: AudioServer) -> tuple[int, int]:
    """(playback, capture) streams open on the sound server."""
    playing = sound.pactl("list", "short", "sink-inputs").splitlines()
    capturing = sound.pactl("list", "short", "source-outputs").splitlines()
    return len(playing), len(capturing)


def run(patients: int, work: Path, keyring_env: dict[str, str]) -> None:
    FIGURES.emit("patients", patients, "count")
    server = RealServer(work / "server", patients=patients)
    server.start(timeout_s=120)
    try:
        with audio_server(work / "audio") as sound:
            sound.add_speaker("headset_speaker")
            sound.add_microphone("headset_mic")
            sound.set_defaults(sink="headset_speaker", source="headset_mic")
            audio_env = {k: v for k, v in sound.env.items() if k.startswith("PULSE_")}
            env = app_environment(work, {**keyring_env, **audio_env})
            FIGURES.emit("reference_qt_window_pss_mb", reference_window(env) / MB, "MiB")
            port = free_port()
            # The agent answers by itself once Ready: the call needs no one at the desk.
            write_config(
                Path(env["PULSE_HOME"]), server_url=server.url, sip_port=port, auto_answer=True
            )
            enrol_desk(env, server.enrolment_code())
            desk = DeskProcess(work, env, signs_in=True, agent=AGENT, password=AGENT_PASSWORD)
            try:
                desk.wait_mark("agent_ready", 120)
                FIGURES.emit("quiet_after_s", wait_quiet(desk, server), "s")
                cpu_before, started = cpu_seconds(list(desk.processes())), time.monotonic()
                idle = readings(desk)
                FIGURES.emit("idle_audio_streams", sum(audio_streams(sound)), "count")
                idle_cpu = cpu_seconds(list(desk.processes())) - cpu_before
                idle_cpu_pct = 100 * idle_cpu / (time.monotonic() - started)
                call = in_call(desk, sound, work, port)
            finally:
                desk.stop()
            cache = Path(env["PULSE_HOME"]) / "data"
            size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    finally:
        server.stop()
    emit("idle", idle, "<= 150 (Linphone desktop: 263)")
    emit("call", call, "<= 200 (Linphone desktop: 418)")
    FIGURES.emit("idle_cpu_pct", idle_cpu_pct, "%")
    FIGURES.emit("store_files_mb", size / 1e6, "MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("--quick", action="store_true", help="5,000 patients instead of 100,000")
    parser.add_argument("--patients", type=int, help="the server's patients (overrides --quick)")
    args = parser.parse_args(argv)
    patients = args.patients or (5_000 if args.quick else 100_000)
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as tmp:
        work = Path(tmp)
        with secret_service(work / "keyring") as keyring_env:
            run(patients, work, keyring_env)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
