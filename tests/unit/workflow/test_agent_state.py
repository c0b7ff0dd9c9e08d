"""The shown state's priorities, its timers, and the journal payload of a change."""

from __future__ import annotations

import itertools

import pytest

from agent_app.store import journal_schema
from agent_app.workflow.agent_state import (
    JOURNAL_KIND,
    AgentState,
    StateClock,
    derive_state,
    state_payload,
)
from tests.unit.workflow.fakes import BREAK, LUNCH, ManualClock


@pytest.mark.parametrize(
    ("connected", "offered", "registered", "wrap_up", "not_ready"),
    list(itertools.product([False, True], repeat=5)),
)
def test_the_state_follows_calls_then_phone_then_work_then_choice(
    connected: bool, offered: bool, registered: bool, wrap_up: bool, not_ready: bool
) -> None:
    state, reason = derive_state(
        connected=connected,
        offered=offered,
        registered=registered,
        wrap_up=wrap_up,
        not_ready=BREAK if not_ready else None,
    )
    if connected:
        expected = AgentState.ON_CALL
    elif offered:
        expected = AgentState.RINGING
    elif not registered:
        expected = AgentState.OFFLINE
    elif wrap_up:
        expected = AgentState.WRAP_UP
    else:
        expected = AgentState.NOT_READY if not_ready else AgentState.READY
    assert state is expected
    assert reason == (BREAK if expected is AgentState.NOT_READY else None)
    assert state is not AgentState.READY or not (connected or offered)


def test_each_reason_has_its_own_timer_and_total() -> None:
    clock = ManualClock()
    timer = StateClock(clock, AgentState.OFFLINE, None)
    clock.advance(5)
    assert timer.change(AgentState.NOT_READY, BREAK) == 5
    clock.advance(60)
    assert timer.change(AgentState.NOT_READY, LUNCH) == 60  # a new reason: a new timer
    assert timer.elapsed() == 0
    clock.advance(30)
    timer.change(AgentState.ON_CALL, None)
    clock.advance(100)
    timer.change(AgentState.NOT_READY, BREAK)
    clock.advance(15)
    assert timer.totals() == {"break": 75, "lunch": 30}
    assert timer.elapsed() == 15


def test_the_payload_names_codes_and_times_only() -> None:
    payload = state_payload(
        state=AgentState.NOT_READY,
        reason=BREAK,
        previous=AgentState.READY,
        previous_reason=None,
        previous_s=12.34567,
        at="2026-03-02T09:00:01.000Z",
        call_id=None,
    )
    assert payload == {
        "state": "not_ready",
        "reason": "break",
        "previous": "ready",
        "previous_reason": None,
        "previous_s": 12.346,
        "at": "2026-03-02T09:00:01.000Z",
        "call_id": None,
    }
    assert JOURNAL_KIND in journal_schema.KINDS
