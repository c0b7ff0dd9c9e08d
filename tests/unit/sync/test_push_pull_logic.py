"""Push and pull decisions against an in-memory outbox/cache and a scripted HTTP transport."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from agent_app.sync.api import ServerApi
from agent_app.sync.errors import CursorGone, DeviceRevoked, NotSignedIn, ServerUnreachable
from agent_app.sync.http_client import ConnectFailed, Request, Response
from agent_app.sync.login import LoginResult
from agent_app.sync.pull import FeedPuller, PullReport
from agent_app.sync.push import OutboxPusher
from agent_app.sync.session import AuthSession


@dataclass
class Item:
    id: str
    call_id: str

    def intake_item(self) -> dict[str, Any]:
        return {"id": self.id, "kind": "disposition", "created_at": "x", "payload": {}}


@dataclass
class Counts:
    pending: int
    in_flight: int
    parked: int


@dataclass
class MemoryOutbox:
    pending: list[Item]
    in_flight: list[Item] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)
    parked: dict[str, str] = field(default_factory=dict)

    def next_batch(self, limit: int) -> list[Item]:
        batch, self.pending = self.pending[:limit], self.pending[limit:]
        self.in_flight += batch
        return batch

    def release(self, ids: list[str]) -> None:
        back = [i for i in self.in_flight if i.id in ids]
        self.in_flight = [i for i in self.in_flight if i.id not in ids]
        self.pending = back + self.pending

    def mark_acknowledged(self, ids: list[str]) -> None:
        self.in_flight = [i for i in self.in_flight if i.id not in ids]
        self.acked += ids

    def park(self, item_id: str, reason: str) -> None:
        self.in_flight = [i for i in self.in_flight if i.id != item_id]
        self.parked[item_id] = reason

    def counts(self) -> Counts:
        return Counts(len(self.pending), len(self.in_flight), len(self.parked))


class MemoryVault:
    def __init__(self) -> None:
        self.saved: list[LoginResult] = []
        self.tokens: Any = None

    def load(self, agent_id: str) -> Any:
        from agent_app.sync.credentials import StoredTokens

        return self.tokens or StoredTokens(agent_id, "access-1", "refresh-1", 9e12)

    def save(self, result: LoginResult) -> Any:
        from agent_app.sync.credentials import StoredTokens

        self.saved.append(result)
        self.tokens = StoredTokens(result.agent_id, result.access_token, result.refresh_token, 9e12)
        return self.tokens


def session_for(handler: Any) -> tuple[AuthSession, MemoryVault]:
    api = ServerApi("http://pulse.invalid", device_id="d", transport=handler)
    vault = MemoryVault()
    return AuthSession(api, vault, "agent1"), vault  # type: ignore[arg-type]


def items(n: int) -> list[Item]:
    return [Item(f"id-{i}", f"call-{i // 2}") for i in range(n)]


def test_batches_keep_order_and_settle_each_result() -> None:
    sent: list[list[str]] = []

    def handler(request: Request) -> Response:
        body = json.loads(request.content)
        ids = [i["id"] for i in body["items"]]
        sent.append(ids)
        results = [
            {
                "id": i,
                "status": 422 if i == "id-3" else 201,
                "reason": "bad code" if i == "id-3" else None,
            }
            for i in ids
        ]
        return Response(200, json={"results": results})

    session, _ = session_for(handler)
    outbox = MemoryOutbox(items(7))
    report = OutboxPusher(outbox, session, batch_size=3).drain()  # type: ignore[arg-type]
    assert sent == [["id-0", "id-1", "id-2"], ["id-3", "id-4", "id-5"], ["id-6"]]
    assert outbox.acked == ["id-0", "id-1", "id-2", "id-4", "id-5", "id-6"]
    assert outbox.parked == {"id-3": "422: bad code"}
    assert report.acknowledged == 6 and report.parked == 1 and report.batches == 3


def test_a_network_failure_puts_the_batch_back() -> None:
    def handler(request: Request) -> Response:
        raise ConnectFailed("refused")

    session, _ = session_for(handler)
    outbox = MemoryOutbox(items(4))
    with pytest.raises(ServerUnreachable):
        OutboxPusher(outbox, session).drain()  # type: ignore[arg-type]
    assert [i.id for i in outbox.pending] == ["id-0", "id-1", "id-2", "id-3"]
    assert outbox.in_flight == [] and outbox.acked == [] and outbox.parked == {}


def test_a_whole_request_refused_is_bisected_to_the_bad_item() -> None:
    def handler(request: Request) -> Response:
        ids = [i["id"] for i in json.loads(request.content)["items"]]
        if "id-5" in ids:
            return Response(422, json={"detail": "items.0.payload: field required"})
        return Response(200, json={"results": [{"id": i, "status": 201} for i in ids]})

    session, _ = session_for(handler)
    outbox = MemoryOutbox(items(8))
    OutboxPusher(outbox, session).drain()  # type: ignore[arg-type]
    assert sorted(outbox.acked) == sorted(f"id-{i}" for i in range(8) if i != 5)
    assert list(outbox.parked) == ["id-5"] and "field required" in outbox.parked["id-5"]


def test_answer_missing_an_item_sends_it_again_later() -> None:
    def handler(request: Request) -> Response:
        ids = [i["id"] for i in json.loads(request.content)["items"]]
        return Response(200, json={"results": [{"id": i, "status": 201} for i in ids[:-1]]})

    session, _ = session_for(handler)
    outbox = MemoryOutbox(items(3))
    with pytest.raises(ServerUnreachable):
        OutboxPusher(outbox, session).drain()  # type: ignore[arg-type]
    assert outbox.acked == ["id-0", "id-1"] and [i.id for i in outbox.pending] == ["id-2"]


def test_401_refreshes_once_and_retries() -> None:
    calls: list[str] = []

    def handler(request: Request) -> Response:
        calls.append(request.path)
        if request.path == "/api/v1/auth/refresh":
            return Response(
                200,
                json={
                    "access_token": "access-2",
                    "refresh_token": "refresh-2",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "agent": {
                        "id": "u1",
                        "username": "agent1",
                        "display_name": "A",
                        "role": "agent",
                    },
                },
            )
        if request.headers["Authorization"] != "Bearer access-2":
            return Response(401, json={"detail": "expired"})
        ids = [i["id"] for i in json.loads(request.content)["items"]]
        return Response(200, json={"results": [{"id": i, "status": 201} for i in ids]})

    session, vault = session_for(handler)
    outbox = MemoryOutbox(items(2))
    OutboxPusher(outbox, session).drain()  # type: ignore[arg-type]
    assert calls == ["/api/v1/intake", "/api/v1/auth/refresh", "/api/v1/intake"]
    assert vault.saved[0].refresh_token == "refresh-2"


def test_refused_refresh_means_sign_in_again() -> None:
    def handler(request: Request) -> Response:
        return Response(401, json={"detail": "no"})

    session, _ = session_for(handler)
    with pytest.raises(NotSignedIn):
        OutboxPusher(MemoryOutbox(items(1)), session).drain()  # type: ignore[arg-type]


def test_423_says_whether_to_wipe() -> None:
    def handler(request: Request) -> Response:
        return Response(423, json={"detail": "revoked", "wipe": True})

    session, _ = session_for(handler)
    with pytest.raises(DeviceRevoked) as caught:
        OutboxPusher(MemoryOutbox(items(1)), session).drain()  # type: ignore[arg-type]
    assert caught.value.wipe


@dataclass
class Position:
    cursor: str | None = None
    snapshot_cursor: str | None = None


@dataclass
class MemoryCache:
    state: dict[str, Position] = field(default_factory=dict)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def feed_state(self, feed: str) -> Position:
        return self.state.get(feed, Position())

    def apply_snapshot(
        self, feed: str, items: Any, *, cursor: str, first: bool, last: bool
    ) -> None:
        self.calls.append(("snapshot", feed, len(items), first, last))
        self.state[feed] = Position(cursor, None) if last else Position(None, cursor)

    def apply_delta(self, feed: str, upserts: Any, deletions: Any, *, cursor: str) -> None:
        self.calls.append(("delta", feed, len(upserts), list(deletions)))
        self.state[feed] = Position(cursor, None)

    def reset_feed(self, feed: str) -> None:
        self.calls.append(("reset", feed))
        self.state.pop(feed, None)


def test_snapshot_pages_then_delta_and_410_restarts() -> None:
    pages = {
        None: {
            "items": [{"id": "p1"}],
            "deleted": [],
            "cursor": "s1",
            "has_more": True,
            "snapshot": True,
        },
        "s1": {
            "items": [{"id": "p2"}],
            "deleted": [],
            "cursor": "d1",
            "has_more": False,
            "snapshot": True,
        },
        "d1": {
            "items": [],
            "deleted": ["p1"],
            "cursor": "d2",
            "has_more": False,
            "snapshot": False,
        },
    }

    def handler(request: Request) -> Response:
        cursor = request.params.get("cursor")
        if cursor == "old":
            return Response(410, json={"detail": "cursor too old"})
        return Response(200, json=pages[cursor])

    session, _ = session_for(handler)
    cache = MemoryCache()
    puller = FeedPuller(cache, session)  # type: ignore[arg-type]
    puller.pull_feed("patients", PullReport())
    assert cache.calls == [
        ("snapshot", "patients", 1, True, False),
        ("snapshot", "patients", 1, False, True),
    ]
    puller.pull_feed("patients", PullReport())
    assert cache.calls[-1] == ("delta", "patients", 0, ["p1"])
    cache.state["patients"] = Position("old", None)
    report = PullReport()
    puller.pull_feed("patients", report)
    assert ("reset", "patients") in cache.calls and report.snapshots == ["patients"]


def test_an_interrupted_snapshot_resumes_where_it_stopped() -> None:
    asked: list[str | None] = []

    def handler(request: Request) -> Response:
        asked.append(request.params.get("cursor"))
        return Response(
            200,
            json={"items": [], "deleted": [], "cursor": "d9", "has_more": False, "snapshot": True},
        )

    session, _ = session_for(handler)
    cache = MemoryCache(state={"scripts": Position(None, "s5")})
    FeedPuller(cache, session).pull_feed("scripts", PullReport())  # type: ignore[arg-type]
    assert asked == ["s5"] and cache.calls == [("snapshot", "scripts", 0, False, True)]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"items": "nope", "deleted": [], "cursor": "c", "has_more": false}',
        b'{"items": [{"no_id": 1}], "deleted": [], "cursor": "c", "has_more": false}',
        b'{"deleted": []}',
    ],
)
def test_malformed_feed_pages_change_nothing(body: bytes) -> None:
    session, _ = session_for(lambda request: Response(200, content=body))
    cache = MemoryCache()
    with pytest.raises(ServerUnreachable):
        FeedPuller(cache, session).pull_feed("patients", PullReport())  # type: ignore[arg-type]
    assert cache.calls == []


def test_410_twice_in_a_row_is_not_a_loop() -> None:
    session, _ = session_for(lambda request: Response(410, json={"detail": "gone"}))
    cache = MemoryCache(state={"patients": Position("c", None)})
    with pytest.raises(CursorGone):
        FeedPuller(cache, session).pull_feed("patients", PullReport())  # type: ignore[arg-type]
