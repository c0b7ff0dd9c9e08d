"""``python -m agent_app.telephony.probe pjsua2|audio``: facts for ``pulse-agent --self-check``.

Runs in a child process so that a broken pjsua2 build or audio stack can only fail the
check, never crash the command. Prints one JSON object on standard output: the pjsua2
library version and TLS backend, or the audio devices Qt Multimedia lists (as the
engine sees them) and the level heard on the microphone for half a second.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

MIC_SECONDS = 0.5
MIC_START_S = 2.5


def _tls_library() -> str:
    # pjsua2 does not say which TLS library it was built with; the one loaded with it does
    # (a wheel carries its own, renamed: libcrypto-<hash>.so.1.0.2k).
    maps = Path("/proc/self/maps")
    if maps.exists():
        names = {line.rsplit("/", 1)[-1] for line in maps.read_text().splitlines() if "/" in line}
        for prefixes, label in ((("libssl", "libcrypto"), "OpenSSL"), (("libgnutls",), "GnuTLS")):
            found = sorted(n for n in names if n.startswith(prefixes))
            if found:
                return f"{label} ({', '.join(found)})"
    return "unknown"


def probe_pjsua2() -> dict[str, Any]:
    import pjsua2 as pj

    ep = pj.Endpoint()
    ep.libCreate()
    try:
        cfg = pj.EpConfig()
        cfg.logConfig.level = 0
        cfg.logConfig.consoleLevel = 0
        ep.libInit(cfg)
        version = str(ep.libVersion().full)
        try:
            ciphers = len(ep.utilSslGetAvailableCiphers())
        except Exception:  # pjsua2 raises when it was built without TLS
            ciphers = 0
        return {"version": version, "tls": ciphers > 0, "tls_library": _tls_library()}
    finally:
        ep.libDestroy()


def _level_dbfs(data: bytes) -> float:
    samples = memoryview(data).cast("h") if len(data) >= 2 else memoryview(b"").cast("h")
    if len(samples) == 0:
        return -120.0
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    return -120.0 if rms < 1 else 20 * math.log10(rms / 32768)


def probe_audio(microphone: str, speaker: str, ringer: str) -> dict[str, Any]:
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtMultimedia import QAudioFormat, QAudioSource, QMediaDevices

    from agent_app.telephony.audio.devices import device_id

    app = QCoreApplication.instance() or QCoreApplication([])
    inputs = list(QMediaDevices.audioInputs())
    outputs = list(QMediaDevices.audioOutputs())

    def pick(devices: list[Any], wanted: str, default: Any) -> Any:
        if not wanted:
            return default if not default.isNull() else None
        return next((d for d in devices if device_id(d) == wanted), None)

    mic = pick(inputs, microphone, QMediaDevices.defaultAudioInput())
    found: dict[str, Any] = {
        "inputs": len(inputs),
        "outputs": len(outputs),
        "microphone": mic.description() if mic is not None else None,
        "speaker": _name(pick(outputs, speaker, QMediaDevices.defaultAudioOutput())),
        "ringer": _name(pick(outputs, ringer or speaker, QMediaDevices.defaultAudioOutput())),
        "level_dbfs": None,
    }
    if mic is not None:
        fmt = QAudioFormat()
        fmt.setSampleRate(48000)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        source = QAudioSource(mic, fmt)
        stream = source.start()
        # Half a second of samples, however long the device takes to start delivering.
        wanted = int(48000 * MIC_SECONDS) * 2
        captured = bytearray()
        deadline = time.monotonic() + MIC_SECONDS + MIC_START_S
        while len(captured) < wanted and time.monotonic() < deadline:
            app.processEvents()
            captured += bytes(stream.readAll().data())
            time.sleep(0.02)
        source.stop()
        found["level_dbfs"] = round(_level_dbfs(bytes(captured)), 1)
        found["captured_bytes"] = len(captured)
    return found


def _name(device: Any) -> str | None:
    return None if device is None else str(device.description())


def main(argv: list[str]) -> int:
    if argv[:1] == ["pjsua2"]:
        print(json.dumps(probe_pjsua2()))
        return 0
    if argv[:1] == ["audio"] and len(argv) == 4:
        print(json.dumps(probe_audio(argv[1], argv[2], argv[3])))
        return 0
    print("usage: probe pjsua2 | probe audio MICROPHONE SPEAKER RINGER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
