"""SampleRing: FIFO order across the wrap, priming, underrun/overrun counting, trims."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from agent_app.telephony.audio.ring import RingBufferError, SampleRing
from testbed.timing import wait_until


def test_fifo_across_the_wrap() -> None:
    ring = SampleRing(10)
    out = np.zeros(4, np.int16)
    data = np.arange(1, 100, dtype=np.int16)
    got: list[int] = []
    pos = 0
    for _ in range(20):
        ring.write(data[pos : pos + 4])
        pos += 4
        assert ring.read_into(out) == 4
        got.extend(out.tolist())
    assert got == data[:80].tolist()
    assert ring.underruns == 0 and ring.overruns == 0


def test_unprimed_ring_gives_silence_without_an_underrun() -> None:
    ring = SampleRing(100, prime=30)
    out = np.ones(10, np.int16)
    ring.write(np.full(20, 7, np.int16))
    assert ring.read_into(out) == 0
    assert not out.any()
    assert ring.underruns == 0
    ring.write(np.full(10, 7, np.int16))
    assert ring.primed
    assert ring.read_into(out) == 10
    assert (out == 7).all()


def test_underrun_counts_once_and_reprimes() -> None:
    ring = SampleRing(100, prime=20)
    ring.write(np.full(25, 3, np.int16))
    out = np.zeros(20, np.int16)
    assert ring.read_into(out) == 20
    assert ring.read_into(out) == 5  # short: one underrun, rest is silence
    assert out[:5].tolist() == [3] * 5 and not out[5:].any()
    assert ring.underruns == 1
    assert not ring.primed
    assert ring.read_into(out) == 0  # waiting to refill: not another underrun
    assert ring.underruns == 1


def test_overrun_drops_the_oldest() -> None:
    ring = SampleRing(8)
    ring.write(np.arange(6, dtype=np.int16))
    ring.write(np.arange(6, 12, dtype=np.int16))
    assert ring.overruns == 1
    assert ring.dropped == 4
    out = np.zeros(8, np.int16)
    ring.read_into(out)
    assert out.tolist() == list(range(4, 12))


def test_write_larger_than_capacity_keeps_the_newest() -> None:
    ring = SampleRing(5)
    ring.write(np.arange(12, dtype=np.int16))
    out = np.zeros(5, np.int16)
    ring.read_into(out)
    assert out.tolist() == [7, 8, 9, 10, 11]
    assert ring.overruns == 1


def test_trim_keeps_the_newest() -> None:
    ring = SampleRing(50)
    ring.write(np.arange(30, dtype=np.int16))
    assert ring.trim_to(10) == 20
    out = np.zeros(10, np.int16)
    ring.read_into(out)
    assert out.tolist() == list(range(20, 30))


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(RingBufferError, match="capacity"):
        SampleRing(0)
    with pytest.raises(RingBufferError, match="priming"):
        SampleRing(10, prime=11)


def twin_rings(capacity: int, prime: int) -> tuple[SampleRing, SampleRing]:
    return SampleRing(capacity, prime=prime), SampleRing(capacity, prime=prime)


def counters(ring: SampleRing) -> tuple[int, ...]:
    return (
        ring.fill,
        ring.underruns,
        ring.overruns,
        ring.dropped,
        ring.written,
        ring.read_total,
        int(ring.primed),
    )


def test_bytes_in_and_out_behave_exactly_like_arrays() -> None:
    """A 16-bit mono device's bytes go through the ring as they are; every counter, the
    priming, the wrap, overruns and underruns are those of the array methods."""
    rng = np.random.default_rng(5)
    arrays, raw = twin_rings(1000, prime=300)
    sizes = [160, 0, 250, 700, 1200, 160, 37, 999, 160, 5]
    reads = [100, 400, 0, 900, 160, 160, 1000, 3, 50, 700]
    for write_n, read_n in zip(sizes, reads, strict=True):
        block = rng.integers(-32768, 32767, write_n, dtype=np.int16)
        arrays.write(block)
        raw.write_bytes(block.tobytes())
        assert counters(arrays) == counters(raw)
        out = np.zeros(read_n, np.int16)
        arrays.read_into(out)
        got = raw.read_bytes(read_n)
        assert got == out.tobytes()
        assert counters(arrays) == counters(raw)
        assert arrays.take_low_water() == raw.take_low_water()
    assert arrays.underruns > 0 and arrays.overruns > 0, "both paths were exercised"


def test_bytes_from_a_memoryview_and_an_odd_byte() -> None:
    ring = SampleRing(100)
    samples = np.arange(10, dtype=np.int16)
    ring.write_bytes(memoryview(samples.tobytes() + b"\x07"))
    assert ring.fill == 10
    assert ring.read_bytes(10) == samples.tobytes()


def test_wait_for_returns_at_once_when_the_ring_already_holds_enough() -> None:
    ring = SampleRing(100)
    ring.write(np.ones(30, np.int16))
    assert ring.wait_for(20, timeout=0.0)


def test_wait_for_wakes_when_the_producer_writes_enough() -> None:
    ring = SampleRing(100)
    ring.write(np.ones(10, np.int16))
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(ring.wait_for(20, timeout=10)))
    waiter.start()
    wait_until(lambda: ring.waiting == 1, 10, 0.001, what="the waiter to block")
    ring.write(np.ones(5, np.int16))  # not yet enough: the waiter keeps waiting
    time.sleep(0.05)  # the window in which a wrong wake-up would show
    assert woke == []
    assert ring.waiting == 1
    ring.write_bytes(np.ones(5, np.int16).tobytes())
    waiter.join(10)
    assert woke == [True]
    assert ring.fill == 20
    assert ring.waiting == 0


def test_wait_for_gives_up_after_its_timeout() -> None:
    ring = SampleRing(100)
    ring.write(np.ones(10, np.int16))
    assert not ring.wait_for(20, timeout=0.01)
    assert ring.fill == 10
    assert ring.underruns == 0


def test_wait_for_returns_when_the_ring_is_cleared() -> None:
    ring = SampleRing(100, prime=10)
    ring.write(np.ones(10, np.int16))
    woke: list[bool] = []
    waiter = threading.Thread(target=lambda: woke.append(ring.wait_for(20, timeout=10)))
    waiter.start()
    wait_until(lambda: ring.waiting == 1, 10, 0.001, what="the waiter to block")
    ring.clear()
    waiter.join(10)
    assert woke == [True]
    assert not ring.primed
