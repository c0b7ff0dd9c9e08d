"""Test-only pjsua2 processes for the audio bridge's end-to-end tests and benchmark.

``python -m testbed.audio_call_harness peer --port P --tone HZ --record FILE``
answers every call, sends a tone and records what it hears (a WAV at 16 kHz).

``python -m testbed.audio_call_harness teardown --cycles N [--hold-gil-ms MS]``
starts and stops the bridge N times around a short tone "call" (teardown races).

``python -m testbed.audio_call_harness pulse --peer-port P [--microphone ID ...]``
is Pulse's side, shaped like the engine: QCoreApplication on the main thread, pjsua2
polled on one ``pulse-sip`` thread, the bridge (``QtCallAudio``) driven from that thread.
It calls the peer and takes JSON-line commands on stdin (``hold``, ``resume``,
``mute``, ``prefs``, ``tone``, ``stats``, ``stall_clock``, ``hold_gil``, ``quit``); it
prints JSON-line events, and every Qt message of level warning or above as
``{"event": "qt_warning"}`` so tests can fail on them.
"""

from __future__ import annotations

import argparse
import gc
import json
import queue
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pjsua2 as pj

from agent_app.foundation import qt_compat
from agent_app.telephony.call_audio import CONFERENCE_FRAME_MS


def emit(**event: Any) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def make_endpoint(port: int) -> pj.Endpoint:
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = False
    cfg.medConfig.noVad = True
    cfg.medConfig.clockRate = 16000
    cfg.medConfig.audioFramePtime = CONFERENCE_FRAME_MS  # as the engine does
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
    ep.libInit(cfg)
    tcfg = pj.TransportConfig()
    tcfg.port = port
    tcfg.boundAddress = "127.0.0.1"
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()
    ep.audDevManager().setNullDev()
    for codec in [c.codecId for c in ep.codecEnum2()]:
        ep.codecSetPriority(codec, 0)
    for prio, name in ((255, "G722/16000"), (254, "PCMA/8000"), (253, "PCMU/8000")):
        for codec in [c.codecId for c in ep.codecEnum2()]:
            if codec.startswith(name):
                ep.codecSetPriority(codec, prio)
    return ep


def local_account(user: str) -> pj.Account:
    acc = pj.Account()
    cfg = pj.AccountConfig()
    cfg.idUri = f"sip:{user}@127.0.0.1"
    acc.create(cfg)
    return acc


# -- the peer -------------------------------------------------------------------------------
class PeerCall(pj.Call):  # type: ignore[misc]
    def __init__(self, owner: Peer, acc: pj.Account, call_id: int) -> None:
        super().__init__(acc, call_id)
        self.owner = owner

    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        emit(event="peer_state", state=int(info.state))
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.owner.ended.append(self)

    def onCallMediaState(self, prm: Any) -> None:
        info = self.getInfo()
        for m in info.media:
            if m.type == pj.PJMEDIA_TYPE_AUDIO and m.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                media = self.getAudioMedia(m.index)
                self.owner.tone.startTransmit(media)
                media.startTransmit(self.owner.recorder)
                emit(event="peer_media", active=True)


class PeerAccount(pj.Account):  # type: ignore[misc]
    def __init__(self, owner: Peer) -> None:
        super().__init__()
        self.owner = owner

    def onIncomingCall(self, prm: Any) -> None:
        call = PeerCall(self.owner, self, prm.callId)
        self.owner.calls.append(call)
        op = pj.CallOpParam()
        op.statusCode = 200
        call.answer(op)


