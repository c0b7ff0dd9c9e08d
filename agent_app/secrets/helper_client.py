"""The desk's secrets, kept by the secrets helper process (:mod:`agent_app.secrets.helper`).

:class:`HelperSecrets` is the desk's :class:`~agent_app.secrets.protocols.Secrets`. It starts
the helper when a secret is needed, reuses it for the calls that follow, and lets it go once
it has been idle for :data:`LINGER_S`; the next call starts a new one. Sign-in and a token
refresh each cost one start; an idle desk runs none. Signatures by the workstation's key are
made by the helper, so the private key never enters the desk.

Every failure is a :class:`SecretStoreError` (or its subclasses, as the helper reported
them): a helper that cannot start, ends mid-call, answers garbage or does not answer within
the timeout. A helper that ended between calls is started again once, transparently: every
request is idempotent. Safe to share between threads; calls are served one at a time.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from agent_app.foundation.child_processes import child_environment
from agent_app.foundation.logs import active_log, log_arguments
from agent_app.secrets.errors import InsecureKeyringError, KeyringLockedError, SecretStoreError
from agent_app.secrets.protocols import Signer

log = logging.getLogger(__name__)

HELPER_MODULE = "agent_app.secrets.helper"
LINGER_S = 3.0
"""Idle time after which the helper is let go: sign-in's reads share one helper."""
ANSWER_TIMEOUT_S = 20.0
"""A keyring that has not answered by then is reported (the desk never waits forever)."""

_ERRORS: dict[str, type[SecretStoreError]] = {
    "insecure": InsecureKeyringError,
    "locked": KeyringLockedError,
}


class _HelperGone(Exception):
    """The helper ended (or closed its output) before answering."""


