"""The pulse-agent command line: --version and --print-config, without a display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agent_app import __version__
from agent_app.foundation import paths


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_app", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    run = _run("--version")
    assert run.returncode == 0
    assert run.stdout.strip() == f"pulse-agent {__version__}"


def test_print_config_shows_sources() -> None:
    machine = paths.machine_config_file()
    machine.parent.mkdir(parents=True)
    machine.write_text('[sip]\nregistrar = "pbx.internal:5060"\n', encoding="utf-8")
    run = _run("--print-config", env={"PULSE_SIP_TRANSPORT": "tls"})
    assert run.returncode == 0, run.stderr
    lines = {line.split()[0]: line for line in run.stdout.splitlines()}
    assert "'pbx.internal:5060'" in lines["sip.registrar"]
    assert f"machine ({machine})" in lines["sip.registrar"]
    assert "environment (PULSE_SIP_TRANSPORT)" in lines["sip.transport"]
    assert lines["sip.srtp"].endswith("# defaults")


def test_bad_config_stops_start_up_with_a_clear_message(pulse_home: Path) -> None:
    run = _run("--print-config", env={"PULSE_SECURITY_LOCK_AFTER_IDLE_S": "5"})
    assert run.returncode == 2
    assert "PULSE_SECURITY_LOCK_AFTER_IDLE_S" in run.stderr
    assert "security.lock_after_idle_s = '5'" in run.stderr


def test_the_desk_talks_http_without_httpx() -> None:
    """The desk's HTTP is the standard library's: neither httpx nor its command line (rich,
    click, pygments, which the development tools install) is loaded."""
    probe = (
        "import sys; import agent_app.cli, agent_app.sync.api, agent_app.self_check, "
        "agent_app.demo.server; "
        "print(sorted({'httpx', 'httpcore', 'rich', 'click', 'pygments'} & set(sys.modules)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.strip() == "[]"
