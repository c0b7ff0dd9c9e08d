"""RingReader.drain: the speaker path hands the sink everything the ring holds and steers
ring + sink queue to the target, following a device clock that is not pjsua2's."""

from __future__ import annotations

import numpy as np
import pytest

from agent_app.telephony.audio.ring import SampleRing

RATE = 16000


def samples(out: np.ndarray | bytes) -> int:
    """Samples in what ``drain`` gave: int16 bytes while passing through, else an array."""
    return len(out) // 2 if isinstance(out, bytes) else len(out)


def run_call(ppm: float, seconds: float, monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    """10 ms frames from the call, a 10 ms pump, a device playing at 1 + ppm of our clock."""
    from agent_app.telephony.audio import ring_reader

    clock = {"now": 0.0}
    monkeypatch.setattr(ring_reader.time, "monotonic", lambda: clock["now"])
    ring = SampleRing(RATE // 2, prime=RATE * 24 // 1000)
    target = RATE * 24 // 1000
    reader = ring_reader.RingReader(ring, RATE, RATE, target)
    queued = 0.0
    levels: list[float] = []
    speeds: list[float] = []
    t = np.arange(RATE // 100)
    phase = 0
    empty = 0
    for tick in range(int(seconds * 100)):
        clock["now"] = tick / 100
        ring.write((8000 * np.sin(2 * np.pi * 500 * (t + phase) / RATE)).astype(np.int16))
        phase += len(t)
        # the pump runs 4 ms after the frame; the device played meanwhile
        queued = max(0.0, queued - RATE * 0.004 * (1 + ppm * 1e-6))
        if tick > 100 and queued == 0:
            empty += 1
        clock["now"] += 0.004
        out = reader.drain(int(queued), RATE)
        queued += samples(out)
        levels.append(ring.fill + queued)  # what the controller holds, seen at the pump
        speeds.append(reader.drift.speed)
        queued = max(0.0, queued - RATE * 0.006 * (1 + ppm * 1e-6))
    late = levels[len(levels) // 2 :]
    return {
        "mean": float(np.mean(late)),
        "spread": float(np.max(late) - np.min(late)),
        "empty": empty,
        "speed": float(np.mean(speeds[len(speeds) // 2 :])),
        "resampling_share": float(np.mean(np.array(speeds[len(speeds) // 2 :]) != 1.0)),
        "ring_underruns": ring.underruns,
    }


@pytest.mark.parametrize("ppm", [300.0, -300.0, 0.0])
def test_drain_follows_the_device_clock_at_the_target(
    ppm: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_call(ppm, 300.0, monkeypatch)
    target = RATE * 24 // 1000
    assert abs(result["mean"] - target) < RATE * 3 // 1000, result
    assert result["spread"] < RATE * 14 // 1000, result
    assert result["empty"] == 0
    assert result["ring_underruns"] == 0
    # A device playing fast needs more output per input sample: speed below 1 on average.
    assert abs(result["speed"] - (1 - ppm * 1e-6)) < 5e-5
    # At equal rates the samples are resampled only while the level is steered back:
    # never when the clocks agree, a small share of the time when they differ.
    if ppm == 0.0:
        assert result["resampling_share"] == 0.0, result
    else:
        assert 0.0 < result["resampling_share"] < 0.2, result


def test_drain_respects_the_room_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from agent_app.telephony.audio import ring_reader

    ring = SampleRing(RATE, prime=160)
    reader = ring_reader.RingReader(ring, RATE, 48000, 320)
    ring.write(np.full(1600, 1000, np.int16))
    out = reader.drain(0, 300)
    assert samples(out) == 300
    assert ring.fill > 0, "what did not fit stays in the ring"


def test_unprimed_ring_gives_nothing() -> None:
    from agent_app.telephony.audio import ring_reader

    ring = SampleRing(RATE, prime=400)
    reader = ring_reader.RingReader(ring, RATE, RATE, 400)
    ring.write(np.full(100, 1000, np.int16))
    assert samples(reader.drain(0, 1000)) == 0
    assert ring.fill == 100


def test_equal_rates_hand_the_ring_bytes_over_untouched() -> None:
    from agent_app.telephony.audio import ring_reader

    ring = SampleRing(RATE, prime=320)
    reader = ring_reader.RingReader(ring, RATE, RATE, 320)
    block = (8000 * np.sin(np.arange(320) * 0.2)).astype(np.int16)
    ring.write(block)
    out = reader.drain(0, RATE)
    assert isinstance(out, bytes)
    assert out == block.tobytes()
    assert reader.resampled_share == 0.0
