"""``pulse-agent sync`` parses as IT expects, beside the other subcommands."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_app", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sync_help_lists_its_options() -> None:
    run = _run("sync", "--help")
    assert run.returncode == 0, run.stderr
    for option in ("--once", "--status", "--agent", "--login", "--password-env", "--json"):
        assert option in run.stdout


def test_sync_needs_once_or_status() -> None:
    run = _run("sync")
    assert run.returncode == 2
    assert "--once" in run.stderr


def test_once_and_status_exclude_each_other() -> None:
    run = _run("sync", "--once", "--status")
    assert run.returncode == 2


def test_top_level_help_names_sync_and_cache() -> None:
    run = _run("--help")
    assert run.returncode == 0
    assert "sync" in run.stdout and "cache" in run.stdout
