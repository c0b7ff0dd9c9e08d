"""The benchmarks' timing marks: nothing at all unless PULSE_TIMING_PROBE names a file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from agent_app.views import timing_probe


def test_off_by_default_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(timing_probe.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    timing_probe.mark("login_shown")
    assert not timing_probe.enabled()
    assert list(tmp_path.iterdir()) == []


def test_a_mark_is_a_json_line_on_the_monotonic_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = tmp_path / "marks.jsonl"
    monkeypatch.setenv(timing_probe.ENV, str(probe))
    before = time.monotonic()
    timing_probe.mark("signed_in")
    timing_probe.mark("desk_shown")
    marks = [json.loads(line) for line in probe.read_text().splitlines()]
    assert [m["mark"] for m in marks] == ["signed_in", "desk_shown"]
    assert before <= marks[0]["t"] <= marks[1]["t"] <= time.monotonic()
