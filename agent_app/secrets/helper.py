"""The secrets helper: a short-lived process that holds the keyring for the desk.

The desk (:mod:`agent_app.secrets.helper_client`) starts ``<python> -m
agent_app.secrets.helper`` when it needs a secret and closes its standard input once it has
been idle a few seconds; the helper then exits. The keyring backends, the Secret Service
session and the workstation's private key therefore live here, never in the desk
(docs/decisions/0047-secrets-helper-process.md).

Protocol: JSON lines. The helper first writes ``{"ready": "<backend>"}`` or
``{"error": "<kind>", "message": "..."}`` and exits on the latter. Then one answer per
request, in order: ``{"op": "get"|"set"|"delete"|"warm_up"|"public_key"|"sign", ...}`` gets
``{"ok": <value>}`` or ``{"error": "<kind>", "message": "..."}``. Kinds: ``insecure``,
``locked``, ``store``, ``request``. Messages never hold a secret. It ends at end of input,
which is also what it sees when the desk dies.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from typing import IO, Any

from agent_app.secrets.errors import InsecureKeyringError, KeyringLockedError, SecretStoreError

HELPER_LOG = "pulse-secrets.log"
MAX_REQUEST_BYTES = 1 << 20
"""A request line longer than this is refused (secrets are short; the line is not kept)."""


def error_kind(exc: SecretStoreError) -> str:
    if isinstance(exc, InsecureKeyringError):
        return "insecure"
    if isinstance(exc, KeyringLockedError):
        return "locked"
    return "store"


class RequestError(ValueError):
    """A request the helper does not understand; the message names the field, not its value."""


def _text(request: dict[str, Any], field: str) -> str:
    value = request.get(field)
    if not isinstance(value, str):
        raise RequestError(f"'{field}' must be a string")
    return value


class Holder:
    """Answers requests against one in-process keyring store; the device key, once found, is
    kept for the helper's life."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._signer: Any = None

    def _device_signer(self) -> Any:
        # Kept once found; a workstation with none yet may be enrolled meanwhile.
        if self._signer is None:
            self._signer = self._store.device_signer()
        return self._signer

    def answer(self, request: dict[str, Any]) -> Any:
        op = request.get("op")
        if op == "warm_up":
            self._store.warm_up()
            return None
        if op == "get":
            return self._store.get(_text(request, "name"))
        if op == "set":
            self._store.set(_text(request, "name"), _text(request, "value"))
            return None
        if op == "delete":
            return self._store.delete(_text(request, "name"))
        if op == "public_key":
            signer = self._device_signer()
            return None if signer is None else signer.public_key
        if op == "sign":
            try:
                message = base64.b64decode(_text(request, "message"), validate=True)
            except binascii.Error:
                raise RequestError("'message' must be base64") from None
            signer = self._device_signer()
            if signer is None:
                raise SecretStoreError("this workstation has no enrolled key to sign with")
            return signer.sign(message)
        raise RequestError(f"unknown op {op!r}" if isinstance(op, str) else "'op' is missing")


def _write(out: IO[str], payload: dict[str, Any]) -> None:
    out.write(json.dumps(payload) + "\n")
    out.flush()


def serve(store: Any, lines: IO[str], out: IO[str]) -> None:
    """Answer each request line until end of input."""
    holder = Holder(store)
    while True:
        line = lines.readline(MAX_REQUEST_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_REQUEST_BYTES:
            _write(out, {"error": "request", "message": "request line too long"})
            # The rest of the oversized line is read and dropped, unparsed.
            while line and not line.endswith("\n"):
                line = lines.readline(MAX_REQUEST_BYTES)
            continue
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise RequestError("a request is a JSON object")
            _write(out, {"ok": holder.answer(request)})
        except (RequestError, json.JSONDecodeError) as exc:
            reason = str(exc) if isinstance(exc, RequestError) else "not JSON"
            _write(out, {"error": "request", "message": reason})
        except SecretStoreError as exc:
            _write(out, {"error": error_kind(exc), "message": str(exc)})
        except Exception as exc:  # a backend failing in its own way; its text may hold data
            _write(out, {"error": "store", "message": f"keyring failure ({type(exc).__name__})"})


def main(argv: list[str] | None = None) -> int:
    # The protocol owns standard output: nothing else may write there.
    out, sys.stdout = sys.stdout, sys.stderr
    # Beside the desk's log (``--log-dir``, ``--log-level``), redacted, in a file of its own.
    from agent_app.foundation.logs import start_child_logging

    start_child_logging(
        list(sys.argv[1:] if argv is None else argv), filename=HELPER_LOG, prefix="secrets-"
    )
    from agent_app.secrets.store import SecretStore

    try:
        store = SecretStore()
    except SecretStoreError as exc:
        _write(out, {"error": error_kind(exc), "message": str(exc)})
        return 3
    except Exception as exc:  # keyring's own start-up failing
        _write(out, {"error": "store", "message": f"keyring failure ({type(exc).__name__})"})
        return 3
    _write(out, {"ready": store.backend_name})
    try:
        serve(store, sys.stdin, out)
    except (BrokenPipeError, KeyboardInterrupt):  # the desk went away
        pass
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
