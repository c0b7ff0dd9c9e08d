"""The pjsua2 owner: one Endpoint, its accounts and calls, on one dedicated thread.

pjsua2 runs with ``uaConfig.threadCnt = 0`` and is pumped by ONE Python thread that this
module starts (``pulse-sip``): it creates the Endpoint, polls ``libHandleEvents``, runs
every command and receives every callback, so no other Python thread enters pjsua2 (why:
docs/decisions/0002-pjsua2-polled-on-one-thread.md). Other threads use
:meth:`Engine.submit`, which only appends to a queue; media runs on pjsua2's own threads.

Call lifetime: each ``pj.Call`` stays in ``Engine._calls`` until DISCONNECTED and its last
reference is dropped at the end of the callback reporting it; its players, recorders and
bridge links are released before it. Shutdown hangs up every call, pumps until all are
gone, drops all references, collects garbage, shuts the accounts down and only then
calls ``libDestroy``; failed commands lose their traceback so no frame keeps a pjsua2
object alive past it.

Every call event also goes to a :class:`~agent_app.telephony.call_tones.ToneDecider`
when the bridge can play tones. Events leave through ``on_event``, called on the pjsua2
thread with a :mod:`protocol` dataclass; it must return quickly.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pjsua2 as pj

from agent_app.telephony import protocol as p
from agent_app.telephony.addressing import InvalidTarget, caller_identity, normalise_target
from agent_app.telephony.call_audio import (
    CONFERENCE_FRAME_MS,
    CallAudio,
    ToneAudio,
    resolve_audio_bridge,
)
from agent_app.telephony.call_tones import ToneDecider, ToneName

log = logging.getLogger(__name__)

_POLL_MS = 5
_MAX_CALLS = 12
_TRANSPORT_TYPES = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}
_SRTP = {
    "off": pj.PJMEDIA_SRTP_DISABLED,
    "optional": pj.PJMEDIA_SRTP_OPTIONAL,
    "mandatory": pj.PJMEDIA_SRTP_MANDATORY,
}
_CALL_STATES: dict[int, p.CallStateName] = {
    pj.PJSIP_INV_STATE_CALLING: "calling",
    pj.PJSIP_INV_STATE_INCOMING: "ringing",
    pj.PJSIP_INV_STATE_EARLY: "early",
    pj.PJSIP_INV_STATE_CONNECTING: "connecting",
    pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
    pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected",
}
_MEDIA_STATES: dict[int, p.MediaStateName] = {
    pj.PJSUA_CALL_MEDIA_NONE: "none",
    pj.PJSUA_CALL_MEDIA_ACTIVE: "active",
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: "local_hold",
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: "remote_hold",
    pj.PJSUA_CALL_MEDIA_ERROR: "error",
}
# The SIP codes with which a peer refuses an offer it cannot accept.
_NOT_ACCEPTABLE = (488, 606)


class EngineError(RuntimeError):
    """A command that cannot be carried out (unknown call, wrong state, bad target)."""


# ---------------------------------------------------------------- pjsua2 subclasses
# They only forward to the engine; they never hold state of their own.


class _Endpoint(pj.Endpoint):  # type: ignore[misc]
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    def onTransportState(self, prm: Any) -> None:
        self._engine._on_transport_state(prm)

    def onRejectedIncomingCall(self, prm: Any) -> None:
        self._engine._on_rejected_incoming(int(prm.statusCode), str(prm.reason))


class _Account(pj.Account):  # type: ignore[misc]
    def __init__(self, engine: Engine, account_id: str) -> None:
        super().__init__()
        self._engine = engine
        self.account_id = account_id

    def onRegState(self, prm: Any) -> None:
        self._engine._on_reg_state(self, int(prm.code), str(prm.reason), int(prm.expiration))

    def onIncomingCall(self, prm: Any) -> None:
        self._engine._on_incoming_call(self, int(prm.callId), str(prm.rdata.wholeMsg))


class _Call(pj.Call):  # type: ignore[misc]
    def __init__(self, engine: Engine, account: _Account, call_id: str, pj_id: int) -> None:
        if pj_id < 0:
            super().__init__(account)
        else:
            super().__init__(account, pj_id)
        self._engine = engine
        self.call_id = call_id

    def onCallState(self, prm: Any) -> None:
        self._engine._on_call_state(self)

    def onCallMediaState(self, prm: Any) -> None:
        self._engine._on_call_media_state(self)

    def onDtmfDigit(self, prm: Any) -> None:
        self._engine._on_dtmf(self, str(prm.digit), int(prm.method), int(prm.duration))

    def onCallTransferRequest(self, prm: Any) -> None:
        self._engine._on_transfer_request(self, prm)

    def onCallTransferStatus(self, prm: Any) -> None:
        self._engine._on_transfer_status(
            self, int(prm.statusCode), str(prm.reason), bool(prm.finalNotify)
        )

    def onCallReplaced(self, prm: Any) -> None:
        self._engine._on_call_replaced(self, prm)


# ---------------------------------------------------------------- per-call state


@dataclass
class _CallRecord:
    call: _Call
    account_id: str
    direction: str  # "incoming" / "outgoing"
    muted: bool = False
    hangup_requested: bool = False
    ended_by: p.EndedBy | None = None
    end_reason: str = ""
    media: Any = None  # the current pj.AudioMedia, or None
    media_state: p.MediaStateName = "none"
    players: list[Any] = field(default_factory=list)
    recorders: list[Any] = field(default_factory=list)
    bridged: bool = False
    last_rx: int = -1
    last_rx_change: float = 0.0
    connected_at: float = 0.0

    def media_state_hold(self) -> bool:
        return self.media_state in ("local_hold", "remote_hold")


@dataclass
class _AccountRecord:
    account: _Account
    spec: p.AccountSpec
    on_fallback: bool = False
    failures: int = 0
    last_state: str = ""


def _registrar_uri(host: str, transport: str) -> str:
    uri = host if host.lower().startswith(("sip:", "sips:")) else f"sip:{host}"
    if transport != "udp" and ";transport=" not in uri:
        uri += f";transport={transport}"
    return uri


def _proxy_uri(host: str, transport: str) -> str:
    uri = _registrar_uri(host, transport)
    return uri if ";lr" in uri else uri + ";lr"


class Engine:
    """One pjsua2 Endpoint on its own thread; commands in, events out.

    ``audio_factory`` builds the :class:`CallAudio` bridge on the pjsua2 thread after
    the library started (None: the null device only, as in pulse-phone).
    """

    def __init__(
        self,
        on_event: Callable[[p.Event], None],
        audio_factory: Callable[[], CallAudio] | None = None,
    ) -> None:
        self._on_event = on_event
        self._audio_factory = audio_factory
        self._audio: CallAudio | None = None
        self._tone_audio: ToneAudio | None = None
        self._tones = ToneDecider()
        self._tone_playing: ToneName | None = None
        self._commands: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any] | None]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._ep: _Endpoint | None = None
        self._config = p.EngineConfig()
        self._transports: dict[str, int] = {}
        self._ports: dict[str, int] = {}
        self._accounts: dict[str, _AccountRecord] = {}
        self._calls: dict[str, _CallRecord] = {}
        self._conferences: list[set[str]] = []
        self._next_auto_id = 0
        self._last_watch = 0.0
        self._last_stats = 0.0

    # ------------------------------------------------------------ lifecycle (any thread)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._ready.is_set()

    @property
    def ports(self) -> dict[str, int]:
        return dict(self._ports)

    def start(self, config: p.EngineConfig, timeout: float = 15.0) -> None:
        """Start the pjsua2 thread and wait until the library runs; raises EngineError."""
        if self._thread is not None:
            raise EngineError("the engine is already started")
        self._config = config
        self._thread = threading.Thread(target=self._run, name="pulse-sip", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise EngineError("the SIP library did not start in time")
        if self._start_error is not None:
            raise EngineError(f"the SIP library did not start: {self._start_error}")

    def stop(self, timeout: float = 10.0) -> None:
        """Hang up every call, release everything and destroy the library."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout)
        self._thread = None

    def submit(self, command: p.Command) -> Future[Any]:
        """Queue a command for the pjsua2 thread; the future holds its result or error.

        Failures are also reported as a :class:`protocol.CommandFailed` event.
        """
        future: Future[Any] = Future()
        self._commands.put((lambda: self._execute(command), future))
        return future

    def run_sync(self, command: p.Command, timeout: float = 10.0) -> Any:
        return self.submit(command).result(timeout)

    # ------------------------------------------------------------ the pjsua2 thread

    def _run(self) -> None:
        try:
            self._create_library()
        except Exception as exc:  # the library refused its configuration
            self._start_error = exc
            self._ready.set()
            self._destroy_library()
            return
        self._ready.set()
        try:
            while not self._stop.is_set():
                self._turn()
        finally:
            self._shutdown_library()

    def _turn(self) -> None:
        assert self._ep is not None
        self._ep.libHandleEvents(_POLL_MS)
        while True:
            try:
                job, future = self._commands.get_nowait()
            except queue.Empty:
                break
            try:
                result = job()
            except Exception as exc:
                # No traceback or context: their frames would keep pjsua2 objects alive.
                exc.__context__ = None
                if future is not None:
                    future.set_exception(exc.with_traceback(None))
            else:
                if future is not None:
                    future.set_result(result)
        now = time.monotonic()
        if self._tone_playing is not None:
            self._sync_tone(now)  # the busy tone ends by itself
        every = min(0.25, self._config.stats_interval_s or 0.25)
        if now - self._last_watch >= every:
            self._last_watch = now
            self._watch_media(now)

    def _create_library(self) -> None:
        cfg = self._config
        ep = _Endpoint(self)
        self._ep = ep
        ep.libCreate()
        ep_cfg = pj.EpConfig()
        ep_cfg.uaConfig.threadCnt = 0
        ep_cfg.uaConfig.mainThreadOnly = False
        ep_cfg.uaConfig.userAgent = cfg.user_agent
        # Each call holds two media sockets in an ioqueue of 64 handles, and a full
        # ioqueue aborts the process (an assertion, not an error): stay well below.
        ep_cfg.uaConfig.maxCalls = _MAX_CALLS
        if cfg.stun_server:
            ep_cfg.uaConfig.stunServer.append(cfg.stun_server)
            ep_cfg.uaConfig.stunIgnoreFailure = True
        ep_cfg.logConfig.level = cfg.log_level
        ep_cfg.logConfig.consoleLevel = cfg.log_level
        ep_cfg.medConfig.noVad = True
        ep_cfg.medConfig.hasIoqueue = True
        ep_cfg.medConfig.threadCnt = 1
        ep_cfg.medConfig.audioFramePtime = CONFERENCE_FRAME_MS
        ep.libInit(ep_cfg)
        for name in cfg.transports:
            tcfg = pj.TransportConfig()
            tcfg.boundAddress = cfg.bind_address
            tcfg.port = cfg.tls_port if name == "tls" else cfg.local_port
            if name in ("tcp", "tls"):
                # Without TCP_NODELAY, Nagle plus delayed ACKs add ~40 ms per exchange.
                nodelay = pj.SockOpt()
                nodelay.level = socket.IPPROTO_TCP
                nodelay.optName = socket.TCP_NODELAY
                nodelay.setOptValInt(1)
                target = tcfg.tlsConfig.sockOptParams if name == "tls" else tcfg.sockOptParams
                target.sockOpts.append(nodelay)
            if name == "tls":
                tls = tcfg.tlsConfig
                tls.method = pj.PJSIP_TLSV1_2_METHOD
                tls.CaListFile = cfg.tls_ca_file
                tls.certFile = cfg.tls_cert_file
                tls.privKeyFile = cfg.tls_key_file
                tls.verifyServer = cfg.tls_verify_server
                tls.verifyClient = False
            tid = ep.transportCreate(_TRANSPORT_TYPES[name], tcfg)
            self._transports[name] = tid
            self._ports[name] = int(ep.transportGetInfo(tid).localName.rsplit(":", 1)[1])
        ep.libStart()
        ep.audDevManager().setNullDev()
        self._apply_codecs(cfg.codecs)
        factory = self._audio_factory or resolve_audio_bridge(cfg.audio)
        if factory is not None:
            self._audio = factory()
            self._audio.start()
            if isinstance(self._audio, ToneAudio):
                self._tone_audio = self._audio
        self._emit(
            p.EngineReady(
                pjsip_version=str(ep.libVersion().full),
                ports=tuple(f"{k}:{v}" for k, v in self._ports.items()),
            )
        )

    def _apply_codecs(self, wanted: tuple[str, ...]) -> None:
        assert self._ep is not None
        available = [str(c.codecId) for c in self._ep.codecEnum2()]
        for codec in available:
            self._ep.codecSetPriority(codec, 0)
        priority = 255
        for name in wanted:
            matches = [c for c in available if c.lower().startswith(name.lower())]
            if not matches:
                log.warning("codec %s is not available in this build", name)
            for codec in matches:
                self._ep.codecSetPriority(codec, priority)
            priority -= 1

    def _shutdown_library(self) -> None:
        ep = self._ep
        if ep is None:
            return
        with contextlib.suppress(Exception):
            ep.hangupAllCalls()
        deadline = time.monotonic() + 3.0
        while self._calls and time.monotonic() < deadline:
            ep.libHandleEvents(10)
        for record in list(self._calls.values()):
            self._release_call_media(record)
        self._calls.clear()
        self._conferences.clear()
        self._tones.clear()
        self._sync_tone(time.monotonic())
        self._tone_audio = None
        if self._audio is not None:
            with contextlib.suppress(Exception):
                self._audio.stop()
            self._audio = None
        for rec in self._accounts.values():
            with contextlib.suppress(Exception):
                rec.account.shutdown()
        # Let un-REGISTER transactions leave before the transports close.
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            ep.libHandleEvents(10)
        self._accounts.clear()
        gc.collect()
        self._emit(p.EngineStopped())
        self._destroy_library()

    def _destroy_library(self) -> None:
        if self._ep is not None:
            with contextlib.suppress(Exception):
                self._ep.libDestroy()
            self._ep = None

    # ------------------------------------------------------------ events

    def _sync_tone(self, now: float) -> None:
        """Start, change or stop the bridge's tone when the wanted one changed."""
        audio = self._tone_audio
        if audio is None:
            return
        wanted = self._tones.wanted(now)
        if wanted == self._tone_playing:
            return
        self._tone_playing = wanted
        try:
            if wanted is None:
                audio.stop_tone()
            else:
                audio.play_tone(wanted)
        except Exception:  # a tone is a nicety: never let it break call handling
            log.exception("the audio bridge could not play the %s tone", wanted or "no")

    def _emit(self, event: p.Event) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("event handler failed for %s", event.type)

    # ------------------------------------------------------------ commands

    def _execute(self, command: p.Command) -> Any:
        handler = getattr(self, f"_cmd_{command.type}", None)
        if handler is None:
            raise EngineError(f"the engine does not handle '{command.type}'")
        try:
            return handler(command)
        except (EngineError, InvalidTarget) as exc:
            self._emit(
                p.CommandFailed(
                    command=command.type, message=str(exc), call_id=getattr(command, "call_id", "")
                )
            )
            raise
        except pj.Error as exc:
            message = f"{exc.title}: {exc.reason}"
            self._emit(
                p.CommandFailed(
                    command=command.type, message=message, call_id=getattr(command, "call_id", "")
                )
            )
            raise EngineError(message) from None

    def _record(self, call_id: str) -> _CallRecord:
        record = self._calls.get(call_id)
        if record is None:
            raise EngineError(f"no call '{call_id}'")
        return record

    def _cmd_ping(self, cmd: p.Ping) -> None:
        self._emit(p.Pong(seq=cmd.seq))

    def _cmd_query_state(self, cmd: p.QueryState) -> None:
        self._emit(p.EngineState(tuple(sorted(self._calls)), tuple(sorted(self._accounts))))

    def _cmd_start_engine(self, cmd: p.StartEngine) -> None:
        raise EngineError("the engine is already started")

    def _cmd_shutdown(self, cmd: p.Shutdown) -> None:
        self._stop.set()

    def _cmd_add_account(self, cmd: p.AddAccount) -> None:
        spec = cmd.account
        if spec.account_id in self._accounts:
            raise EngineError(f"account '{spec.account_id}' exists")
        if spec.transport not in self._transports:
            raise EngineError(f"no {spec.transport} transport is configured")
        account = _Account(self, spec.account_id)
        record = _AccountRecord(account, spec)
        self._accounts[spec.account_id] = record
        try:
            account.create(self._account_config(spec, fallback=False))
        except pj.Error:
            del self._accounts[spec.account_id]
            raise
        if spec.register and spec.registrar:
            self._emit(
                p.RegistrationChanged(spec.account_id, "registering", registrar=spec.registrar)
            )

    def _account_config(self, spec: p.AccountSpec, *, fallback: bool) -> Any:
        cfg = self._config
        acfg = pj.AccountConfig()
        user_part = f"{spec.username}@{spec.domain}" if spec.username else spec.domain
        id_uri = f"sip:{user_part}"
        acfg.idUri = f'"{spec.display_name}" <{id_uri}>' if spec.display_name else id_uri
        registrar = spec.fallback_registrar if fallback else spec.registrar
        if spec.register and registrar:
            acfg.regConfig.registrarUri = _registrar_uri(registrar, spec.transport)
            acfg.regConfig.timeoutSec = spec.expiry_s
            acfg.regConfig.firstRetryIntervalSec = spec.retry_first_s
            acfg.regConfig.retryIntervalSec = spec.retry_s
            acfg.regConfig.randomRetryIntervalSec = 0
            acfg.regConfig.dropCallsOnFail = False
        if spec.password:
            acfg.sipConfig.authCreds.append(
                pj.AuthCredInfo(
                    "digest", "*", spec.auth_username or spec.username, 0, spec.password
                )
            )
        if spec.outbound_proxy:
            acfg.sipConfig.proxies.append(_proxy_uri(spec.outbound_proxy, spec.transport))
        acfg.sipConfig.transportId = self._transports[spec.transport]
        nat = acfg.natConfig
        nat.contactRewriteUse = 1
        nat.viaRewriteUse = 1
        nat.sdpNatRewriteUse = 0
        nat.udpKaIntervalSec = cfg.keepalive_s
        nat.iceEnabled = cfg.ice
        nat.sipStunUse = (
            pj.PJSUA_STUN_USE_DEFAULT if cfg.stun_server else pj.PJSUA_STUN_USE_DISABLED
        )
        nat.mediaStunUse = nat.sipStunUse
        acfg.mediaConfig.srtpUse = _SRTP[cfg.srtp]
        # SRTP keys travel in SDP: over plain SIP they are readable, but requiring
        # TLS would forbid SRTP on a UDP trunk; keys-over-TLS is a deployment choice.
        acfg.mediaConfig.srtpSecureSignaling = 0
        acfg.mediaConfig.transportConfig.boundAddress = (
            "" if cfg.bind_address == "0.0.0.0" else cfg.bind_address  # noqa: S104
        )
        if cfg.session_timer_s:
            acfg.callConfig.timerSessExpiresSec = cfg.session_timer_s
            acfg.callConfig.timerMinSESec = min(90, cfg.session_timer_s)
        return acfg

    def _cmd_remove_account(self, cmd: p.RemoveAccount) -> None:
        record = self._accounts.pop(cmd.account_id, None)
        if record is None:
            raise EngineError(f"no account '{cmd.account_id}'")
        # shutdown() sends the un-REGISTER in the background; its answer no longer
        # reaches a callback, so the state change is reported here.
        record.account.shutdown()
        if record.spec.register and record.spec.registrar:
            self._emit(
                p.RegistrationChanged(
                    cmd.account_id,
                    "unregistered",
                    reason="account removed",
                    registrar=record.spec.registrar,
                )
            )

    def _cmd_handle_ip_change(self, cmd: p.HandleIpChange) -> None:
        assert self._ep is not None
        self._ep.handleIpChange(pj.IpChangeParam())

    def _new_call_id(self) -> str:
        self._next_auto_id += 1
        return f"in-{self._next_auto_id}"

    def _cmd_dial(self, cmd: p.Dial) -> str:
        acc = self._accounts.get(cmd.account_id)
        if acc is None:
            raise EngineError(f"no account '{cmd.account_id}'")
        if cmd.call_id in self._calls:
            raise EngineError(f"call id '{cmd.call_id}' is in use")
        uri = normalise_target(cmd.target, acc.spec.domain, acc.spec.transport)
        call = _Call(self, acc.account, cmd.call_id, -1)
        record = _CallRecord(call, cmd.account_id, "outgoing")
        self._calls[cmd.call_id] = record
        self._tones.outgoing(cmd.call_id)
        prm = pj.CallOpParam(True)
        try:
            call.makeCall(uri, prm)
        except pj.Error:
            del self._calls[cmd.call_id]
            self._tones.forget(cmd.call_id)
            raise
        return cmd.call_id

    def _cmd_answer(self, cmd: p.Answer) -> None:
        record = self._record(cmd.call_id)
        prm = pj.CallOpParam(True)
        prm.statusCode = 200
        record.call.answer(prm)
        self._tones.settled(cmd.call_id)
        self._sync_tone(time.monotonic())

    def _cmd_decline(self, cmd: p.Decline) -> None:
        record = self._record(cmd.call_id)
        record.hangup_requested = True
        prm = pj.CallOpParam(True)
        prm.statusCode = cmd.code
        record.call.hangup(prm)
        self._tones.settled(cmd.call_id)
        self._sync_tone(time.monotonic())

    def _cmd_hangup(self, cmd: p.Hangup) -> None:
        record = self._record(cmd.call_id)
        record.hangup_requested = True
        record.call.hangup(pj.CallOpParam(True))

    def _cmd_hold(self, cmd: p.Hold) -> None:
        self._record(cmd.call_id).call.setHold(pj.CallOpParam(True))

    def _cmd_resume(self, cmd: p.Resume) -> None:
        prm = pj.CallOpParam(True)
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        self._record(cmd.call_id).call.reinvite(prm)

    def _cmd_mute(self, cmd: p.Mute) -> None:
        record = self._record(cmd.call_id)
        record.muted = cmd.muted
        self._connect_media(record)

    def _cmd_send_dtmf(self, cmd: p.SendDtmf) -> None:
        record = self._record(cmd.call_id)
        if not cmd.digits or any(d not in "0123456789*#ABCDabcd" for d in cmd.digits):
            raise EngineError("DTMF digits must be 0-9, *, # or A-D")
        prm = pj.CallSendDtmfParam()
        prm.digits = cmd.digits
        prm.method = (
            pj.PJSUA_DTMF_METHOD_SIP_INFO if cmd.method == "info" else pj.PJSUA_DTMF_METHOD_RFC2833
        )
        record.call.sendDtmf(prm)

    def _cmd_blind_transfer(self, cmd: p.BlindTransfer) -> None:
        record = self._record(cmd.call_id)
        spec = self._accounts[record.account_id].spec
        uri = normalise_target(cmd.target, spec.domain, spec.transport)
        record.call.xfer(uri, pj.CallOpParam(True))

    def _cmd_attended_transfer(self, cmd: p.AttendedTransfer) -> None:
        record = self._record(cmd.call_id)
        consult = self._record(cmd.consult_call_id)
        record.call.xferReplaces(consult.call, pj.CallOpParam(True))

    def _cmd_conference(self, cmd: p.Conference) -> None:
        if len(cmd.call_ids) < 2:
            raise EngineError("a conference needs at least two calls")
        members = {call_id for call_id in cmd.call_ids if self._record(call_id)}
        self._conferences = [g for g in self._conferences if not (g & members)]
        self._conferences.append(members)
        for call_id in members:
            self._connect_media(self._calls[call_id])

    def _cmd_play_file(self, cmd: p.PlayFile) -> None:
        record = self._record(cmd.call_id)
        player = pj.AudioMediaPlayer()
        player.createPlayer(cmd.path, 0)
        record.players.append(player)
        self._connect_media(record)

    def _cmd_record_file(self, cmd: p.RecordFile) -> None:
        record = self._record(cmd.call_id)
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(cmd.path)
        record.recorders.append(recorder)
        self._connect_media(record)

    # ------------------------------------------------------------ media wiring

    def _connect_media(self, record: _CallRecord) -> None:
        """(Re)wire the call's current conference port; safe to repeat."""
        media = record.media
        if media is None:
            return
        for player in record.players:
            if record.muted:
                with contextlib.suppress(pj.Error):
                    player.stopTransmit(media)
            else:
                player.startTransmit(media)
        for recorder in record.recorders:
            media.startTransmit(recorder)
        if self._audio is not None:
            self._audio.set_muted(record.muted)
            self._audio.connect_call(media)
            record.bridged = True
        for group in self._conferences:
            if record.call.call_id not in group:
                continue
            for other_id in group - {record.call.call_id}:
                other = self._calls.get(other_id)
                if other is None or other.media is None:
                    continue
                media.startTransmit(other.media)
                other.media.startTransmit(media)

    def _release_call_media(self, record: _CallRecord) -> None:
        media = record.media
        if media is not None and self._audio is not None and record.bridged:
            with contextlib.suppress(Exception):
                self._audio.disconnect_call(media)
        record.bridged = False
        record.media = None
        record.players.clear()
        record.recorders.clear()

    # ------------------------------------------------------------ callbacks (pjsua2 thread)

    def _on_transport_state(self, prm: Any) -> None:
        pin = self._config.tls_pin_sha256.lower()
        if not pin or prm.type != "TLS":
            return
        info = prm.tlsInfo
        if info.isEmpty() or not info.established:
            return
        raw = str(info.remoteCertInfo.raw)
        try:
            der = ssl.PEM_cert_to_DER_cert(raw)
        except ValueError:
            der = raw.encode()
        if hashlib.sha256(der).hexdigest() != pin:
            self._emit(p.TransportProblem("TLS peer certificate does not match the pinned one"))
            assert self._ep is not None
            with contextlib.suppress(pj.Error):
                self._ep.transportShutdown(prm.hnd)

    def _on_rejected_incoming(self, code: int, reason: str) -> None:
        if self._config.srtp == "mandatory" and code in _NOT_ACCEPTABLE:
            self._emit(
                p.SecureMediaRefused(
                    "incoming", code, "the caller offered no SRTP; secure media is mandatory"
                )
            )

    def _on_reg_state(self, account: _Account, code: int, reason: str, expires: int) -> None:
        record = self._accounts.get(account.account_id)
        if record is None:
            return
        spec = record.spec
        registrar = spec.fallback_registrar if record.on_fallback else spec.registrar
        if 200 <= code < 300 and expires > 0:
            state: p.RegState = "registered"
            record.failures = 0
        elif 200 <= code < 300:
            state = "unregistered"
        else:
            state = "failed"
            record.failures += 1
        self._emit(p.RegistrationChanged(spec.account_id, state, code, reason, registrar, expires))
        if state == "failed" and spec.fallback_registrar and record.failures >= 2:
            # Alternate between the primary and the fallback registrar.
            record.on_fallback = not record.on_fallback
            record.failures = 0
            target = spec.fallback_registrar if record.on_fallback else spec.registrar
            self._emit(p.RegistrationChanged(spec.account_id, "registering", registrar=target))
            acfg = self._account_config(spec, fallback=record.on_fallback)
            self._commands.put((lambda: record.account.modify(acfg), None))

    def _on_incoming_call(self, account: _Account, pj_id: int, message: str) -> None:
        call_id = self._new_call_id()
        call = _Call(self, account, call_id, pj_id)
        waiting = any(r.call.isActive() and not r.hangup_requested for r in self._calls.values())
        record = _CallRecord(call, account.account_id, "incoming")
        self._calls[call_id] = record
        self._tones.incoming(call_id, waiting)
        who = caller_identity(message)
        info = call.getInfo()
        self._emit(
            p.IncomingCall(
                call_id=call_id,
                account_id=account.account_id,
                number=who.number,
                display_name=who.display_name,
                remote_uri=str(info.remoteUri),
                waiting=waiting,
            )
        )
        prm = pj.CallOpParam(True)
        prm.statusCode = 180
        with contextlib.suppress(pj.Error):
            call.answer(prm)
        self._sync_tone(time.monotonic())

    def _on_call_state(self, call: _Call) -> None:
        record = self._calls.get(call.call_id)
        if record is None:
            return
        info = call.getInfo()
        state = _CALL_STATES.get(int(info.state))
        if state is None:
            return
        code, reason = int(info.lastStatusCode), str(info.lastReason)
        if state == "confirmed" and not record.connected_at:
            record.connected_at = time.monotonic()
        self._emit(p.CallStateChanged(call.call_id, state, code, reason))
        now = time.monotonic()
        self._tones.call_state(call.call_id, state, code, now)
        self._sync_tone(now)
        if state != "disconnected":
            return
        duration = time.monotonic() - record.connected_at if record.connected_at else 0.0
        ended_by: p.EndedBy
        if record.ended_by is not None:
            ended_by, reason = record.ended_by, record.end_reason or reason
        elif record.hangup_requested:
            ended_by = "local"
        elif code in (408, 500, 503) and not record.connected_at:
            ended_by = "error"  # timeout, local failure, unreachable / TLS refused
        else:
            ended_by = "remote"
        if (
            self._config.srtp == "mandatory"
            and record.direction == "outgoing"
            and code in _NOT_ACCEPTABLE
        ):
            self._emit(
                p.SecureMediaRefused(
                    "outgoing",
                    code,
                    "the peer refused SRTP; secure media is mandatory",
                    call.call_id,
                )
            )
        self._emit(p.CallEnded(call.call_id, code, reason, ended_by, round(duration, 3)))
        self._release_call_media(record)
        del self._calls[call.call_id]
        for group in self._conferences:
            group.discard(call.call_id)
        self._conferences = [g for g in self._conferences if len(g) > 1]
        # The wrapper dies as soon as this callback returns, which pjsua2 allows for
        # DISCONNECTED: later, pjsua may already have given its call slot to a new
        # call, and ~Call would clear that call's user data (the call would go deaf).
        record.call = None  # type: ignore[assignment]

    def _on_call_media_state(self, call: _Call) -> None:
        record = self._calls.get(call.call_id)
        if record is None:
            return
        info = call.getInfo()
        state: p.MediaStateName = "none"
        media = None
        for m in info.media:
            if m.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            state = _MEDIA_STATES.get(int(m.status), "none")
            if m.status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
                media = call.getAudioMedia(m.index)
            break
        if record.media is not None and record.bridged and self._audio is not None:
            with contextlib.suppress(Exception):
                self._audio.disconnect_call(record.media)
            record.bridged = False
        record.media = media
        record.media_state = state
        self._tones.media(call.call_id, media is not None)
        self._sync_tone(time.monotonic())
        record.last_rx, record.last_rx_change = -1, time.monotonic()
        codec, srtp = "", False
        if media is not None:
            with contextlib.suppress(pj.Error):
                stream = call.getStreamInfo(0)
                codec = str(stream.codecName)
                # With optional SRTP the profile stays RTP/AVP while SDES keys are in
                # use; the call dump is the one place pjsua2 reports the SRTP state.
                srtp = "SRTP status: Active" in str(call.dump(True, ""))
            self._connect_media(record)
        self._emit(p.MediaChanged(call.call_id, state, codec, srtp))

    def _on_dtmf(self, call: _Call, digit: str, method: int, duration: int) -> None:
        name: str = {
            pj.PJSUA_DTMF_METHOD_RFC2833: "rfc2833",
            pj.PJSUA_DTMF_METHOD_SIP_INFO: "info",
        }.get(method, "other")
        # 0xFFFFFFFF: the duration is not known yet (RFC 2833 start of event).
        known = duration if 0 <= duration < 0x7FFFFFFF else 0
        self._emit(p.DtmfReceived(call.call_id, digit, name, known))  # type: ignore[arg-type]

    def _on_transfer_request(self, call: _Call, prm: Any) -> None:
        record = self._calls.get(call.call_id)
        if record is None:
            return
        acc = self._accounts[record.account_id].account
        new_id = self._new_call_id()
        new_call = _Call(self, acc, new_id, -1)
        self._calls[new_id] = _CallRecord(new_call, record.account_id, "outgoing")
        self._tones.outgoing(new_id)
        prm.newCall = new_call
        self._emit(p.TransferRequested(call.call_id, new_id, str(prm.dstUri)))

    def _on_transfer_status(self, call: _Call, code: int, reason: str, final: bool) -> None:
        self._emit(p.TransferProgress(call.call_id, code, reason, final))
        record = self._calls.get(call.call_id)
        if final and 200 <= code < 300 and record is not None:
            # The transferee reached the target: our leg is no longer needed.
            record.ended_by, record.end_reason = "transferred", "transferred"
            record.hangup_requested = True
            with contextlib.suppress(pj.Error):
                call.hangup(pj.CallOpParam(True))

    def _on_call_replaced(self, call: _Call, prm: Any) -> None:
        record = self._calls.get(call.call_id)
        if record is None:
            return
        acc = self._accounts[record.account_id].account
        new_id = self._new_call_id()
        new_call = _Call(self, acc, new_id, int(prm.newCallId))
        self._calls[new_id] = _CallRecord(new_call, record.account_id, "incoming")
        prm.newCall = new_call
        record.ended_by, record.end_reason = "replaced", "replaced by an attended transfer"
        self._emit(p.CallReplaced(call.call_id, new_id))

    # ------------------------------------------------------------ media watchdog

    def _watch_media(self, now: float) -> None:
        timeout = self._config.media_timeout_s
        stats_every = self._config.stats_interval_s
        emit_stats = stats_every > 0 and now - self._last_stats >= stats_every
        if emit_stats:
            self._last_stats = now
        if timeout <= 0 and not emit_stats:
            return
        for record in list(self._calls.values()):
            if record.media is None:
                continue
            try:
                stat = record.call.getStreamStat(0)
            except pj.Error:
                continue
            rx, tx = int(stat.rtcp.rxStat.pkt), int(stat.rtcp.txStat.pkt)
            if emit_stats:
                self._emit(p.MediaStats(record.call.call_id, rx, tx))
            if rx != record.last_rx or record.media_state_hold():
                record.last_rx, record.last_rx_change = rx, now
            elif timeout > 0 and now - record.last_rx_change >= timeout:
                record.ended_by = "media_timeout"
                record.end_reason = f"no audio from the peer for {timeout:g} s"
                record.hangup_requested = True
                with contextlib.suppress(pj.Error):
                    record.call.hangup(pj.CallOpParam(True))
