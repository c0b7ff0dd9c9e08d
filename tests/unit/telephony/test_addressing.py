"""Dial-string normalisation and caller identity from INVITE headers."""

from __future__ import annotations

import pytest

from agent_app.telephony.addressing import (
    InvalidTarget,
    caller_identity,
    normalise_target,
    parse_name_addr,
)


@pytest.mark.parametrize(
    ("target", "transport", "expected"),
    [
        ("555-0100", "udp", "sip:5550100@pbx.test"),
        (" +1 (555) 010-0199 ", "udp", "sip:+15550100199@pbx.test"),
        ("*72#", "udp", "sip:*72#@pbx.test"),
        ("tel:+1-555-0100", "udp", "sip:+15550100@pbx.test"),
        ("nurse-line", "udp", "sip:nurse-line@pbx.test"),
        ("bob@example.test", "udp", "sip:bob@example.test"),
        ("sip:bob@example.test:5070", "udp", "sip:bob@example.test:5070"),
        ("sips:bob@example.test", "tls", "sips:bob@example.test"),
        ("5550100", "tcp", "sip:5550100@pbx.test;transport=tcp"),
        ("sip:a@b;transport=udp", "tls", "sip:a@b;transport=udp"),
    ],
)
def test_normalise_target(target: str, transport: str, expected: str) -> None:
    assert normalise_target(target, "pbx.test", transport) == expected


@pytest.mark.parametrize("bad", ["", "   ", "555 01x0", "sip:a b@c", "sip:<a@b>", "12;34"])
def test_invalid_targets_are_refused(bad: str) -> None:
    with pytest.raises(InvalidTarget):
        normalise_target(bad, "pbx.test")


def _invite(*headers: str) -> str:
    return "\r\n".join(["INVITE sip:agent@pbx.test SIP/2.0", *headers, "", "v=0"])


def test_p_asserted_identity_wins_and_prefers_tel() -> None:
    msg = _invite(
        'From: "Spoofed" <sip:5550199@pbx.test>;tag=1',
        'Remote-Party-ID: "Rpid Name" <sip:5550188@pbx.test>;party=calling',
        'P-Asserted-Identity: "Test Patient" <sip:5550101@pbx.test>, <tel:+15550100101>',
    )
    who = caller_identity(msg)
    assert (who.number, who.display_name, who.source) == (
        "+15550100101",
        "Test Patient",
        "p-asserted-identity",
    )


def test_remote_party_id_before_from() -> None:
    msg = _invite(
        "From: <sip:5550199@pbx.test>;tag=1",
        'Remote-Party-ID: "Rpid, Name" <sip:5550188@pbx.test>;party=calling',
    )
    who = caller_identity(msg)
    assert (who.number, who.display_name, who.source) == (
        "5550188",
        "Rpid, Name",
        "remote-party-id",
    )


def test_from_with_compact_form_and_folding() -> None:
    msg = _invite('f: "Folded\r\n Name" <sip:5550177@pbx.test>;tag=x')
    who = caller_identity(msg)
    assert who.number == "5550177" and who.display_name == "Folded Name" and who.source == "from"


def test_no_identity() -> None:
    assert caller_identity(_invite("To: <sip:a@b>")).number == ""


def test_parse_name_addr_forms() -> None:
    assert parse_name_addr('"A \\"B\\"" <sip:x@y>') == ('A "B"', "sip:x@y")
    assert parse_name_addr("Plain Name <sip:x@y>;tag=1") == ("Plain Name", "sip:x@y")
    assert parse_name_addr("sip:x@y;tag=1") == ("", "sip:x@y")
