"""Calls: the call commands (dial, answer, hold, DTMF, transfers) and the call callbacks, from
creating each ``pj.Call`` to dropping it at the end of the callback that reports DISCONNECTED."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pjsua2 as pj

from agent_app.telephony import protocol as p
from agent_app.telephony.addressing import caller_identity, normalise_target
from agent_app.telephony.engine.base import NOT_ACCEPTABLE
from agent_app.telephony.engine.errors import EngineError
from agent_app.telephony.engine.media import MediaWiring
from agent_app.telephony.engine.pj_subclasses import EngineAccount, EngineCall
from agent_app.telephony.engine.records import CallRecord

_CALL_STATES: dict[int, p.CallStateName] = {
    pj.PJSIP_INV_STATE_CALLING: "calling",
    pj.PJSIP_INV_STATE_INCOMING: "ringing",
    pj.PJSIP_INV_STATE_EARLY: "early",
    pj.PJSIP_INV_STATE_CONNECTING: "connecting",
    pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
    pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected",
}


class CallHandling(MediaWiring):
    """Every call's record lives in ``_calls`` from its creation until DISCONNECTED."""

    # ------------------------------------------------------------ commands

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
        call = EngineCall(self, acc.account, cmd.call_id, -1)
        record = CallRecord(call, cmd.account_id, "outgoing")
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

    # ------------------------------------------------------------ callbacks (pjsua2 thread)

    def _on_incoming_call(self, account: EngineAccount, pj_id: int, message: str) -> None:
        call_id = self._new_call_id()
        call = EngineCall(self, account, call_id, pj_id)
        waiting = any(r.call.isActive() and not r.hangup_requested for r in self._calls.values())
        record = CallRecord(call, account.account_id, "incoming")
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

    def _on_call_state(self, call: EngineCall) -> None:
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
            and code in NOT_ACCEPTABLE
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

    def _on_dtmf(self, call: EngineCall, digit: str, method: int, duration: int) -> None:
        name: str = {
            pj.PJSUA_DTMF_METHOD_RFC2833: "rfc2833",
            pj.PJSUA_DTMF_METHOD_SIP_INFO: "info",
        }.get(method, "other")
        # 0xFFFFFFFF: the duration is not known yet (RFC 2833 start of event).
        known = duration if 0 <= duration < 0x7FFFFFFF else 0
        self._emit(p.DtmfReceived(call.call_id, digit, name, known))  # type: ignore[arg-type]

    def _on_transfer_request(self, call: EngineCall, prm: Any) -> None:
        record = self._calls.get(call.call_id)
        if record is None:
            return
        acc = self._accounts[record.account_id].account
        new_id = self._new_call_id()
        new_call = EngineCall(self, acc, new_id, -1)
        self._calls[new_id] = CallRecord(new_call, record.account_id, "outgoing")
        self._tones.outgoing(new_id)
        prm.newCall = new_call
        self._emit(p.TransferRequested(call.call_id, new_id, str(prm.dstUri)))

    def _on_transfer_status(self, call: EngineCall, code: int, reason: str, final: bool) -> None:
        self._emit(p.TransferProgress(call.call_id, code, reason, final))
        record = self._calls.get(call.call_id)
        if final and 200 <= code < 300 and record is not None:
            # The transferee reached the target: our leg is no longer needed.
            record.ended_by, record.end_reason = "transferred", "transferred"
            record.hangup_requested = True
            with contextlib.suppress(pj.Error):
                call.hangup(pj.CallOpParam(True))

    def _on_call_replaced(self, call: EngineCall, prm: Any) -> None:
        record = self._calls.get(call.call_id)
        if record is None:
            return
        acc = self._accounts[record.account_id].account
        new_id = self._new_call_id()
        new_call = EngineCall(self, acc, new_id, int(prm.newCallId))
        self._calls[new_id] = CallRecord(new_call, record.account_id, "incoming")
        prm.newCall = new_call
        record.ended_by, record.end_reason = "replaced", "replaced by an attended transfer"
        self._emit(p.CallReplaced(call.call_id, new_id))
