"""Call set-up time on loopback: INVITE sent → call confirmed, over UDP and TLS.

The engine runs in this process (the same Engine the engine process runs) and dials a
pulse-phone peer that answers at once. A call's set-up time runs from the moment the
Dial command is queued to the engine's ``confirmed`` event (both on the monotonic
clock), so it includes the engine's command polling. Over TLS the connection is made
by the first call and reused after; the first call's time is reported on its own.
"""

from __future__ import annotations

import argparse
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from agent_app.telephony import protocol as p
from agent_app.telephony.engine.core import Engine
from testbed.ports import free_port
from testbed.telephony_certs import make_pki
from testbed.timing import Figures

FIGURES = Figures("call_setup")


def _peer(args: list[str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent_app.telephony.phone_cli",
            "listen",
            "--auto-answer",
            "--duration",
            "600",
            *args,
        ],  # never outlives a benchmark that crashed
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # engine_ready: the account exists by then
    # Keep reading, or the peer blocks on a full pipe and stops answering.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc


def _measure(engine: Engine, events: queue.Queue[p.Event], target: str, calls: int) -> list[float]:
    times: list[float] = []
    for i in range(calls):
        call_id = f"b{i}"
        start = time.monotonic()
        engine.submit(p.Dial(call_id=call_id, account_id="bench", target=target))
        confirmed = None
        while True:
            event = events.get(timeout=20)
            if (
                isinstance(event, p.CallStateChanged)
                and event.call_id == call_id
                and event.state == "confirmed"
            ):
                confirmed = event.at
                engine.submit(p.Hangup(call_id=call_id))
            if isinstance(event, p.CallEnded) and event.call_id == call_id:
                break
        if confirmed is None:
            raise RuntimeError("a benchmark call was not answered")
        times.append((confirmed - start) * 1000)
        # pjlib frees a closed socket's ioqueue slot 500 ms later and aborts when all 64
        # are taken: back-to-back calls faster than ~30 ms each would exhaust them.
        time.sleep(0.03)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    calls = 15 if args.quick else 100
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_pki(Path(tmp))
        cert, key = pki.server_cert, pki.server_key
        udp_port, tls_port = free_port(), free_port()
        peers = [
            _peer(["--port", str(udp_port)]),
            _peer(
                [
                    "--transport",
                    "tls",
                    "--tls-port",
                    str(tls_port),
                    "--tls-cert",
                    str(cert),
                    "--tls-key",
                    str(key),
                    "--srtp",
                    "optional",
                ]
            ),
        ]
        events: queue.Queue[p.Event] = queue.Queue()
        engine = Engine(events.put)
        engine.start(
            p.EngineConfig(
                transports=("udp", "tls"),
                bind_address="127.0.0.1",
                tls_ca_file=str(pki.ca_cert),
            )
        )
        try:
            engine.run_sync(
                p.AddAccount(p.AccountSpec("bench", "bench", "127.0.0.1", register=False))
            )
            udp = _measure(engine, events, f"sip:x@127.0.0.1:{udp_port}", calls)
            engine.run_sync(p.RemoveAccount(account_id="bench"))
            engine.run_sync(
                p.AddAccount(
                    p.AccountSpec("bench", "bench", "127.0.0.1", transport="tls", register=False)
                )
            )
            tls = _measure(engine, events, f"sip:x@127.0.0.1:{tls_port}", calls + 1)
        finally:
            engine.stop()
            for peer in peers:
                peer.terminate()
                peer.wait(10)
                if peer.stdout is not None:
                    peer.stdout.close()
    FIGURES.emit("setup_median_ms", statistics.median(udp), "ms", "<= 10")
    FIGURES.emit("setup_p95_ms", sorted(udp)[int(len(udp) * 0.95) - 1], "ms")
    FIGURES.emit("setup_tls_median_ms", statistics.median(tls[1:]), "ms", "<= 80")
    FIGURES.emit("setup_tls_first_call_ms", tls[0], "ms")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
