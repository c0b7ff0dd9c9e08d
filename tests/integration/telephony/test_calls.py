"""Calls between the engine process and a pulse-phone peer: media, DTMF, hold, mute."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent_app.telephony import protocol as p
from testbed.ports import free_port
from testbed.timing import wait_until
from tests.helpers.telephony_peers import json_events, tone_windows, wait_file

pytestmark = pytest.mark.integration


def _connect(start_engine, phone, tmp_path, tones, *peer_args: str):
    peer_port = free_port()
    peer = phone(
        "listen", "--port", str(peer_port), "--auto-answer", "--commands-stdin", *peer_args
    )
    peer.ready()
    eng = start_engine()
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:peer@127.0.0.1:{peer_port}"))
    return eng, peer


def test_tone_each_way_and_dtmf_both_ways(start_engine, phone, tmp_path: Path, tones) -> None:
    peer_rec = tmp_path / "peer.wav"
    eng, peer = _connect(
        start_engine,
        phone,
        tmp_path,
        tones,
        "--play",
        str(tones[1000]),
        "--record",
        str(peer_rec),
        "--dtmf",
        "59*",
    )
    ours = tmp_path / "ours.wav"
    eng.send(p.PlayFile(call_id="c1", path=str(tones[700])))
    eng.send(p.RecordFile(call_id="c1", path=str(ours)))
    eng.events.wait_type(p.CallStateChanged, call_id="c1", state="confirmed")
    media = eng.events.wait_type(p.MediaChanged, call_id="c1", state="active")
    assert media.codec == "G722"
    incoming = peer.events.wait_type(p.IncomingCall)
    assert incoming.number == "agent"

    eng.send(p.SendDtmf(call_id="c1", digits="12#", method="rfc2833"))
    eng.send(p.SendDtmf(call_id="c1", digits="7", method="info"))
    got = [
        peer.events.wait_type(p.DtmfReceived, digit=d, method=m)
        for d, m in (("1", "rfc2833"), ("2", "rfc2833"), ("#", "rfc2833"), ("7", "info"))
    ]
    assert [g.digit for g in got] == ["1", "2", "#", "7"]
    for digit in "59*":
        eng.events.wait_type(p.DtmfReceived, call_id="c1", digit=digit, method="rfc2833")

    time.sleep(1.5)  # the call's length: its duration and both recordings are checked
    eng.send(p.Hangup(call_id="c1"))
    ended = eng.events.wait_type(p.CallEnded, call_id="c1")
    assert ended.ended_by == "local" and ended.duration_s > 1.0
    peer_end = peer.events.wait_type(p.CallEnded, call_id=incoming.call_id)
    assert peer_end.ended_by == "remote"

    wait_file(ours)
    wait_file(peer_rec)
    # Skip the first half second (set-up, jitter buffer); the tone must dominate after.
    assert min(tone_windows(ours, 1000)[2:-1]) > 0.8
    assert min(tone_windows(peer_rec, 700)[2:-1]) > 0.8


def test_hold_stops_audio_and_resume_brings_it_back(start_engine, phone, tmp_path, tones) -> None:
    peer_port = free_port()
    peer = phone(
        "listen",
        "--port",
        str(peer_port),
        "--auto-answer",
        "--play",
        str(tones[1000]),
        "--stats-interval",
        "0.2",
    )
    peer.ready()
    eng = start_engine()
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:peer@127.0.0.1:{peer_port}"))
    ours = tmp_path / "ours.wav"
    eng.send(p.RecordFile(call_id="c1", path=str(ours)))
    eng.events.wait_type(p.MediaChanged, call_id="c1", state="active")
    peer.events.wait_for(
        lambda e: isinstance(e, p.MediaStats) and e.tx_packets >= 30,
        what="30 packets from the peer before the hold",
    )
    eng.send(p.Hold(call_id="c1"))
    held = eng.events.wait_type(p.MediaChanged, call_id="c1", state="local_hold")
    peer.events.wait_type(p.MediaChanged, state="remote_hold")
    time.sleep(2.0)  # the hold under test: the peer's counters must stay frozen through it
    eng.send(p.Resume(call_id="c1"))
    resumed = eng.events.wait_for(
        lambda e: isinstance(e, p.MediaChanged) and e.state == "active" and e.at > held.at,
        what="media active again after hold",
    )

    def sent_after_resume() -> list[int]:
        return [s.tx_packets for s in peer.events.of_type(p.MediaStats) if s.at > resumed.at + 0.3]

    def flowing_again() -> bool:
        after = sent_after_resume()
        return bool(after) and after[-1] - after[0] >= 25

    wait_until(flowing_again, what="25 packets from the peer after the resume")
    eng.send(p.Hangup(call_id="c1"))
    ended = eng.events.wait_type(p.CallEnded, call_id="c1")
    peer.events.wait_type(p.CallEnded)

    # The peer's RTP counters: growing before the hold, frozen during it, growing after.
    stats = peer.events.of_type(p.MediaStats)
    before = [s.tx_packets for s in stats if s.at < held.at]
    during = [s for s in stats if held.at + 0.3 < s.at < resumed.at - 0.1]
    after = sent_after_resume()
    # max, not the last sample: the peer's counters restart with the hold re-INVITE, which
    # it can handle a moment before our side reports the hold.
    assert before and max(before) >= 30
    assert all(s.tx_packets == during[0].tx_packets for s in during), during
    assert after and after[-1] - after[0] >= 25

    # Our recording holds audio only while media flowed: about the call minus the hold.
    data_s = len(tone_windows(ours, 1000)) * 0.25
    held_s = resumed.at - held.at
    assert abs(data_s - (ended.duration_s - held_s)) < 0.8, (data_s, ended.duration_s, held_s)
    strength = tone_windows(ours, 1000)
    assert min(strength[2:-1]) > 0.8  # the tone before and after, with no garbage around it


def test_mute_at_the_source_survives_hold_and_resume(start_engine, phone, tmp_path, tones) -> None:
    peer_rec = tmp_path / "peer.wav"
    eng, peer = _connect(start_engine, phone, tmp_path, tones, "--record", str(peer_rec))
    eng.send(p.PlayFile(call_id="c1", path=str(tones[700])))
    eng.events.wait_type(p.MediaChanged, call_id="c1", state="active")
    time.sleep(1.0)  # the tone the peer records before the mute
    eng.send(p.Mute(call_id="c1", muted=True))
    eng.send(p.Hold(call_id="c1"))
    eng.events.wait_type(p.MediaChanged, call_id="c1", state="local_hold")
    eng.send(p.Resume(call_id="c1"))
    eng.events.wait_for(
        lambda e: (
            isinstance(e, p.MediaChanged)
            and e.state == "active"
            and any(
                isinstance(x, p.MediaChanged) and x.state == "local_hold" for x in eng.events.seen
            )
        ),
        what="media active again after hold",
    )
    time.sleep(2.0)  # muted after resume: the peer must hear nothing
    eng.send(p.Mute(call_id="c1", muted=False))
    time.sleep(1.5)  # the tone again, to the end of the recording
    eng.send(p.Hangup(call_id="c1"))
    eng.events.wait_type(p.CallEnded, call_id="c1")
    peer.events.wait_type(p.CallEnded)

    tone = [s > 0.8 for s in tone_windows(peer_rec, 700)]
    first_on = tone.index(True)
    after = tone[first_on:]
    first_off = after.index(False)
    # After the mute: at least 2 s of silence across hold and resume, then the tone again.
    back = after.index(True, first_off)
    assert back - first_off >= 6, tone  # >= 1.5 s: the 2 s muted after resume
    assert all(after[-4:-1]), tone


@pytest.mark.parametrize("codecs", [("PCMU/8000",), ("PCMA/8000", "G722/16000")])
def test_codec_order_is_configurable(start_engine, phone, codecs) -> None:
    peer_port = free_port()
    peer = phone("listen", "--port", str(peer_port), "--auto-answer")
    peer.ready()
    eng = start_engine(
        p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), codecs=codecs)
    )
    eng.send(p.Dial(call_id="c1", account_id="agent", target=f"sip:x@127.0.0.1:{peer_port}"))
    media = eng.events.wait_type(p.MediaChanged, call_id="c1", state="active")
    assert media.codec == codecs[0].split("/")[0]
    eng.send(p.Hangup(call_id="c1"))
    eng.events.wait_type(p.CallEnded, call_id="c1")


def test_pulse_phone_call_exit_status_and_dtmf(phone, tones, tmp_path) -> None:
    import subprocess
    import sys

    peer_port = free_port()
    peer = phone("listen", "--port", str(peer_port), "--auto-answer")
    peer.ready()
    rec = tmp_path / "call.wav"
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent_app.telephony.phone_cli",
            "call",
            f"sip:x@127.0.0.1:{peer_port}",
            "--play",
            str(tones[700]),
            "--record",
            str(rec),
            "--dtmf",
            "42",
            "--duration",
            "1.5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    for digit in "42":
        peer.events.wait_type(p.DtmfReceived, digit=digit)
    ended = [e for e in json_events(ok.stdout) if e["type"] == "call_ended"]
    assert ended and ended[0]["ended_by"] == "local"
    wait_file(rec)

    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent_app.telephony.phone_cli",
            "call",
            f"sip:x@127.0.0.1:{free_port()};transport=tcp",
            "--timeout",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
