"""What each long-running process loads: the desk holds no keyring or private-key code (the
secrets helper does, docs/decisions/0047-secrets-helper-process.md), and the engine does not
start OpenSSL for a token comparison. Each probe imports a process's modules in a fresh
interpreter; the running desk is checked in tests/ui/test_app_lifecycle.py."""

from __future__ import annotations

import os
import subprocess
import sys


def _loaded(modules: list[str], watched: set[str]) -> list[str]:
    probe = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in modules)
        + f"print(sorted(set({sorted(watched)!r}) & set(sys.modules)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [line for line in run.stdout.strip().splitlines() if line][-1:]


def test_the_desk_loads_no_keyring_or_private_key_code() -> None:
    desk = [
        "agent_app.app",
        "agent_app.views.main_window",
        "agent_app.views.login_dialog",
        "agent_app.sync.service",
        "agent_app.sync.api",
        "agent_app.store.agent_store",
        "agent_app.demo.server",
    ]
    watched = {
        "keyring",
        "secretstorage",
        "jeepney",
        "cryptography",
        "agent_app.secrets.store",
        "agent_app.secrets.device_key",
        "agent_app.secrets.service_session",
    }
    assert _loaded(desk, watched) == ["[]"]


def test_the_engine_does_not_start_openssl() -> None:
    engine = [
        "agent_app.telephony.engine_server",
        "agent_app.telephony.engine.core",
        "agent_app.telephony.call_audio",
    ]
    assert _loaded(engine, {"hmac", "hashlib", "_hashlib", "ssl", "secrets"}) == ["[]"]
