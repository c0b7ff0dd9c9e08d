"""The line as the status bar shows it: registration, encryption, and whether audio flows."""

from __future__ import annotations

from agent_app.telephony import protocol as p
from agent_app.workflow.line_status import AudioQuality, LineMonitor, PhoneState
from tests.unit.workflow.fakes import ManualClock


def _monitor(**options: object) -> tuple[LineMonitor, ManualClock]:
    clock = ManualClock()
    return LineMonitor(clock=clock, **options), clock  # type: ignore[arg-type]


def test_registration_states_and_the_reason_of_a_failure() -> None:
    line, _ = _monitor()
    assert line.status().phone is PhoneState.STARTING
    line.handle(p.RegistrationChanged("a", "registering", registrar="pbx.example"))
    assert line.status().phone is PhoneState.REGISTERING
    line.handle(p.RegistrationChanged("a", "failed", 403, "Forbidden", "pbx.example"))
    status = line.status()
    assert (status.phone, status.detail, status.ready) == (
        PhoneState.FAILED,
        "403 Forbidden",
        False,
    )
    line.handle(p.RegistrationChanged("a", "registered", 200, "OK", "pbx.example", 300))
    status = line.status()
    assert (status.phone, status.detail, status.registrar, status.ready) == (
        PhoneState.REGISTERED,
        "",
        "pbx.example",
        True,
    )


def test_a_direct_account_is_ready_when_the_engine_is() -> None:
    line, _ = _monitor(direct=True)
    line.handle(p.EngineReady("2.15.1", ("udp:5060",)))
    assert line.status().phone is PhoneState.DIRECT and line.status().ready


def test_the_engine_going_down_and_coming_back() -> None:
    line, _ = _monitor()
    line.handle(p.CommandFailed("engine", "the engine process exited (-9); not restarting"))
    assert line.status().phone is PhoneState.ENGINE_DOWN
    assert "not restarting" in line.status().detail
    line.handle(p.EngineRestarted("the engine process was killed by signal 9", -9))
    assert line.status().phone is PhoneState.REGISTERING
    line.not_configured("no account")
    assert line.status().phone is PhoneState.NOT_CONFIGURED


def test_encryption_of_signalling_and_of_the_call() -> None:
    line, _ = _monitor(tls=True)
    assert line.status().tls and line.status().srtp is None
    line.handle(p.MediaChanged("c1", "active", "G722", srtp=True))
    status = line.status("c1")
    assert (status.srtp, status.codec) == (True, "G722")
    line.handle(p.MediaChanged("c2", "active", "PCMU", srtp=False))
    assert line.status("c2").srtp is False
    assert line.status().srtp is None, "no call, no audio to speak of"


def test_audio_flows_stalls_one_way_or_both_and_hold_is_not_a_stall() -> None:
    line, clock = _monitor(stall_after_s=2.5)
    assert line.status("c1").audio is AudioQuality.STARTING, "no media yet"
    line.handle(p.MediaChanged("c1", "active", "G722"))
    assert line.status("c1").audio is AudioQuality.STARTING
    for second in range(1, 4):
        clock.advance(1)
        line.handle(p.MediaStats("c1", rx_packets=50 * second, tx_packets=50 * second))
    assert line.status("c1").audio is AudioQuality.GOOD
    for second in range(1, 4):  # nothing arrives any more; we still send
        clock.advance(1)
        line.handle(p.MediaStats("c1", rx_packets=150, tx_packets=150 + 50 * second))
    status = line.status("c1")
    assert status.audio is AudioQuality.NO_INCOMING and status.silent_s == 3.0
    clock.advance(3)
    assert line.status("c1").audio is AudioQuality.STALLED
    line.handle(p.MediaChanged("c1", "local_hold"))
    assert line.status("c1").audio is AudioQuality.ON_HOLD
    line.handle(p.MediaChanged("c1", "active", "G722"))
    clock.advance(1)
    line.handle(p.MediaStats("c1", rx_packets=10, tx_packets=0))
    clock.advance(3)
    line.handle(p.MediaStats("c1", rx_packets=160, tx_packets=0))
    assert line.status("c1").audio is AudioQuality.NO_OUTGOING
    assert line.handle(p.CallEnded("c1", 200, "OK", "local"))
    assert line.status("c1").audio is AudioQuality.STARTING


def test_events_that_do_not_touch_the_line_change_nothing() -> None:
    line, _ = _monitor()
    assert not line.handle(p.DtmfReceived("c1", "5", "rfc2833"))
    assert not line.handle(p.CallEnded("unknown", 200, "OK", "remote"))
