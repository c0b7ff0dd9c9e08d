"""The campaign fields the desk reads as the server sends them: the centre's exemption caps in
the dial gate, the progressive preview, the voicemail message's file name."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from agent_app.workflow.dial_rules import Attempt, DialGate, Level, caps_of, shared_rules
from agent_app.workflow.outbound import DEFAULT_PREVIEW_S, preview_seconds, voicemail_message
from pulse_contract import calling_rules as rules
from tests.unit.workflow.outbound_fakes import CAMPAIGN, NOW, NUMBERS, Cache, record

EXEMPT = {**CAMPAIGN, "healthcare_exempt": True}


def _gate(campaign: dict[str, Any], calls_today: int) -> DialGate:
    """A desk offline with one patient, ``calls_today`` exempt calls to them this morning."""
    cache = Cache(patients={"pat-1": record("pat-1")}, campaigns={campaign["id"]: campaign})
    gate = DialGate(
        lookup=lambda n: ["pat-1"] if n == NUMBERS["pat-1"] else [],
        reads=cache,
        rules=shared_rules,
        now=lambda: NOW,
    )
    for hour in range(calls_today):
        at = NOW - timedelta(hours=hour + 1)
        gate.attempted(Attempt("pat-1", at, "REACHED", "camp-other", exempt=True))
    return gate


def _verdict(campaign: dict[str, Any], calls_today: int) -> Level:
    gate = _gate(campaign, calls_today)
    return gate.check(NUMBERS["pat-1"], patient_id="pat-1", campaign_id=campaign["id"]).level


def test_the_centres_caps_decide_the_exempt_calls_of_the_day() -> None:
    two_a_day = {**EXEMPT, "exemption_caps": {"per_day": 2, "per_week": 5}}
    assert _verdict(two_a_day, 1) is not Level.RED
    assert _verdict(two_a_day, 2) is Level.RED
    # A campaign document without caps (a server from before them): the rules' one a day.
    assert _verdict(EXEMPT, 1) is Level.RED
    # A campaign not under the exemption: no cap at all.
    assert _verdict({**CAMPAIGN, "exemption_caps": {"per_day": 0, "per_week": 0}}, 2) in (
        Level.GREEN,
        Level.AMBER,
    )


def test_a_refusal_by_cap_says_the_centres_limit() -> None:
    gate = _gate({**EXEMPT, "exemption_caps": {"per_day": 2, "per_week": 5}}, 2)
    verdict = gate.check(NUMBERS["pat-1"], patient_id="pat-1", campaign_id="camp-out")
    assert verdict.template == rules.MESSAGES["exempt_daily_cap"]
    assert (verdict.params["count"], verdict.params["limit"]) == ("2", "2")


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "2/day",
        {"per_day": 2},
        {"per_day": -1, "per_week": 3},
        {"per_day": True, "per_week": 3},
        {"per_day": "2", "per_week": "3"},
    ],
)
def test_malformed_caps_read_as_the_rules_defaults(raw: object) -> None:
    assert caps_of({**EXEMPT, "exemption_caps": raw}) == rules.ExemptionCaps()


def test_caps_are_read_as_sent() -> None:
    sent = {**EXEMPT, "exemption_caps": {"per_day": 0, "per_week": 7}}
    assert caps_of(sent) == rules.ExemptionCaps(per_day=0, per_week=7)
    assert caps_of(None) == rules.ExemptionCaps()


@pytest.mark.parametrize(
    ("sent", "used"),
    [
        (12, 12.0),
        (2.5, 2.5),
        (None, DEFAULT_PREVIEW_S),
        (0, DEFAULT_PREVIEW_S),
        (-3, DEFAULT_PREVIEW_S),
        (600, DEFAULT_PREVIEW_S),
        (True, DEFAULT_PREVIEW_S),
        ("8", DEFAULT_PREVIEW_S),
    ],
)
def test_the_progressive_preview_is_the_campaigns(sent: object, used: float) -> None:
    campaign = {**CAMPAIGN, "kind": "progressive"}
    if sent is not None:
        campaign["preview_s"] = sent
    assert preview_seconds(campaign) == used


def test_the_voicemail_message_is_a_file_of_the_messages_folder(tmp_path: Path) -> None:
    folder = tmp_path / "messages"
    folder.mkdir()
    (folder / "reminder.wav").write_bytes(b"RIFF")
    (tmp_path / "outside.wav").write_bytes(b"RIFF")

    def found(name: object) -> str | None:
        return voicemail_message({**CAMPAIGN, "voicemail_message": name}, folder)

    assert found("reminder.wav") == str(folder / "reminder.wav")
    assert found("missing.wav") is None
    assert found("../outside.wav") is None
    assert found(str(tmp_path / "outside.wav")) is None
    assert found(None) is None