class _Helper:
    """One helper process, its request pipe and a thread that reads its answers."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if sys.platform == "win32" else 0
        try:
            self.proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
                env=env,
                text=True,
                encoding="utf-8",
                creationflags=flags,
            )
        except OSError as exc:
            raise SecretStoreError(
                f"the secrets helper could not be started ({type(exc).__name__})"
            ) from None
        self._answers: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, name="pulse-secrets-reader", daemon=True).start()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        with contextlib.suppress(OSError, ValueError):
            for line in stdout:
                self._answers.put(line)
        with contextlib.suppress(OSError):
            stdout.close()  # here, by its only reader, once the helper has ended
        self._answers.put(None)

    def answer(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise SecretStoreError(
                f"the keyring did not answer within {timeout:.0f} s (is it waiting for an "
                "unlock prompt?)"
            ) from None
        if line is None:
            raise _HelperGone
        try:
            payload = json.loads(line)
        except json.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict):
            self.kill()
            raise SecretStoreError("the secrets helper answered something that is not JSON")
        return payload

    def ask(self, request: dict[str, Any], timeout: float) -> Any:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
        except (OSError, ValueError):
            raise _HelperGone from None
        return _result(self.answer(timeout))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def retire(self) -> None:
        """End of input: the helper closes its keyring session and exits."""
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()


def _result(answer: dict[str, Any]) -> Any:
    if "ok" in answer:
        return answer["ok"]
    kind = answer.get("error")
    message = answer.get("message")
    text = message if isinstance(message, str) else "the secrets helper reported a failure"
    if kind == "request":
        text = f"the secrets helper refused a request: {text}"
    error = _ERRORS.get(kind, SecretStoreError) if isinstance(kind, str) else SecretStoreError
    raise error(text)


class _HelperSigner:
    def __init__(self, owner: HelperSecrets, public_key: str) -> None:
        self._owner = owner
        self._public_key = public_key

    @property
    def public_key(self) -> str:
        return self._public_key

    def __repr__(self) -> str:
        return f"HelperSigner(public_key={self._public_key!r})"

    def sign(self, message: bytes) -> str:
        signature = self._owner.call(
            {"op": "sign", "message": base64.b64encode(message).decode("ascii")}
        )
        if not isinstance(signature, str):
            raise SecretStoreError("the secrets helper answered a signature that is not text")
        return signature


class HelperSecrets:
    """The desk's secrets, asked of a helper process started on demand.

    Made at start-up: the first helper proves that a secure keyring backend exists
    (:class:`InsecureKeyringError` otherwise) and names it.
    """

    def __init__(
        self,
        *,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        linger: float = LINGER_S,
        timeout: float = ANSWER_TIMEOUT_S,
    ) -> None:
        # The helper's warnings go beside the desk's, redacted.
        self._command = [python, "-m", HELPER_MODULE, *log_arguments(active_log())]
        self._env = child_environment(env)
        self._linger = linger
        self._timeout = timeout
        self._lock = threading.Lock()
        self._helper: _Helper | None = None
        self._idle_deadline = 0.0
        self._reaper: threading.Thread | None = None
        self.backend_name = ""
        self.starts = 0
        """How many helpers this desk has started (diagnostics)."""
        with self._lock:
            self._ensure()
            self._arm()

    # -------------------------------------------------------------- the helper's life

    def _ensure(self) -> _Helper:
        helper = self._helper
        if helper is not None and helper.alive():
            return helper
        if helper is not None:
            helper.kill()
            self._helper = None
        helper = _Helper(self._command, self._env)
        self.starts += 1
        try:
            hello = helper.answer(self._timeout)
        except _HelperGone:
            helper.kill()
            raise SecretStoreError("the secrets helper ended as it started") from None
        except SecretStoreError:
            helper.kill()
            raise
        if "ready" not in hello:
            helper.kill()
            _result(hello)  # raises the error it reported
            raise SecretStoreError("the secrets helper did not say it was ready")
        self.backend_name = str(hello["ready"])
        self._helper = helper
        return helper

    def _arm(self) -> None:
        """After a call (lock held): the helper goes once idle for the linger time."""
        self._idle_deadline = time.monotonic() + self._linger
        if self._helper is not None and self._reaper is None:
            self._reaper = threading.Thread(
                target=self._reap, name="pulse-secrets-linger", daemon=True
            )
            self._reaper.start()

    def _reap(self) -> None:
        while True:
            with self._lock:
                helper = self._helper
                wait = self._idle_deadline - time.monotonic()
                if helper is None or wait <= 0:
                    self._helper = None
                    self._reaper = None
                    break
            time.sleep(wait)
        if helper is not None:
            helper.retire()

    @property
    def running(self) -> bool:
        """Whether a helper process is running now."""
        with self._lock:
            return self._helper is not None and self._helper.alive()

    @property
    def pid(self) -> int | None:
        """The running helper's process id (diagnostics)."""
        with self._lock:
            return self._helper.proc.pid if self._helper is not None else None

    def call(self, request: dict[str, Any]) -> Any:
        """One request, answered by a running helper or a new one."""
        with self._lock:
            try:
                for attempt in (1, 2):
                    helper = self._ensure()
                    try:
                        return helper.ask(request, self._timeout)
                    except _HelperGone:
                        helper.kill()
                        self._helper = None
                        if attempt == 2:
                            raise SecretStoreError(
                                "the secrets helper ended before answering"
                            ) from None
                    except SecretStoreError:
                        if not helper.alive():
                            self._helper = None
                        raise
                raise AssertionError("unreachable")  # pragma: no cover
            finally:
                self._arm()

    # -------------------------------------------------------------- Secrets

    def warm_up(self) -> None:
        self.call({"op": "warm_up"})

    def close(self) -> None:
        """Let the helper go now; the next call starts a new one."""
        with self._lock:
            helper, self._helper = self._helper, None
        if helper is not None:
            helper.retire()

    def get(self, name: str) -> str | None:
        value = self.call({"op": "get", "name": name})
        if value is not None and not isinstance(value, str):
            raise SecretStoreError(f"the secrets helper answered '{name}' with a non-text value")
        return value

    def set(self, name: str, value: str) -> None:
        self.call({"op": "set", "name": name, "value": value})

    def delete(self, name: str) -> bool:
        return bool(self.call({"op": "delete", "name": name}))

    def device_signer(self) -> Signer | None:
        try:
            public_key = self.call({"op": "public_key"})
        except SecretStoreError as exc:
            # As the in-process store: signing in then fails with the server's own reason.
            log.warning("device key not read: %s", exc)
            return None
        if public_key is None:
            return None
        if not isinstance(public_key, str):
            raise SecretStoreError("the secrets helper answered a public key that is not text")
        return _HelperSigner(self, public_key)
