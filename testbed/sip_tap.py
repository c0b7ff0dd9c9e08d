"""A UDP relay between one SIP caller and one callee on loopback that notes when each INVITE
left the caller.

``python -m testbed.sip_tap --forward-port D --log FILE``: prints ``SIP-TAP <port>`` (the
port to call instead of ``D``), then relays every datagram from the caller to
``127.0.0.1:D`` and every datagram from there back to the caller (the callee answers the
relay, which its Via ``rport`` names). For each INVITE it appends one JSON line to ``FILE``:
``{"from": <From's user>, "t": <time.monotonic() when it arrived>, "sent": <after it was
forwarded>}``. On loopback a datagram arrives as it is sent, so ``t`` is the moment the
caller's SIP stack let the INVITE go, which its own events do not say; ``sent - t`` is what
the relay adds to the callee's side.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import socket
import sys
import time

_FROM = re.compile(rb"^(?:From|f)\s*:[^\r\n]*?<?sips?:([^@;>\s]+)@", re.IGNORECASE | re.MULTILINE)


def from_user(message: bytes) -> str:
    """The user part of the From header's URI ("" when there is none)."""
    match = _FROM.search(message.split(b"\r\n\r\n", 1)[0])
    return match.group(1).decode(errors="replace") if match else ""


def relay(
    caller_side: socket.socket, callee_side: socket.socket, callee: tuple[str, int], log: int
) -> None:
    caller: tuple[str, int] | None = None
    while True:
        ready, _, _ = select.select([caller_side, callee_side], [], [])
        for sock in ready:
            data, source = sock.recvfrom(65_535)
            arrived = time.monotonic()
            if sock is caller_side:
                caller = source
                callee_side.sendto(data, callee)
                if data.startswith(b"INVITE "):
                    line = {"from": from_user(data), "t": arrived, "sent": time.monotonic()}
                    os.write(log, (json.dumps(line) + "\n").encode())
            elif caller is not None:
                caller_side.sendto(data, caller)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.sip_tap")
    parser.add_argument("--forward-port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args(argv)
    caller_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    caller_side.bind(("127.0.0.1", 0))
    callee_side = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    callee_side.bind(("127.0.0.1", 0))
    log = os.open(args.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    print(f"SIP-TAP {caller_side.getsockname()[1]}", flush=True)
    try:
        relay(caller_side, callee_side, ("127.0.0.1", args.forward_port), log)
    except KeyboardInterrupt:
        pass
    finally:
        os.close(log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
