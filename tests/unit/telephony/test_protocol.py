"""The engine protocol: every message survives a round trip; bad lines get named errors."""

from __future__ import annotations

import json

import pytest

from agent_app.telephony import protocol as p

SAMPLES: list[p.Command | p.Event] = [
    p.AudioDeviceChanged(
        change="fallback",
        role="speaker",
        device_id="desk",
        device_name="Desk speaker",
        preferred_id="usb-headset",
    ),
    p.StartEngine(config=p.EngineConfig(transports=("udp", "tls"), srtp="mandatory")),
    p.AddAccount(account=p.AccountSpec("a", "agent", "pbx.test", registrar="pbx.test:5061")),
    p.RemoveAccount(account_id="a"),
    p.Dial(call_id="c1", account_id="a", target="555-0100"),
    p.Answer(call_id="c1"),
    p.Decline(call_id="c1", code=603),
    p.Hangup(call_id="c1"),
    p.Hold(call_id="c1"),
    p.Resume(call_id="c1"),
    p.Mute(call_id="c1", muted=True),
    p.SendDtmf(call_id="c1", digits="12#", method="info"),
    p.BlindTransfer(call_id="c1", target="sip:nurse@pbx.test"),
    p.AttendedTransfer(call_id="c1", consult_call_id="c2"),
    p.Conference(call_ids=("c1", "c2")),
    p.PlayFile(call_id="c1", path="/tmp/a.wav"),
    p.DropMessage(call_id="c1", path="/tmp/message.wav"),
    p.RecordFile(call_id="c1", path="/tmp/b.wav"),
    p.HandleIpChange(),
    p.Ping(seq=3),
    p.QueryState(),
    p.Shutdown(),
    p.EngineReady(pjsip_version="2.15.1", ports=("udp:5060",)),
    p.EngineStopped(),
    p.EngineRestarted(reason="killed", exit_code=-9),
    p.CommandFailed(command="dial", message="no account", call_id="c1"),
    p.RegistrationChanged("a", "failed", 403, "Forbidden", "pbx.test", 0),
    p.IncomingCall("in-1", "a", "+15550100", "Test Caller", "<sip:x@y>", waiting=True),
    p.CallStateChanged("c1", "confirmed", 200, "OK"),
    p.MediaChanged("c1", "active", "G722", True),
    p.CallEnded("c1", 200, "OK", "local", 3.5),
    p.CallReplaced("c1", "in-2"),
    p.TransferRequested("c1", "in-3", "sip:nurse@pbx.test"),
    p.DtmfReceived("c1", "5", "rfc2833", 160),
    p.TransferProgress("c1", 200, "OK", True),
    p.SecureMediaRefused("incoming", 488, "no SRTP"),
    p.TransportProblem("pin mismatch"),
    p.MediaStats("c1", 10, 11),
    p.EngineState(calls=("c1",), accounts=("a",)),
    p.Pong(seq=3),
]


def test_every_message_type_has_a_sample() -> None:
    covered = {type(m) for m in SAMPLES}
    assert covered == set(p.COMMANDS.values()) | set(p.EVENTS.values())


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: m.type)
def test_round_trip(message: p.Command | p.Event) -> None:
    line = p.encode(message)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert p.decode(line) == message


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"v": 2, "kind": "command", "type": "ping"}', "unsupported protocol version"),
        (b'{"v": 1, "kind": "thing", "type": "ping"}', "'kind'"),
        (b'{"v": 1, "kind": "command", "type": "explode"}', "unknown command type"),
        (b'{"v": 1, "kind": "command", "type": "hangup"}', "missing field 'call_id'"),
        (b'{"v": 1, "kind": "command", "type": "hangup", "call_id": 5}', "expected a string"),
        (b'{"v": 1, "kind": "command", "type": "ping", "extra": 1}', "unknown field(s) extra"),
        (b'{"v":1,"kind":"command","type":"decline","call_id":"c","code":500}', "not one of"),
        (b'{"v":1,"kind":"command","type":"mute","call_id":"c","muted":1}', "true or false"),
        (b'{"v":1,"kind":"command","type":"ping","seq":true}', "expected an integer"),
        (b'{"v":1,"kind":"command","type":"conference","call_ids":"c1"}', "expected a list"),
        (
            b'{"v":1,"kind":"command","type":"add_account","account":{"account_id":"a"}}',
            "add_account.account: missing field 'username'",
        ),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_malformed_lines_are_named(line: bytes, needle: str) -> None:
    with pytest.raises(p.ProtocolError) as err:
        p.decode(line)
    assert needle in str(err.value)


def test_error_never_echoes_the_offending_value() -> None:
    line = json.dumps({"v": 1, "kind": "command", "type": "hangup", "call_id": 5550100})
    with pytest.raises(p.ProtocolError) as err:
        p.decode(line)
    assert "5550100" not in str(err.value)


def test_password_is_not_in_repr() -> None:
    spec = p.AccountSpec("a", "u", "d", password="hunter2")
    assert "hunter2" not in repr(spec)
