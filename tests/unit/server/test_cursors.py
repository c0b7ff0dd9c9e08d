"""Sync cursors: opaque, signed, bound to agent and feed, expiring."""

from __future__ import annotations

import pytest

from server.cursors import Cursor, CursorCodec, CursorGone


def test_round_trip_and_binding() -> None:
    codec = CursorCodec(b"k1", max_age_s=60)
    # Values long enough that the token's signature cannot contain them by chance (a
    # three-character value did, now and then).
    token = codec.encode(Cursor("d", 4242424, "after-marker"), user_id="u1", feed="patients")
    assert "4242424" not in token and "after-marker" not in token  # opaque at a glance
    back = codec.decode(token, user_id="u1", feed="patients", horizon=0)
    assert (back.mode, back.seq, back.after) == ("d", 4242424, "after-marker")
    for user, feed in (("u2", "patients"), ("u1", "scripts")):
        with pytest.raises(CursorGone):
            codec.decode(token, user_id=user, feed=feed, horizon=0)
    with pytest.raises(CursorGone):
        CursorCodec(b"other", 60).decode(token, user_id="u1", feed="patients", horizon=0)


@pytest.mark.parametrize("token", ["", "!!!", "a" * 40, "AAAA"])
def test_garbage_is_gone(token: str) -> None:
    with pytest.raises(CursorGone):
        CursorCodec(b"k", 60).decode(token, user_id="u", feed="patients", horizon=0)


def test_tampered_cursor_is_gone() -> None:
    codec = CursorCodec(b"k", 60)
    token = codec.encode(Cursor("s", 5, ""), user_id="u", feed="patients")
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(CursorGone):
        codec.decode(flipped, user_id="u", feed="patients", horizon=0)


def test_too_old_and_below_horizon(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = CursorCodec(b"k", max_age_s=10)
    token = codec.encode(Cursor("d", 5, ""), user_id="u", feed="patients")
    with pytest.raises(CursorGone, match="retained history"):
        codec.decode(token, user_id="u", feed="patients", horizon=6)
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 11)
    with pytest.raises(CursorGone, match="too old"):
        codec.decode(token, user_id="u", feed="patients", horizon=0)