class Peer:
    def __init__(self, args: argparse.Namespace) -> None:
        self.ep = make_endpoint(args.port)
        self.calls: list[PeerCall] = []
        self.ended: list[PeerCall] = []
        self.tone = pj.ToneGenerator()
        self.tone.createToneGenerator(16000, 1)
        desc = pj.ToneDesc()
        desc.freq1 = args.tone
        desc.freq2 = 0
        desc.on_msec = 1000
        desc.off_msec = 0
        desc.volume = 0
        tones = pj.ToneDescVector()
        tones.append(desc)
        self.tone.play(tones, True)
        self.recorder = pj.AudioMediaRecorder()
        self.recorder.createRecorder(args.record)
        cfg = pj.AccountConfig()
        cfg.idUri = "sip:peer@127.0.0.1"
        self.acc = PeerAccount(self)
        self.acc.create(cfg)

    def run(self) -> None:
        stop = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        emit(event="ready")
        while not stop.is_set():
            self.ep.libHandleEvents(10)
            for call in self.ended:
                if call in self.calls:
                    self.calls.remove(call)
            self.ended.clear()
        self.ep.hangupAllCalls()
        end = time.monotonic() + 2
        while self.calls and time.monotonic() < end:
            self.ep.libHandleEvents(10)
            self.calls = [c for c in self.calls if c not in self.ended]
        self.calls.clear()
        self.ended.clear()
        del self.recorder, self.tone
        gc.collect()
        self.acc.shutdown()
        del self.acc
        gc.collect()
        self.ep.libDestroy()


# -- Pulse's side -----------------------------------------------------------------------------
class PulseCall(pj.Call):  # type: ignore[misc]
    def __init__(self, owner: PulseSide, acc: pj.Account) -> None:
        super().__init__(acc)
        self.owner = owner
        self.media: Any = None
        self.disconnected = False

    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        emit(event="call_state", state=int(info.state))
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            if self.media is not None:
                self.owner.audio.disconnect_call(self.media)
                self.media = None
            self.disconnected = True

    def onCallMediaState(self, prm: Any) -> None:
        info = self.getInfo()
        audio = self.owner.audio
        for m in info.media:
            if m.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            if self.media is not None:
                audio.disconnect_call(self.media)
                self.media = None
            if m.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.media = self.getAudioMedia(m.index)
                audio.connect_call(self.media)
                audio.set_muted(audio.muted)
            emit(event="media", status=int(m.status), active=self.media is not None)


class PulseSide:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.commands: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.done = threading.Event()

    def sip_thread(self) -> None:
        from agent_app.telephony.audio.bridge import QtCallAudio

        args = self.args
        if args.stalling_port:
            install_stalling_port()
        ep = make_endpoint(0)
        acc = local_account("agent")
        prefs = {"microphone": args.microphone, "speaker": args.speaker, "ringer": args.ringer}
        self.audio = QtCallAudio(
            preferences=prefs,  # type: ignore[arg-type]
            on_event=lambda e: emit(event="audio", **asdict(e)),
        )
        self.audio.start()
        call: PulseCall | None = PulseCall(self, acc)
        op = pj.CallOpParam(True)
        assert call is not None
        call.makeCall(f"sip:peer@127.0.0.1:{args.peer_port}", op)
        emit(event="ready", direct_frames=self.audio.port is not None)
        running = True
        while running:
            ep.libHandleEvents(5)
            while True:
                try:
                    cmd = self.commands.get_nowait()
                except queue.Empty:
                    break
                running = self.command(cmd, call)
        if call is not None and not call.disconnected:
            with_suppress(ep.hangupAllCalls)
            end = time.monotonic() + 3
            while not call.disconnected and time.monotonic() < end:
                ep.libHandleEvents(10)
        call = None
        gc.collect()
        self.audio.stop()
        report = getattr(self.audio, "last_teardown", None)
        teardown = asdict(report) if report is not None else None
        del self.audio
        gc.collect()
        acc.shutdown()
        del acc
        gc.collect()
        ep.libDestroy()
        emit(
            event="stopped",
            teardown=teardown,
            callback_threads={str(k): v for k, v in CALLBACK_THREADS.items()},
        )
        self.done.set()

    def command(self, cmd: dict[str, Any], call: PulseCall | None) -> bool:
        name = cmd.get("cmd")
        if name == "quit":
            return False
        if name == "hold" and call is not None:
            call.setHold(pj.CallOpParam(True))
        elif name == "resume" and call is not None:
            op = pj.CallOpParam(True)
            op.opt.flag = pj.PJSUA_CALL_UNHOLD
            call.reinvite(op)
        elif name == "mute":
            self.audio.set_muted(bool(cmd["on"]))
        elif name == "prefs":
            self.audio.set_preferences(**cmd["prefs"])
        elif name == "tone":
            from agent_app.telephony.audio.tones import ToneKind

            if cmd.get("kind"):
                self.audio.play_tone(ToneKind(cmd["kind"]))
            else:
                self.audio.stop_tone()
        elif name == "stall_clock" and self.audio.port is not None:
            self.audio.port.stall_s = float(cmd["ms"]) / 1000
        elif name == "hold_gil":
            hold_gil_repeatedly(float(cmd["ms"]) / 1000)
        elif name == "stats":
            stats = self.audio.stats()
            emit(event="stats", **asdict(stats), t=time.monotonic())
        return True


