"""The demo patients' phones: with the demo running, the first patients the desk dials answer,
are busy, ring out or go to voicemail, one behaviour each, and they end with the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from agent_app.demo.patient_phones import (
    ANSWERS,
    BEHAVIOURS,
    BUSY,
    PHONES,
    RINGS_OUT,
    VOICEMAIL,
    VOICEMAIL_AFTER_S,
)
from agent_app.demo.server import start_demo_server
from tests.helpers.telephony_peers import json_events

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_RING_OUT_WAIT_S = 5.0


def _wait_registered(log: Path, count: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    registered = 0
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8") if log.exists() else ""
        registered = sum(
            e.get("type") == "registration_changed" and e.get("state") == "registered"
            for e in json_events(text)
        )
        if registered >= count:
            break
        time.sleep(0.2)
    return registered


def _call(domain: str, number: str, timeout: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "agent_app.telephony.phone_cli", "call",
            "--username", "1001", "--domain", domain,
            "--timeout", str(timeout), "--duration", "1", number,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )  # fmt: skip


def _states(events: list[dict[str, Any]]) -> set[str]:
    return {str(e.get("state")) for e in events if e.get("type") == "call_state"}


def _ended_code(events: list[dict[str, Any]]) -> Any:
    return next((e.get("code") for e in events if e.get("type") == "call_ended"), None)


def test_the_first_dialled_patients_answer_are_busy_ring_out_or_go_to_voicemail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = start_demo_server(tmp_path / "demo")
    phones = []
    try:
        assert demo.pbx is not None, demo.pbx_problem
        assert demo.patient_phones is not None
        phones = list(demo.patient_phones.phones)
        assert [phone.behaviour for phone in phones] == [*BEHAVIOURS, *BEHAVIOURS]
        assert len(phones) == PHONES
        mrns = [phone.patient.mrn for phone in phones]
        assert mrns == sorted(mrns)
        started_line = capsys.readouterr().err
        assert f"{mrns[1]} {BUSY}" in started_line
        assert phones[1].patient.number not in started_line

        log = tmp_path / "demo" / "patient-phones.log"
        assert _wait_registered(log, PHONES) == PHONES

        first = {phone.behaviour: phone.patient.number for phone in reversed(phones)}
        domain = demo.pbx.registrar
        began = time.monotonic()
        calls = {
            ANSWERS: _call(domain, first[ANSWERS], 20),
            BUSY: _call(domain, first[BUSY], 20),
            RINGS_OUT: _call(domain, first[RINGS_OUT], _RING_OUT_WAIT_S),
            VOICEMAIL: _call(domain, first[VOICEMAIL], 25),
        }
        events: dict[str, list[dict[str, Any]]] = {}
        took: dict[str, float] = {}
        for behaviour, call in calls.items():
            out, err = call.communicate(timeout=40)
            took[behaviour] = time.monotonic() - began
            events[behaviour] = json_events(out)
            assert events[behaviour], err

        assert "confirmed" in _states(events[ANSWERS])
        assert took[ANSWERS] < VOICEMAIL_AFTER_S
        assert _ended_code(events[BUSY]) == 486
        assert "confirmed" not in _states(events[BUSY])
        rang = _states(events[RINGS_OUT])
        assert "confirmed" not in rang
        assert rang & {"early", "ringing"}
        assert "confirmed" in _states(events[VOICEMAIL])
        assert took[VOICEMAIL] >= VOICEMAIL_AFTER_S
    finally:
        demo.stop()
    assert demo.patient_phones is not None
    assert demo.patient_phones.phones == []
    assert phones
    for phone in phones:
        assert phone.process.poll() is not None
        assert not Path(f"/proc/{phone.process.pid}").exists()
    assert demo.process.poll() is not None
