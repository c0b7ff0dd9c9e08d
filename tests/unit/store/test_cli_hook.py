"""The `cache` subcommand hook leaves the GUI path and its Qt arguments alone."""

from __future__ import annotations

import pytest

from agent_app.cli import build_parser, main


def test_qt_arguments_still_pass_through_without_a_subcommand() -> None:
    args, qt_args = build_parser(commands=False).parse_known_args(["-platform", "offscreen"])
    assert qt_args == ["-platform", "offscreen"]
    assert not args.print_config


def test_cache_subcommands_are_registered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["cache", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("status", "verify", "rekey", "wipe", "--agent"):
        assert command in out


def test_cache_needs_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["cache"])
    assert info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err
