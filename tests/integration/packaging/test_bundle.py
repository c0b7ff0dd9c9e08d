"""The one-folder bundle is the whole desktop app: run from its own files, it reports its
version, opens the sign-in window offscreen with the Secret Service keyring found through
keyring's entry points, and starts its telephony engine from the same executable, which
carries a call's audio both ways through a virtual headset. It carries only the Qt
modules and plugins the app uses, and takes the desktop libraries from the system."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import agent_app
from agent_app.telephony import protocol as p
from agent_app.telephony.client import EngineClient
from testbed.audio_call import HarnessProcess
from testbed.audio_server import (
    AudioServer,
    audio_server,
    stop_playing,
    tone,
)
from testbed.ports import free_port
from testbed.timing import wait_until
from tests.helpers.engine_headset_call import call_heard_both_ways
from tests.helpers.telephony_peers import EventLog

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]


def run_frozen(
    app: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(app), *args],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
        cwd=app.parent.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_bundle_reports_its_version(frozen_app: Path) -> None:
    result = run_frozen(frozen_app, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"pulse-agent {agent_app.__version__}"


def test_the_bundle_runs_only_its_engine_module(frozen_app: Path) -> None:
    refused = run_frozen(frozen_app, "-m", "os")
    assert refused.returncode == 2
    assert "not a module of this bundle" in refused.stderr
    # The engine's own entry: without the token its client passes, it refuses to serve.
    engine = run_frozen(frozen_app, "-m", "agent_app.telephony.engine_server")
    assert engine.returncode == 2
    assert "engine: no token" in engine.stderr


def test_the_frozen_secrets_helper_reads_and_signs_for_the_desk(
    frozen_app: Path, secret_service_env: dict[str, str], secret_backend: object
) -> None:
    # The desk starts its secrets helper as `sys.executable -m agent_app.secrets.helper`.
    from agent_app.secrets.device_key import DeviceKey
    from agent_app.secrets.helper_client import HelperSecrets
    from agent_app.secrets.store import SecretStore

    secrets = HelperSecrets(python=str(frozen_app), env={**os.environ, **secret_service_env})
    try:
        assert secrets.backend_name == "keyring.backends.SecretService.Keyring"
        secrets.set("bundle:probe", "read-back")
        assert secrets.get("bundle:probe") == "read-back"
        assert secrets.delete("bundle:probe") is True
        key = DeviceKey.generate()
        key.save(SecretStore(secret_backend))  # type: ignore[arg-type]
        signer = secrets.device_signer()  # the device key's code is in the bundle too
        assert signer is not None
        assert signer.sign(b"bundle") == key.sign(b"bundle")
    finally:
        secrets.close()


def test_the_bundle_carries_the_app_and_only_the_qt_it_uses(frozen_app: Path) -> None:
    inside = frozen_app.parent / "_internal"
    assert {p.name for p in (inside / "agent_app" / "_ui").glob("*.ui")} == {
        p.name for p in (bundles_root() / "ui").glob("*.ui")
    }
    assert (inside / "agent_app" / "_resources" / "icons" / "app" / "pulse.svg").is_file()
    assert (inside / "agent_app" / "_translations" / "pulse_es.qm").is_file()
    qt = inside / "PySide6" / "Qt"
    libraries = {p.name.split(".so")[0] for p in (qt / "lib").glob("*.so*")}
    for used in ("Core", "Gui", "Widgets", "Multimedia", "Network", "Svg", "UiTools"):
        assert f"libQt6{used}" in libraries
    unused = [
        n
        for n in libraries
        if n.startswith(("libQt6WebEngine", "libQt6Qml", "libQt6Quick", "libQt63D"))
    ]
    assert unused == []
    plugins = qt / "plugins"
    assert {p.name for p in (plugins / "platforms").iterdir()} == {"libqxcb.so", "libqoffscreen.so"}
    assert (plugins / "tls" / "libqopensslbackend.so").is_file()
    # Qt's own Spanish for its standard buttons (agent_app/views/language.py loads it).
    assert (qt / "translations" / "qtbase_es.qm").is_file()
    assert (plugins / "iconengines" / "libqsvgicon.so").is_file()
    assert not (plugins / "multimedia").exists()
    assert any((inside / "pjsua2").glob("_pjsua2*.so"))
    assert any((inside / "sqlcipher3").glob("*.so"))
    entry_points = next(inside.glob("keyring-*.dist-info")) / "entry_points.txt"
    assert "keyring.backends.SecretService" in entry_points.read_text()
    # The desktop libraries come from the system (the .deb's Depends), not the build machine.
    system_copies = [
        p.name
        for p in inside.iterdir()
        if p.name.startswith(("libpulse", "libxcb", "libX11", "libstdc++", "libglib", "libgtk"))
    ]
    assert system_copies == []
    assert not (inside / "server").exists()
    assert not (inside / "fastapi").exists()


def bundles_root() -> Path:
    return Path(__file__).resolve().parents[3]


def test_the_frozen_app_opens_the_sign_in_window_with_the_secret_service(
    frozen_app: Path, tmp_path: Path, secret_service_env: dict[str, str]
) -> None:
    probe = tmp_path / "marks.jsonl"
    home = tmp_path / "home"
    env = {
        **os.environ,
        **secret_service_env,
        "QT_QPA_PLATFORM": "offscreen",
        "PULSE_HOME": str(home),
        "PULSE_TIMING_PROBE": str(probe),
    }
    log = (tmp_path / "app.out").open("wb")
    proc = subprocess.Popen(
        [str(frozen_app)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    try:

        def shown() -> bool:
            if proc.poll() is not None:
                raise AssertionError(
                    f"the frozen app exited ({proc.returncode}): "
                    + (tmp_path / "app.out").read_text(errors="replace")[-2000:]
                )
            return probe.exists() and '"login_shown"' in probe.read_text()

        wait_until(shown, 60, 0.05, what="the frozen app's sign-in window")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        log.close()
    assert code in (0, 128 + signal.SIGTERM)
    marks = [json.loads(line)["mark"] for line in probe.read_text().splitlines()]
    assert "login_shown" in marks
    app_log = "".join(p.read_text() for p in (home / "logs").glob("*.log*"))
    assert "keyring backend keyring.backends.SecretService.Keyring" in app_log
    output = (tmp_path / "app.out").read_text(errors="replace")
    assert "Traceback" not in output


@pytest.fixture
def headset(tmp_path: Path) -> Iterator[AudioServer]:
    with audio_server(tmp_path / "pulse") as server:
        server.add_speaker("headset_speaker")
        server.add_microphone("headset_mic")
        server.set_defaults("headset_speaker", "headset_mic")
        yield server


def test_the_frozen_engine_carries_a_call_through_the_headset(
    frozen_app: Path, headset: AudioServer, tmp_path: Path
) -> None:
    # The desktop starts its engine as `sys.executable -m agent_app.telephony.engine_server`;
    # frozen, sys.executable is the bundle's program, which is what is passed here.
    peer_port = free_port()
    record = tmp_path / "peer.wav"
    peer = HarnessProcess(
        ["peer", "--port", str(peer_port), "--tone", "1000", "--record", str(record)],
        headset.env,
        tmp_path / "peer.log",
    )
    player = headset.play("headset_mic_feed", tone(700, 90))
    heard = headset.record("headset_speaker")
    events = EventLog()
    env = {**os.environ, **headset.env}
    client = EngineClient(events.put, python=str(frozen_app), env=env, restart=False)
    try:
        peer.wait_for(lambda e: e.get("event") == "ready")
        client.start(
            p.EngineConfig(bind_address="127.0.0.1", local_port=free_port(), audio="devices")
        )
        ready = events.wait_type(p.EngineReady)
        assert ready.pjsip_version.startswith("2.15")
        call_heard_both_ways(client, events, peer_port, record, heard, "the frozen engine")
        client.send(p.Hangup(call_id="c1"))
        events.wait_type(p.CallEnded, call_id="c1")
    finally:
        client.stop()
        stop_playing(player)
        heard.stop()
        peer.close(command=False)