def install_stalling_port() -> None:
    """Make the bridge build a port whose callbacks can be slowed down (``stall_clock``).

    Each callback then sleeps (the GIL released) before doing its work: pjsua2's media
    clock thread spends most of its time inside the port, as it did under ``strace`` when
    a teardown raced a callback. Test-only: the product's port never sleeps.
    """
    from agent_app.telephony.audio import port as port_module

    base = port_module.BridgePort
    if getattr(base, "stalls", False):
        return

    class StallingPort(base):  # type: ignore[misc, valid-type]
        stalls = True
        stall_s = 0.0

        def onFrameRequested(self, frame: Any) -> None:
            note_callback_thread()
            if self.stall_s:
                time.sleep(self.stall_s)
            base.onFrameRequested(self, frame)

        def onFrameReceived(self, frame: Any) -> None:
            note_callback_thread()
            if self.stall_s:
                time.sleep(self.stall_s)
            base.onFrameReceived(self, frame)

    port_module.BridgePort = StallingPort


CALLBACK_THREADS: dict[int, str] = {}
"""Native id -> name of each thread that ran a port callback (``--stalling-port`` only)."""


def note_callback_thread() -> None:
    tid = threading.get_native_id()
    if tid not in CALLBACK_THREADS:
        try:
            CALLBACK_THREADS[tid] = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
        except OSError:
            CALLBACK_THREADS[tid] = "?"


def hold_gil_repeatedly(seconds: float) -> None:
    """Hold the GIL for ``seconds`` at a time, again and again, on a thread of its own.

    A C call that keeps the GIL (``usleep`` through ``ctypes.PyDLL``), like a large
    ``json.loads``: pjsua2's media clock thread then waits for the GIL at the start of each
    port callback, inside the tick, which is where a teardown can catch it.
    """
    import ctypes

    libc = ctypes.PyDLL(None)
    usleep = libc.usleep
    usleep.argtypes = (ctypes.c_uint,)

    def hog() -> None:
        while True:
            usleep(int(seconds * 1e6))
            time.sleep(0.0005)

    threading.Thread(target=hog, name="gil-hog", daemon=True).start()


def with_suppress(fn: Any) -> None:
    try:
        fn()
    except Exception as exc:
        emit(event="warning", message=str(exc))


