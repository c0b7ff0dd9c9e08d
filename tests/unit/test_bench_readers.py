"""What the benchmarks read about processes (``/proc``), the SIP relay's From header, and
JSON lines another process is still writing."""

from __future__ import annotations

from pathlib import Path

from testbed.json_lines import JsonLines
from testbed.processes import (
    parse_machine_ticks,
    parse_smaps_rollup,
    parse_stat,
    steal_pct,
)
from testbed.sip_tap import from_user

ROLLUP = """\
557ee87a9000-7ffd4d818000 ---p 00000000 00:00 0                          [rollup]
Rss:                1776 kB
Pss:                 313 kB
Pss_Anon:            112 kB
Private_Clean:        40 kB
Private_Dirty:       112 kB
"""


def test_smaps_rollup_fields_in_kb_without_the_header() -> None:
    fields = parse_smaps_rollup(ROLLUP)
    assert fields == {
        "Rss": 1776,
        "Pss": 313,
        "Pss_Anon": 112,
        "Private_Clean": 40,
        "Private_Dirty": 112,
    }


def test_stat_reads_past_a_command_name_with_spaces_and_parentheses() -> None:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    line = "4242 (pulse (x) y) S 4200 4242 4242 0 -1 4194304 102 0 0 0 17 5 0 0 20 0 1 0"
    parsed = parse_stat(line)
    assert (parsed.ppid, parsed.state, parsed.cpu_ticks) == (4200, "S", 22)


def test_machine_steal_share() -> None:
    before = parse_machine_ticks("cpu  100 0 50 800 10 0 5 35 0 0\ncpu0 1 2 3\n")
    after = parse_machine_ticks("cpu  150 0 70 900 10 0 5 65 0 0\n")
    assert before == (35, 1000)
    assert after == (65, 1200)
    assert steal_pct(before, after) == 15.0
    assert parse_machine_ticks("intr 1 2 3\n") is None
    assert steal_pct(None, after) is None


def test_from_user_of_an_invite() -> None:
    invite = (
        b"INVITE sip:agent@127.0.0.1:5060 SIP/2.0\r\n"
        b"To: <sip:agent@127.0.0.1>\r\n"
        b'From: "Caller" <sip:+12015550123@127.0.0.1:6000>;tag=abc\r\n'
        b"\r\nv=0\r\n"
    )
    assert from_user(invite) == "+12015550123"
    assert from_user(b"INVITE sip:a@b SIP/2.0\r\nf: sip:1001@pbx;tag=1\r\n\r\n") == "1001"
    assert from_user(b"INVITE sip:a@b SIP/2.0\r\n\r\n") == ""


def test_json_lines_reads_completed_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = JsonLines(path)
    with path.open("ab") as out:
        out.write(b'banner from a library\n{"type": "a", "n": 1}\n{"type": "b"')
        out.flush()
        assert lines.read() == [{"type": "a", "n": 1}]
        out.write(b', "n": 2}\n')
        out.flush()
        assert lines.find("b", n=2) == {"type": "b", "n": 2}
    assert lines.find("c") is None
    lines.close()
