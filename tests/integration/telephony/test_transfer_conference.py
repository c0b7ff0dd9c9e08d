"""Blind and attended transfer to a third UA, a local 3-way conference, call waiting."""

from __future__ import annotations

import time

import pytest

from agent_app.telephony import protocol as p
from testbed.ports import free_port
from tests.helpers.telephony_peers import read_wav, tone_strength, wait_file

pytestmark = pytest.mark.integration


def _peer(phone, *args: str):
    port = free_port()
    peer = phone("listen", "--port", str(port), "--auto-answer", "--commands-stdin", *args)
    peer.ready()
    return peer, f"sip:x@127.0.0.1:{port}"


def test_blind_transfer(start_engine, phone) -> None:
    bob, bob_uri = _peer(phone)
    carol, carol_uri = _peer(phone)
    eng = start_engine()
    eng.send(p.Dial(call_id="c1", account_id="agent", target=bob_uri))
    eng.events.wait_type(p.CallStateChanged, call_id="c1", state="confirmed")
    eng.send(p.BlindTransfer(call_id="c1", target=carol_uri))
    final = eng.events.wait_for(
        lambda e: isinstance(e, p.TransferProgress) and e.final, what="final NOTIFY"
    )
    assert final.code == 200
    ended = eng.events.wait_type(p.CallEnded, call_id="c1")
    assert ended.ended_by == "transferred"
    carol.events.wait_type(p.IncomingCall)
    carol.events.wait_type(p.CallStateChanged, state="confirmed")
    # Bob now talks to Carol on a new call his engine placed for the REFER.
    asked = bob.events.wait_type(p.TransferRequested)
    assert asked.target.startswith(carol_uri)
    bob.events.wait_type(p.CallStateChanged, call_id=asked.new_call_id, state="confirmed")


def test_attended_transfer(start_engine, phone) -> None:
    _bob, bob_uri = _peer(phone)
    carol, carol_uri = _peer(phone)
    eng = start_engine()
    eng.send(p.Dial(call_id="c1", account_id="agent", target=bob_uri))
    eng.events.wait_type(p.CallStateChanged, call_id="c1", state="confirmed")
    eng.send(p.Hold(call_id="c1"))
    eng.events.wait_type(p.MediaChanged, call_id="c1", state="local_hold")
    eng.send(p.Dial(call_id="c2", account_id="agent", target=carol_uri))
    eng.events.wait_type(p.CallStateChanged, call_id="c2", state="confirmed")
    eng.send(p.AttendedTransfer(call_id="c1", consult_call_id="c2"))
    replaced = carol.events.wait_type(p.CallReplaced)
    carol.events.wait_for(
        lambda e: (
            isinstance(e, p.CallStateChanged)
            and e.call_id == replaced.new_call_id
            and e.state == "confirmed"
        ),
        what="Carol's call with Bob",
    )
    assert eng.events.wait_type(p.CallEnded, call_id="c1").ended_by == "transferred"
    assert eng.events.wait_type(p.CallEnded, call_id="c2").ended_by == "remote"
    carol_old = carol.events.wait_type(p.CallEnded, call_id=replaced.call_id)
    assert carol_old.ended_by == "replaced"


def test_three_way_conference_each_party_hears_the_others(
    start_engine, phone, tones, tmp_path
) -> None:
    bob_rec, carol_rec = tmp_path / "bob.wav", tmp_path / "carol.wav"
    _bob, bob_uri = _peer(phone, "--play", str(tones[1000]), "--record", str(bob_rec))
    _carol, carol_uri = _peer(phone, "--play", str(tones[1500]), "--record", str(carol_rec))
    eng = start_engine()
    ours_b, ours_c = tmp_path / "ours-b.wav", tmp_path / "ours-c.wav"
    for call_id, uri, rec in (("c1", bob_uri, ours_b), ("c2", carol_uri, ours_c)):
        eng.send(p.Dial(call_id=call_id, account_id="agent", target=uri))
        eng.send(p.PlayFile(call_id=call_id, path=str(tones[700])))
        eng.send(p.RecordFile(call_id=call_id, path=str(rec)))
        eng.events.wait_type(p.MediaChanged, call_id=call_id, state="active")
    eng.send(p.Conference(call_ids=("c1", "c2")))
    time.sleep(2.5)  # the conference runs: its last second is checked in every recording
    for call_id in ("c1", "c2"):
        eng.send(p.Hangup(call_id=call_id))
        eng.events.wait_type(p.CallEnded, call_id=call_id)

    def last_second(path):
        wait_file(path)
        data, rate = read_wav(path)
        return data[-rate - rate // 4 : -rate // 4], rate

    bob_hears, rate = last_second(bob_rec)
    carol_hears, _ = last_second(carol_rec)
    assert tone_strength(bob_hears, rate, 700) > 0.15  # the agent
    assert tone_strength(bob_hears, rate, 1500) > 0.15  # Carol
    assert tone_strength(carol_hears, rate, 700) > 0.15  # the agent
    assert tone_strength(carol_hears, rate, 1000) > 0.15  # Bob
    agent_b, _ = last_second(ours_b)
    assert tone_strength(agent_b, rate, 1000) > 0.8  # the agent hears Bob on Bob's leg


def test_second_call_is_offered_as_call_waiting(start_engine, phone) -> None:
    _bob, bob_uri = _peer(phone)
    carol, _ = _peer(phone)
    eng = start_engine()
    eng.send(p.Dial(call_id="c1", account_id="agent", target=bob_uri))
    eng.events.wait_type(p.CallStateChanged, call_id="c1", state="confirmed")
    carol.send(p.Dial(call_id="k", account_id="main", target=f"sip:agent@127.0.0.1:{eng.port}"))
    waiting = eng.events.wait_type(p.IncomingCall)
    assert waiting.waiting is True
    eng.send(p.Decline(call_id=waiting.call_id, code=486))
    assert carol.events.wait_type(p.CallEnded, call_id="k").code == 486
    assert eng.events.wait_type(p.CallEnded, call_id=waiting.call_id).ended_by == "local"
    eng.send(p.Hangup(call_id="c1"))
    eng.events.wait_type(p.CallEnded, call_id="c1")
