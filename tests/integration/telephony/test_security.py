"""TLS signalling with certificate verification and pinning; SRTP optional/mandatory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent_app.telephony import protocol as p
from testbed.ports import free_port
from testbed.telephony_certs import Pki, make_pki
from tests.helpers.telephony_peers import tone_windows, wait_file

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _tls_peer(phone, pki: Pki, *extra: str):
    port = free_port()
    peer = phone(
        "listen",
        "--transport",
        "tls",
        "--tls-port",
        str(port),
        "--tls-cert",
        str(pki.server_cert),
        "--tls-key",
        str(pki.server_key),
        "--tls-no-verify",
        "--auto-answer",
        *extra,
    )
    peer.ready()
    return peer, port


def _tls_engine(start_engine, pki: Pki, ca: Path, srtp: str = "mandatory", pin: str = ""):
    cfg = p.EngineConfig(
        transports=("tls",),
        bind_address="127.0.0.1",
        tls_port=free_port(),
        tls_ca_file=str(ca),
        tls_verify_server=True,
        tls_pin_sha256=pin,
        srtp=srtp,  # type: ignore[arg-type]
    )
    return start_engine(cfg, transport="tls")


def test_tls_with_mandatory_srtp_carries_a_tone_each_way(
    start_engine, phone, pki, tmp_path, tones
) -> None:
    peer_rec = tmp_path / "peer.wav"
    peer, port = _tls_peer(
        phone, pki, "--srtp", "mandatory", "--play", str(tones[1000]), "--record", str(peer_rec)
    )
    eng = _tls_engine(start_engine, pki, pki.ca_cert, pin=pki.server_sha256())
    ours = tmp_path / "ours.wav"
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:peer@127.0.0.1:{port}"))
    eng.send(p.PlayFile(call_id="c1", path=str(tones[700])))
    eng.send(p.RecordFile(call_id="c1", path=str(ours)))
    media = eng.events.wait_type(p.MediaChanged, call_id="c1", state="active")
    assert media.srtp is True
    time.sleep(2.0)  # the call's length: both recordings are checked
    eng.send(p.Hangup(call_id="c1"))
    eng.events.wait_type(p.CallEnded, call_id="c1")
    peer.events.wait_type(p.CallEnded)
    assert not eng.events.of_type(p.TransportProblem)
    wait_file(peer_rec)
    assert min(tone_windows(ours, 1000)[2:-1]) > 0.8
    assert min(tone_windows(peer_rec, 700)[2:-1]) > 0.8


def test_tls_server_signed_by_an_unknown_ca_is_refused(start_engine, phone, pki) -> None:
    peer, port = _tls_peer(phone, pki)
    eng = _tls_engine(start_engine, pki, pki.other_ca_cert, srtp="off")
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:peer@127.0.0.1:{port}"))
    ended = eng.events.wait_type(p.CallEnded, call_id="c1")
    assert ended.code >= 400 and ended.duration_s == 0
    assert ended.ended_by == "error"
    assert not peer.events.of_type(p.IncomingCall)


def test_tls_pin_mismatch_drops_the_connection(start_engine, phone, pki) -> None:
    _peer, port = _tls_peer(phone, pki)
    eng = _tls_engine(start_engine, pki, pki.ca_cert, srtp="off", pin="ab" * 32)
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:peer@127.0.0.1:{port}"))
    problem = eng.events.wait_type(p.TransportProblem)
    assert "pinned" in problem.message
    ended = eng.events.wait_type(p.CallEnded, call_id="c1")
    assert ended.duration_s == 0


def test_mandatory_srtp_refuses_a_plain_peer_both_ways(start_engine, phone) -> None:
    plain_port = free_port()
    plain = phone(
        "listen", "--port", str(plain_port), "--auto-answer", "--srtp", "off", "--commands-stdin"
    )
    plain.ready()
    eng = start_engine(
        p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), srtp="mandatory")
    )
    # outgoing: the plain peer answers 488
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:x@127.0.0.1:{plain_port}"))
    refused = eng.events.wait_type(p.SecureMediaRefused, direction="outgoing")
    assert refused.code == 488 and refused.call_id == "c1"
    ended = eng.events.wait_type(p.CallEnded, call_id="c1")
    assert ended.code == 488
    # incoming: the engine refuses the plain offer and says why
    plain.send(p.Dial(call_id="back", account_id="main", target=f"sip:a@127.0.0.1:{eng.port}"))
    incoming_refusal = eng.events.wait_type(p.SecureMediaRefused, direction="incoming")
    assert incoming_refusal.code == 488
    plain_end = plain.events.wait_type(p.CallEnded, call_id="back")
    assert plain_end.code == 488
    assert not eng.events.of_type(p.IncomingCall)


def test_optional_srtp_negotiates_srtp_with_a_capable_peer(start_engine, phone) -> None:
    peer_port = free_port()
    peer = phone("listen", "--port", str(peer_port), "--auto-answer", "--srtp", "optional")
    peer.ready()
    eng = start_engine()
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:x@127.0.0.1:{peer_port}"))
    media = eng.events.wait_type(p.MediaChanged, call_id="c1", state="active")
    assert media.srtp is True
    eng.send(p.Hangup(call_id="c1"))
    eng.events.wait_type(p.CallEnded, call_id="c1")
