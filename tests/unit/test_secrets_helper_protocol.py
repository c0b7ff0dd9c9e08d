"""The secrets helper's request loop: every request gets one answer, in order; a bad request
gets a reason that names the field and never a value; store failures keep their kind."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from agent_app.secrets.errors import InsecureKeyringError, KeyringLockedError, SecretStoreError
from agent_app.secrets.helper import MAX_REQUEST_BYTES, serve


class _Signer:
    public_key = "cHVibGlj"

    def sign(self, message: bytes) -> str:
        return base64.b64encode(message[::-1]).decode("ascii")


class _Store:
    """A dict with the store's failures on demand (pure logic: the real keyring is tested
    in tests/integration/test_secrets_helper.py)."""

    def __init__(self, *, signer: Any = None, failure: SecretStoreError | None = None) -> None:
        self.items: dict[str, str] = {}
        self.signer = signer
        self.failure = failure
        self.warmed = 0

    def _maybe_fail(self) -> None:
        if self.failure is not None:
            raise self.failure

    def warm_up(self) -> None:
        self._maybe_fail()
        self.warmed += 1

    def get(self, name: str) -> str | None:
        self._maybe_fail()
        return self.items.get(name)

    def set(self, name: str, value: str) -> None:
        self._maybe_fail()
        self.items[name] = value

    def delete(self, name: str) -> bool:
        self._maybe_fail()
        return self.items.pop(name, None) is not None

    def device_signer(self) -> Any:
        return self.signer


def _run(store: _Store, *lines: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    serve(store, io.StringIO("".join(line + "\n" for line in lines)), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _request(**fields: Any) -> str:
    return json.dumps(fields)


def test_each_request_gets_its_answer_in_order() -> None:
    store = _Store()
    answers = _run(
        store,
        _request(op="warm_up"),
        _request(op="set", name="sip", value="v-1"),
        _request(op="get", name="sip"),
        _request(op="get", name="other"),
        _request(op="delete", name="sip"),
        _request(op="delete", name="sip"),
    )
    assert answers == [
        {"ok": None},
        {"ok": None},
        {"ok": "v-1"},
        {"ok": None},
        {"ok": True},
        {"ok": False},
    ]
    assert store.warmed == 1


def test_bad_requests_are_answered_with_a_reason_and_the_loop_goes_on() -> None:
    answers = _run(
        _Store(),
        "not json at all",
        "[1, 2]",
        _request(name="x"),
        _request(op="format_disk"),
        _request(op="set", name="x", value=12345),
        _request(op="sign", message="%%%"),
        _request(op="get", name="still-served"),
    )
    reasons = [a.get("message") for a in answers[:-1]]
    assert all(a["error"] == "request" for a in answers[:-1])
    assert reasons == [
        "not JSON",
        "a request is a JSON object",
        "'op' is missing",
        "unknown op 'format_disk'",
        "'value' must be a string",
        "'message' must be base64",
    ]
    assert "12345" not in json.dumps(answers)
    assert answers[-1] == {"ok": None}


def test_an_oversized_line_is_refused_unread_and_the_next_one_served() -> None:
    huge = _request(op="set", name="x", value="v" * (MAX_REQUEST_BYTES + 10))
    answers = _run(_Store(), huge, _request(op="get", name="x"))
    assert answers == [
        {"error": "request", "message": "request line too long"},
        {"ok": None},
    ]


def test_store_failures_keep_their_kind() -> None:
    cases = [
        (KeyringLockedError("the keyring collection is locked"), "locked"),
        (InsecureKeyringError("no secure keyring backend"), "insecure"),
        (SecretStoreError("keyring read of 'sip' failed (DBusError)"), "store"),
    ]
    for failure, kind in cases:
        answers = _run(_Store(failure=failure), _request(op="get", name="sip"))
        assert answers == [{"error": kind, "message": str(failure)}]


def test_a_backend_failing_in_its_own_way_is_reported_by_type_only() -> None:
    class _Odd(_Store):
        def get(self, name: str) -> str | None:
            raise RuntimeError("value=hunter2 leaked by a backend")

    answers = _run(_Odd(), _request(op="get", name="sip"))
    assert answers == [{"error": "store", "message": "keyring failure (RuntimeError)"}]


def test_signing_asks_the_enrolled_key_and_without_one_says_so() -> None:
    message = base64.b64encode(b"login|7").decode("ascii")
    signed = _run(
        _Store(signer=_Signer()),
        _request(op="public_key"),
        _request(op="sign", message=message),
    )
    assert signed == [{"ok": "cHVibGlj"}, {"ok": base64.b64encode(b"7|nigol").decode("ascii")}]
    unsigned = _run(_Store(), _request(op="public_key"), _request(op="sign", message=message))
    assert unsigned[0] == {"ok": None}
    assert unsigned[1]["error"] == "store"
    assert "no enrolled key" in unsigned[1]["message"]
