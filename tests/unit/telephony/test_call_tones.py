"""Which call-progress tone each call-state transition asks for (pure decision logic)."""

from __future__ import annotations

from agent_app.telephony.call_tones import BUSY_SECONDS, ToneDecider


def test_an_incoming_call_rings_until_it_is_answered() -> None:
    tones = ToneDecider()
    tones.incoming("c1", waiting=False)
    assert tones.wanted(0.0) == "ringtone"
    tones.call_state("c1", "ringing", 180, 0.1)
    assert tones.wanted(0.1) == "ringtone"
    tones.settled("c1")  # the agent pressed Answer
    assert tones.wanted(0.2) is None
    tones.call_state("c1", "connecting", 200, 0.2)
    tones.call_state("c1", "confirmed", 200, 0.3)
    assert tones.wanted(0.3) is None


def test_an_incoming_call_stops_ringing_when_the_caller_gives_up() -> None:
    tones = ToneDecider()
    tones.incoming("c1", waiting=False)
    tones.call_state("c1", "disconnected", 487, 1.0)
    assert tones.wanted(1.0) is None


def test_a_declined_call_stops_ringing_and_plays_no_busy() -> None:
    tones = ToneDecider()
    tones.incoming("c1", waiting=False)
    tones.settled("c1")
    assert tones.wanted(0.0) is None
    tones.call_state("c1", "disconnected", 486, 0.1)
    assert tones.wanted(0.2) is None


def test_a_waiting_call_plays_nothing() -> None:
    tones = ToneDecider()
    tones.outgoing("c1")
    tones.call_state("c1", "confirmed", 200, 0.0)
    tones.incoming("c2", waiting=True)
    assert tones.wanted(0.1) is None


def test_ringback_from_180_until_confirmed() -> None:
    tones = ToneDecider()
    tones.outgoing("c1")
    tones.call_state("c1", "calling", 0, 0.0)
    assert tones.wanted(0.0) is None  # 100 Trying is no progress
    tones.call_state("c1", "early", 180, 0.1)
    assert tones.wanted(0.1) == "ringback"
    tones.call_state("c1", "connecting", 200, 2.0)
    assert tones.wanted(2.0) is None
    tones.call_state("c1", "confirmed", 200, 2.1)
    assert tones.wanted(2.1) is None


def test_ringback_from_183_without_early_media_and_not_with_it() -> None:
    tones = ToneDecider()
    tones.outgoing("c1")
    tones.call_state("c1", "early", 183, 0.0)
    assert tones.wanted(0.0) == "ringback"
    tones.media("c1", active=True)  # the peer's own progress audio now plays
    assert tones.wanted(0.1) is None
    tones.call_state("c1", "early", 180, 0.2)
    assert tones.wanted(0.2) is None

    tones.outgoing("c2")
    tones.media("c2", active=True)
    tones.call_state("c2", "early", 183, 0.3)
    assert tones.wanted(0.3) is None


def test_ringback_stops_when_the_outgoing_call_fails() -> None:
    tones = ToneDecider()
    tones.outgoing("c1")
    tones.call_state("c1", "early", 180, 0.0)
    tones.call_state("c1", "disconnected", 404, 1.0)
    assert tones.wanted(1.0) is None


def test_busy_for_two_seconds_after_486_or_600() -> None:
    for code in (486, 600):
        tones = ToneDecider()
        tones.outgoing("c1")
        tones.call_state("c1", "early", 180, 0.0)
        tones.call_state("c1", "disconnected", code, 10.0)
        assert tones.wanted(10.0) == "busy"
        assert tones.wanted(10.0 + BUSY_SECONDS - 0.01) == "busy"
        assert tones.wanted(10.0 + BUSY_SECONDS) is None
    assert BUSY_SECONDS == 2.0


def test_a_new_call_tone_replaces_the_busy_tone() -> None:
    tones = ToneDecider()
    tones.outgoing("c1")
    tones.call_state("c1", "disconnected", 486, 0.0)
    tones.incoming("c2", waiting=False)
    assert tones.wanted(0.5) == "ringtone"
    tones.settled("c2")
    assert tones.wanted(0.6) == "busy"  # still inside the busy period
    assert tones.wanted(3.0) is None


def test_the_most_recent_call_wins() -> None:
    tones = ToneDecider()
    tones.outgoing("c1")
    tones.call_state("c1", "early", 180, 0.0)
    tones.incoming("c2", waiting=False)
    assert tones.wanted(0.1) == "ringtone"
    tones.call_state("c2", "disconnected", 487, 0.2)
    assert tones.wanted(0.2) == "ringback"


def test_events_for_unknown_calls_are_ignored() -> None:
    tones = ToneDecider()
    tones.call_state("nope", "early", 180, 0.0)
    tones.media("nope", active=True)
    tones.settled("nope")
    tones.forget("nope")
    assert tones.wanted(0.0) is None