def run_pulse(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QCoreApplication, QTimer, QtMsgType, qInstallMessageHandler

    def on_message(kind: QtMsgType, context: Any, message: str) -> None:
        if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            emit(event="qt_warning", category=str(context.category), message=message)

    qInstallMessageHandler(on_message)
    qt_compat.apply()
    app = QCoreApplication([])
    side = PulseSide(args)

    def read_stdin() -> None:
        for line in sys.stdin:
            if line.strip():
                side.commands.put(json.loads(line))
        side.commands.put({"cmd": "quit"})

    threading.Thread(target=read_stdin, daemon=True).start()
    sip = threading.Thread(target=side.sip_thread, name="pulse-sip")
    sip.start()
    timer = QTimer()
    timer.timeout.connect(lambda: app.quit() if side.done.is_set() else None)
    timer.start(50)
    app.exec()
    sip.join()
    return 0


def run_teardowns(args: argparse.Namespace) -> int:
    """Start and stop the bridge ``--cycles`` times, each time with a short "call" (a tone
    generator linked both ways) and, with ``--hold-gil-ms``, another thread holding the
    GIL again and again; emits each stop's teardown report."""
    from PySide6.QtCore import QCoreApplication

    from agent_app.telephony.audio.bridge import QtCallAudio

    qt_compat.apply()
    app = QCoreApplication([])
    done = threading.Event()

    def sip() -> None:
        ep = make_endpoint(0)
        tones = pj.ToneGenerator()
        tones.createToneGenerator(16000, 1)
        if args.hold_gil_ms:
            hold_gil_repeatedly(args.hold_gil_ms / 1000)

        def pump(seconds: float) -> None:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                ep.libHandleEvents(5)

        for _ in range(args.cycles):
            audio = QtCallAudio()
            audio.start()
            audio.connect_call(tones)
            pump(0.15)
            audio.disconnect_call(tones)
            audio.stop()
            report = getattr(audio, "last_teardown", None)
            emit(event="teardown", **(asdict(report) if report is not None else {}))
            del audio
            pump(0.02)
        del tones
        gc.collect()
        ep.libDestroy()
        emit(event="stopped")
        done.set()

    thread = threading.Thread(target=sip, name="pulse-sip")
    thread.start()
    while not done.wait(0.05):
        app.processEvents()
    thread.join()
    return 0


def run_clock_gone(args: argparse.Namespace) -> int:
    """The clock thread ends while the port holds its pin (the sound device closed under
    a call) and never comes back: the teardown gives up after its bound, the pin stays
    on the ended thread, and the process must still shut down and exit cleanly."""
    from agent_app.telephony.audio.frame_access import FrameAccess
    from agent_app.telephony.audio.port import BridgePort
    from agent_app.telephony.audio.ring import SampleRing

    ep = make_endpoint(0)
    tones = pj.ToneGenerator()
    tones.createToneGenerator(16000, 1)
    port = BridgePort(SampleRing(8000), SampleRing(8000), 16000, 160, FrameAccess(pj))
    port.create()
    tones.startTransmit(port)
    port.startTransmit(tones)
    port.in_call = True
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        ep.libHandleEvents(5)
    ep.audDevManager().setNoDev()  # pjsua stops the null device's clock thread
    tones.stopTransmit(port)
    port.stopTransmit(tones)
    report = port.leave_conference(timeout=0.5)
    emit(event="teardown", **asdict(report))
    del port, tones
    gc.collect()
    ep.libDestroy()
    emit(event="stopped")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="role", required=True)
    peer = sub.add_parser("peer")
    peer.add_argument("--port", type=int, required=True)
    peer.add_argument("--tone", type=int, default=1000)
    peer.add_argument("--record", required=True)
    pulse = sub.add_parser("pulse")
    pulse.add_argument("--peer-port", type=int, required=True)
    pulse.add_argument("--microphone", default="")
    pulse.add_argument("--speaker", default="")
    pulse.add_argument("--ringer", default="")
    pulse.add_argument(
        "--stalling-port", action="store_true", help="test hooks: stall_clock, thread names"
    )
    teardown = sub.add_parser("teardown")
    teardown.add_argument("--cycles", type=int, default=10)
    teardown.add_argument("--hold-gil-ms", type=float, default=0.0)
    sub.add_parser("clock-gone")
    args = parser.parse_args()
    if args.role == "clock-gone":
        return run_clock_gone(args)
    if args.role == "teardown":
        return run_teardowns(args)
    if args.role == "peer":
        Peer(args).run()
        return 0
    return run_pulse(args)


if __name__ == "__main__":
    sys.exit(main())
