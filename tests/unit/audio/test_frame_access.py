"""FrameAccess: the direct memmove path agrees with SWIG's slow element-by-element path."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pjsua2 as pj

from agent_app.telephony.audio.frame_access import FrameAccess


def test_layout_is_recognised_here() -> None:
    assert FrameAccess(pj).direct


def test_read_and_write_match_the_slow_path() -> None:
    pcm = (np.arange(320) * 97 - 15000).astype(np.int16)
    for direct in (True, False):
        access = FrameAccess(pj)
        access.direct = direct
        holder = SimpleNamespace(buf=pj.ByteVector())
        access.write(holder, pcm)
        assert bytes(holder.buf) == pcm.astype("<i2").tobytes()
        out = np.zeros(320, np.int16)
        assert access.read_into(holder.buf, out) == 320
        assert out.tolist() == pcm.tolist()


def test_read_of_an_empty_vector_copies_nothing() -> None:
    out = np.ones(10, np.int16)
    assert FrameAccess(pj).read_into(pj.ByteVector(), out) == 0
    assert out.tolist() == [1] * 10
