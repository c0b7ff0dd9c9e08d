"""The pjsua2 library: Endpoint set-up (transports, TLS, codecs, the audio bridge), its own
callbacks (TLS pin, refused SRTP offers), IP changes, and teardown in the order that works."""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
import time
from typing import Any

import pjsua2 as pj

from agent_app.telephony import protocol as p
from agent_app.telephony.call_audio import CONFERENCE_FRAME_MS, ToneAudio, resolve_audio_bridge
from agent_app.telephony.engine.base import NOT_ACCEPTABLE
from agent_app.telephony.engine.media import MediaWiring
from agent_app.telephony.engine.pj_subclasses import EngineEndpoint

log = logging.getLogger(__name__)

_MAX_CALLS = 12
_TRANSPORT_TYPES = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}


class EndpointLibrary(MediaWiring):
    """Creates the one Endpoint on the pjsua2 thread and destroys it last."""

    # ------------------------------------------------------------ set-up and teardown

    def _create_library(self) -> None:
        cfg = self._config
        ep = EngineEndpoint(self)
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

    # ------------------------------------------------------------ commands

    def _cmd_handle_ip_change(self, cmd: p.HandleIpChange) -> None:
        assert self._ep is not None
        self._ep.handleIpChange(pj.IpChangeParam())

    # ------------------------------------------------------------ callbacks (pjsua2 thread)

    def _on_transport_state(self, prm: Any) -> None:
        pin = self._config.tls_pin_sha256.lower()
        if not pin or prm.type != "TLS":
            return
        info = prm.tlsInfo
        if info.isEmpty() or not info.established:
            return
        raw = str(info.remoteCertInfo.raw)
        # Here only, with a pin to check: ssl and hashlib start OpenSSL (~3.6 MiB of the engine).
        import hashlib
        import ssl

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
        if self._config.srtp == "mandatory" and code in NOT_ACCEPTABLE:
            self._emit(
                p.SecureMediaRefused(
                    "incoming", code, "the caller offered no SRTP; secure media is mandatory"
                )
            )
