"""Screen-pop: INVITE sent by a caller → the patient's card painted on the agent's desk.

The desk is built as ``pulse-agent`` builds it after sign-in (main window, softphone,
patient panel, the workflow session, the real engine process with its audio on a private
PulseAudio server's virtual headset) over an encrypted patient cache of 1,000,000
synthetic patients (``--quick``: 100,000), loaded as ``cache_lookup`` loads it and then
opened again as at sign-in. This process is the desk's GUI process, offscreen. A real
caller, ``pulse-phone`` driven over its standard input, calls the desk 200 times (50)
from the mobile number of a random patient (one match: the card pops while it rings),
then cancels. The desk's outbox is its journal itself (the app's is the sync service,
which writes the same journal entry and wakes its worker thread).

Clock: ``time.monotonic()`` in every process. On Linux it is ``CLOCK_MONOTONIC``, one
clock for the whole machine (unlike the wall clock it never steps), so stamps taken in the
SIP relay, the engine and this process compare directly. The INVITE's departure: the
caller's own ``calling`` event is no such stamp (measured: it comes after the desk's engine
already had the INVITE, and never while a callee stays silent), so the caller calls
through ``testbed.sip_tap``, a UDP relay on loopback that stamps each INVITE as it arrives
(loopback delivers a datagram as it is sent) and forwards it to the desk; the relay's hop
(``tap_forward_us``, printed) is counted in the screen-pop, never taken off. The paint is
the first paint event of the card's greeting (the patient's first name) that shows this
call's patient, seen by an event filter on that label.

Parts (each call's parts add up to its total): ``invite_to_engine`` (the INVITE sent → the
desk engine's ``incoming_call`` event), ``engine_to_gui`` (→ the caller-id lookup starts
on the GUI thread: the loopback socket, the Qt hop and the session's work before the
lookup), ``lookup`` (``AgentStore.caller_lookup``), ``audit`` (the card-view audit event
written to the journal before the card may show), ``desk_update`` (the rest of the event's
handling on the GUI thread up to the card's paint, or to its end when the card paints
after it: the card filled and, for a ringing caller, laid out and painted at once, before
the rest of the desk is brought up to date) and ``paint`` (from the end of the handling
to the greeting's paint, when the card waited for Qt's next paint pass; else 0).

Controls, measured in the same run: ``reference_paint_*`` (after each call, a label in
another window of this process is given new text; the time until its paint event is what
the event loop and painting cost on this machine right now, no SIP, no store) and the
hypervisor's share of the CPU during the calls (``steal_pct``).

Context for the memory benchmark: ``gui_pss_mb`` (this process: the desk's GUI with the
whole cache open and its phone index in the page cache, without the sync service) and
``engine_pss_mb``, read after the calls.

``python -m benchmarks.screen_pop`` (1,000,000 patients, 200 calls) or ``--quick``.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from agent_app.app import desk_settings, not_ready_reasons
from agent_app.foundation import heap, qt_compat
from agent_app.foundation.config import AgentDeskSettings
from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from agent_app.sync.login import LoginError, LoginResult
from agent_app.telephony import protocol as p
from agent_app.views.desk_phone import DeskPhone
from agent_app.views.main_window import MainWindow
from agent_app.views.patient_panel import PatientPanel
from agent_app.views.script_panel import ScriptPanel
from agent_app.workflow.idle_lock import IdleLock
from server.seed import REMINDER_SCRIPT
from testbed.audio_server import audio_server
from testbed.json_lines import JsonLines
from testbed.ports import free_port
from testbed.processes import machine_ticks, pss_kib, steal_pct
from testbed.secret_service import secret_service
from testbed.store_population import campaign_item, patient_items, wide_number
from testbed.timing import Figures, percentile

FIGURES = Figures("screen_pop")
AGENT, WORKSTATION = "agent-bench", "ws-bench"
PAGE = 1_000
WAIT_S = 20.0
QUIET_S = 0.05


# -- the cache --------------------------------------------------------------------------


def build_cache(count: int) -> None:
    """The agent's cache with ``count`` patients (as ``cache_lookup`` loads it), closed.

    Run in a child process: the million generated records never touch the heap of this
    one, the desk's GUI process, whose memory is printed at the end.
    """
    store = AgentStore.open(
        agent_id=AGENT, workstation_id=WORKSTATION, secrets=SecretStore(), verify="none"
    )
    try:
        store.cache.apply_snapshot(
            "campaigns", [campaign_item("camp-a")], cursor="c-1", first=True, last=True
        )
        # The campaign's script, so that every call also starts its script run.
        script = {"id": "script-1", "name": "Reminder", "version": 1, "variants": REMINDER_SCRIPT}
        store.cache.apply_snapshot("scripts", [script], cursor="s-1", first=True, last=True)
        items = patient_items(count, wide=True, household_every=50)
        done = 0
        while done < count:
            page = list(itertools.islice(items, PAGE))
            done += len(page)
            store.cache.apply_snapshot(
                "patients", page, cursor=f"p-{done}", first=done <= PAGE, last=done >= count
            )
    finally:
        store.close()
    os.sync()  # the load's writeback must not land on the timed calls


def mobile(index: int) -> str:
    """Patient ``index``'s mobile number: theirs alone (home numbers may be a household's)."""
    return wide_number(2 * index + 1)


# -- waiting on the GUI thread ------------------------------------------------------------


def spin_until(predicate: Callable[[], object], what: str, timeout: float = WAIT_S) -> None:
    """Run the event loop until ``predicate()`` is true (checked every 5 ms)."""
    if predicate():
        return
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(5)
    poll.timeout.connect(lambda: loop.quit() if predicate() else None)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    poll.start()
    deadline.start(int(timeout * 1000))
    loop.exec()
    poll.stop()
    deadline.stop()
    if not predicate():
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class PaintWatch(QObject):
    """Stamps the first paint event of ``label`` once armed and ``ready()`` holds."""

    def __init__(self, label: QLabel, ready: Callable[[], bool]) -> None:
        super().__init__(label)
        self._ready = ready
        self.armed = False
        self.at: float | None = None
        self.text = ""
        label.installEventFilter(self)

    def arm(self) -> None:
        self.armed, self.at, self.text = True, None, ""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.armed and event.type() == QEvent.Type.Paint and self._ready():
            self.at = time.monotonic()
            self.armed = False
            self.text = watched.text() if isinstance(watched, QLabel) else ""
        return False


# -- the caller ---------------------------------------------------------------------------


class Tap:
    """``testbed.sip_tap`` in front of the desk's SIP port."""

    def __init__(self, work: Path, desk_port: int) -> None:
        log = work / "tap.jsonl"
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "testbed.sip_tap"),
                *("--forward-port", str(desk_port), "--log", str(log)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        banner = self.proc.stdout.readline().split()
        if banner[:1] != ["SIP-TAP"]:
            raise RuntimeError("the SIP relay did not start")
        self.port = int(banner[1])
        self.invites = JsonLines(log)

    def invite_from(self, number: str) -> dict[str, Any] | None:
        found = [i for i in self.invites.read() if i["from"] == number]
        return found[-1] if found else None

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.invites.close()


class Caller:
    """``pulse-phone listen --commands-stdin``: each call from an account of its own (the
    patient's number as its user), its events read back from a file."""

    def __init__(self, work: Path) -> None:
        log = work / "caller-events.jsonl"
        self._out = log.open("wb")
        self._err = (work / "caller-stderr.log").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agent_app.telephony.phone_cli",
                "listen",
                "--commands-stdin",
                "--port",
                str(free_port()),
            ],
            stdin=subprocess.PIPE,
            stdout=self._out,
            stderr=self._err,
        )
        self._events = JsonLines(log)

    def send(self, command: p.Command) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(p.encode(command))
        self.proc.stdin.flush()

    def find(self, kind: str, **fields: object) -> dict[str, Any] | None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the caller exited ({self.proc.returncode})")
        return self._events.find(kind, **fields)

    def ended(self, call_id: str) -> Callable[[], bool]:
        return lambda: self.find("call_ended", call_id=call_id) is not None

    def close(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.send(p.Shutdown())
            self.proc.stdin.close()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(10)
        self._events.close()
        self._out.close()
        self._err.close()


# -- the desk -----------------------------------------------------------------------------


@dataclass
class Stamps:
    """The GUI-side stamps of the call in progress (monotonic seconds)."""

    number: str = ""
    lookup_start: float = 0.0
    lookup_end: float = 0.0
    audit_s: float = 0.0
    incoming_at: float = 0.0
    arrived: float = 0.0
    """When the event reached this process (the engine client's reader thread)."""
    handled: float = 0.0
    """When the desk had handled the incoming call (its views updated, nothing painted)."""


def _refuse(agent_id: str, password: str) -> LoginResult:
    raise LoginError("the benchmark desk does not unlock")


class Desk:
    """The signed-in desk of ``pulse-agent`` (see ``agent_app.app._start_phone``)."""

    def __init__(self, store: AgentStore, port: int, engine_env: dict[str, str]) -> None:
        self.store = store
        self.stamps = Stamps()
        self.window = MainWindow(
            AGENT, "Bench Agent", idle_lock=IdleLock(3600), authenticate=_refuse
        )
        account = p.AccountSpec("primary", "agent", "127.0.0.1", register=False)
        config = p.EngineConfig(
            bind_address="127.0.0.1",
            local_port=port,
            audio="devices",
            audio_devices=p.AudioDevices(),  # as the app sends them: the system's defaults
            stats_interval_s=1.0,
            media_timeout_s=20.0,
        )
        journal_audit = store.journal.audit

        def timed_audit(action: str, *, patient_id: str | None, reason: str, result: str) -> str:
            # The card-view audit write the session makes before any panel shows the record.
            started = time.monotonic()
            try:
                return journal_audit(action, patient_id=patient_id, reason=reason, result=result)
            finally:
                if action == "view":
                    self.stamps.audit_s += time.monotonic() - started

        self.phone = DeskPhone.create(
            account=account,
            config=config,
            outbox=store.journal,
            audit=timed_audit,
            lookup=self._lookup,
            reasons=not_ready_reasons(store),
            settings=desk_settings(AgentDeskSettings(), account.account_id),
            engine_env=engine_env,
            parent=self.window,
        )
        self.window.attach_phone(self.phone, region="US")
        self.panel = PatientPanel(self.phone.session, store, self.window)
        self.window.set_patient_panel(self.panel)
        self.window.set_script_panel(
            ScriptPanel.for_store(self.phone.session, store, agent_name="Bench", parent=self.window)
        )
        self.phone.engine_event.connect(self._on_engine_event)
        assert self.phone.engine is not None
        # Run on the client's reader thread as the event arrives from the engine process.
        self.phone.engine.engine_event.connect(self._on_arrival, Qt.ConnectionType.DirectConnection)
        self.watch = PaintWatch(self.panel.card.greeting, self._card_shows_call)

    def _lookup(self, number: str) -> list[str]:
        """The app's lookup (``app._start_phone``), stamped."""
        started = time.monotonic()
        found = [r.id for r in self.store.caller_lookup(number)]
        if number == self.stamps.number:
            self.stamps.lookup_start, self.stamps.lookup_end = started, time.monotonic()
        return found

    def _on_arrival(self, event: p.Event) -> None:
        if isinstance(event, p.IncomingCall) and event.number == self.stamps.number:
            self.stamps.arrived = time.monotonic()

    def _on_engine_event(self, event: p.Event) -> None:
        if isinstance(event, p.IncomingCall) and event.number == self.stamps.number:
            # engine_event is emitted after the session and every view took the event.
            self.stamps.incoming_at, self.stamps.handled = event.at, time.monotonic()

    def _card_shows_call(self) -> bool:
        call = self.panel.call
        return self.panel.page == "card" and call is not None and call.number == self.stamps.number

    def start(self) -> None:
        self.phone.start()
        heap.settle()  # as the app does before it shows the desk
        self.window.resize(1280, 800)
        self.window.show()
        spin_until(lambda: self.phone.session.registered, "the desk's phone to take calls")
        assert self.phone.session.go_ready()

    def settle(self) -> None:
        """Back to idle and Ready after a call: its after-call work, if any, done."""
        session = self.phone.session
        spin_until(lambda: not session.calls, "the desk to see the call end")
        for item in session.wrap_ups:
            session.complete_wrap_up(item.call.record_id)
        if session.availability is not None:
            session.go_ready()
        spin_until(lambda: self.panel.page == "idle", "the patient panel to go idle")
        # Let the desk repaint its idle state before the next measurement starts.
        quiet_until = time.monotonic() + QUIET_S
        spin_until(lambda: time.monotonic() >= quiet_until, "a quiet moment")

    def stop(self) -> None:
        self.phone.stop()
        self.window.close()


def reference_paint(label: QLabel, index: int) -> float:
    """ms from new text on a plain label to its paint event (the machine's GUI floor)."""
    painted: list[float] = []

    class Once(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(time.monotonic())
            return False

    spy = Once(label)
    label.installEventFilter(spy)
    started = time.monotonic()
    label.setText(f"reference {index}")
    spin_until(lambda: painted, "the reference label's paint")
    label.removeEventFilter(spy)
    spy.deleteLater()
    return (painted[0] - started) * 1000


def run_calls(
    desk: Desk, caller: Caller, tap: Tap, count: int, calls: int, seed: int = 2025
) -> dict[str, list[float]]:
    parts: dict[str, list[float]] = {
        k: []
        for k in (
            "total",
            "invite_to_engine",
            "engine_to_gui",
            "engine_to_process",
            "lookup",
            "audit",
            "desk_update",
            "paint",
            "reference_paint",
            "tap_forward",
        )
    }
    reference = QLabel("reference")
    reference.resize(200, 40)
    reference.show()
    target = f"sip:agent@127.0.0.1:{tap.port}"
    rng = random.Random(seed)
    for i in range(calls):
        index = rng.randrange(count)
        number = mobile(index)
        call_id, account_id = f"s{seed}-c{i}", f"s{seed}-a{i}"
        desk.stamps = Stamps(number=number)
        desk.watch.arm()
        caller.send(p.AddAccount(p.AccountSpec(account_id, number, "127.0.0.1", register=False)))
        caller.send(p.Dial(call_id=call_id, account_id=account_id, target=target))
        spin_until(lambda: desk.watch.at is not None, f"the card of call {i} to paint")
        caller.send(p.Hangup(call_id=call_id))
        ended = caller.ended(call_id)
        spin_until(ended, f"call {i} to end")
        caller.send(p.RemoveAccount(account_id=account_id))
        desk.settle()
        invite = tap.invite_from(number)
        if invite is None:
            raise RuntimeError(f"the relay saw no INVITE of call {i}")
        record = desk.store.cache.get(f"pat-{index:08d}")
        if record is None or desk.watch.text != record.given_name:
            raise RuntimeError(f"call {i}: the card painted is not the caller's patient")
        s = desk.stamps
        painted = desk.watch.at
        assert painted is not None
        sent = float(invite["t"])
        parts["tap_forward"].append((float(invite["sent"]) - sent) * 1e6)
        parts["total"].append((painted - sent) * 1000)
        parts["invite_to_engine"].append((s.incoming_at - sent) * 1000)
        parts["engine_to_gui"].append((s.lookup_start - s.incoming_at) * 1000)
        parts["engine_to_process"].append((s.arrived - s.incoming_at) * 1000)
        parts["lookup"].append((s.lookup_end - s.lookup_start) * 1000)
        parts["audit"].append(s.audit_s * 1000)
        # The card may paint while the desk still handles the ring (it goes first).
        card_ready = min(s.handled, painted)
        parts["desk_update"].append((card_ready - s.lookup_end - s.audit_s) * 1000)
        parts["paint"].append((painted - card_ready) * 1000)
        parts["reference_paint"].append(reference_paint(reference, i))
    reference.close()
    return parts


def run(count: int, calls: int, work: Path) -> None:
    os.environ["PULSE_HOME"] = str(work / "home")
    FIGURES.emit("patients", count, "count")
    FIGURES.emit("calls", calls, "count")
    FIGURES.emit("load_average_1m_at_start", os.getloadavg()[0], "processes")
    builder = multiprocessing.get_context("spawn").Process(target=build_cache, args=(count,))
    builder.start()
    builder.join()
    if builder.exitcode != 0:
        raise RuntimeError(f"the cache was not built ({builder.exitcode})")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    qt_compat.apply()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert app is not None
    with audio_server(work / "audio") as sound:
        sound.add_speaker("headset_speaker")
        sound.add_microphone("headset_mic")
        sound.set_defaults(sink="headset_speaker", source="headset_mic")
        # Opened as at sign-in: lookups at once, the page check in the background.
        store = AgentStore.open(
            agent_id=AGENT, workstation_id=WORKSTATION, secrets=SecretStore(), verify="background"
        )
        desk = Desk(store, free_port(), sound.env)
        tap = Tap(work, desk.phone.config.local_port)
        caller = Caller(work)
        try:
            spin_until(lambda: caller.find("engine_ready"), "the caller's engine")
            desk.start()
            # One call first, not counted: the first paint of the card builds its fonts.
            run_calls(desk, caller, tap, count, 1, seed=1)
            before = machine_ticks()
            parts = run_calls(desk, caller, tap, count, calls)
            steal = steal_pct(before, machine_ticks())
            memory = {"gui": pss_kib(os.getpid()), "engine": pss_kib(desk.phone.engine_pid or 0)}
        finally:
            caller.close()
            tap.close()
            desk.stop()
            store.close()
    total = parts["total"]
    FIGURES.emit("screen_pop_p50_ms", percentile(total, 0.50), "ms")
    FIGURES.emit("screen_pop_p99_ms", percentile(total, 0.99), "ms", "<= 25")
    FIGURES.emit("screen_pop_max_ms", max(total), "ms")
    for name in (
        "invite_to_engine",
        "engine_to_gui",
        "engine_to_process",
        "lookup",
        "audit",
        "desk_update",
        "paint",
    ):
        FIGURES.emit(f"{name}_p50_ms", percentile(parts[name], 0.50), "ms")
        FIGURES.emit(f"{name}_p99_ms", percentile(parts[name], 0.99), "ms")
    FIGURES.emit("tap_forward_us_p50", percentile(parts["tap_forward"], 0.50), "us")
    FIGURES.emit("reference_paint_p50_ms", percentile(parts["reference_paint"], 0.50), "ms")
    FIGURES.emit("reference_paint_p99_ms", percentile(parts["reference_paint"], 0.99), "ms")
    if steal is not None:
        FIGURES.emit("steal_pct", steal, "%")
    # Context for the memory benchmark: this process is the desk's GUI with the whole
    # cache open (no sync service), the engine after its calls.
    FIGURES.emit("gui_pss_mb", memory["gui"] / 1024, "MiB")
    FIGURES.emit("engine_pss_mb", memory["engine"] / 1024, "MiB")
    FIGURES.emit("load_average_1m_at_end", os.getloadavg()[0], "processes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screen_pop")
    parser.add_argument("--quick", action="store_true", help="100,000 patients, 50 calls")
    parser.add_argument("--patients", type=int, help="population size (overrides --quick)")
    parser.add_argument("--calls", type=int, help="timed calls (overrides --quick)")
    args = parser.parse_args(argv)
    count = args.patients or (100_000 if args.quick else 1_000_000)
    calls = args.calls or (50 if args.quick else 200)
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as tmp:
        work = Path(tmp)
        with secret_service(work / "keyring") as env:
            os.environ.update(env)
            run(count, calls, work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
