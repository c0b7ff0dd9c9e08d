"""Safety margins sized from what the devices did: the played-audio clock finds the
speaker's dropouts against simulated device clocks, the adaptive target grows once per
stall and gives back when calm, and the ring reports how close its reader came to empty."""

from __future__ import annotations

import numpy as np

from agent_app.telephony.audio.margins import AdaptiveTarget, PlayoutClock
from agent_app.telephony.audio.ring import SampleRing

RATE = 16000


class SimulatedSink:
    """A sound server taking ``request`` frames at a time from Qt's queue at the device's
    clock (1 + ppm of ours); Qt pads silence when the queue is short. ``played`` counts
    real frames only, as ``QAudioSink.processedUSecs()`` does."""

    def __init__(self, ppm: float, request: int) -> None:
        self.ratio = 1 + ppm * 1e-6
        self.request = request
        self.queued = 0
        self.played = 0
        self.due = 0.0
        self.silence = 0

    def run_until(self, t: float) -> None:
        while self.due <= t:
            take = min(self.queued, self.request)
            self.queued -= take
            self.played += take
            self.silence += self.request - take
            self.due += self.request / (RATE * self.ratio)


def run_playout(
    ppm: float,
    seconds: float,
    stalls: dict[float, float],
    request: int = 192,
    pump_jitter: float = 0.002,
) -> tuple[PlayoutClock, SimulatedSink]:
    """A 10 ms pump (with jitter) topping the queue up to 40 ms; ``stalls`` maps a time to
    how long the pump then stops."""
    rng = np.random.default_rng(7)
    sink = SimulatedSink(ppm, request)
    sink.queued = RATE * 40 // 1000  # the stream starts with a full queue
    clock = PlayoutClock()
    t = 0.0
    pending = dict(stalls)
    while t < seconds:
        for at in list(pending):
            if t >= at:
                t += pending.pop(at)
        sink.run_until(t)
        clock.update(t, sink.played / RATE)
        sink.queued = max(sink.queued, RATE * 40 // 1000)
        t += 0.010 + float(rng.uniform(0.0, pump_jitter))
    return clock, sink


def test_playout_clock_is_quiet_while_audio_flows_on_drifting_device_clocks() -> None:
    for ppm in (300.0, -300.0, 0.0):
        clock, sink = run_playout(ppm, 120.0, {})
        assert sink.silence == 0
        assert clock.dropouts == 0, ppm


def test_playout_clock_finds_each_dropout_the_device_played() -> None:
    stalls = {10.0: 0.070, 30.0: 0.055, 50.5: 0.100}
    clock, sink = run_playout(200.0, 70.0, stalls)
    assert sink.silence > 0
    assert clock.dropouts == len(stalls)
    # The silence found is what was played, within one server request per dropout.
    assert abs(clock.silence_s - sink.silence / RATE) < len(stalls) * 192 / RATE


def test_playout_clock_ignores_a_late_pump_the_queue_covered() -> None:
    clock, sink = run_playout(0.0, 30.0, {10.0: 0.012})
    assert sink.silence == 0
    assert clock.dropouts == 0


def test_adaptive_target_grows_once_per_stall_and_gives_back_when_calm() -> None:
    target = AdaptiveTarget(minimum=256, maximum=960, step=80, give_back=16, calm_s=1.0)
    now = 0.0
    for _ in range(5):  # one stall seen by five pumps in a row
        target.alarm(now)
        now += 0.01
    assert target.value == 256 + 80
    now += 0.5
    target.alarm(now)  # a second stall
    assert target.value == 256 + 160
    assert target.grown == 2
    for _ in range(1000):  # ten calm seconds
        now += 0.01
        target.tick(now)
    assert target.value == 256 + 160 - 9 * 16
    for _ in range(10000):
        now += 0.01
        target.tick(now)
    assert target.value == 256


def test_adaptive_target_stops_at_its_maximum() -> None:
    target = AdaptiveTarget(minimum=100, maximum=200, step=80, give_back=10)
    for i in range(10):
        target.alarm(i * 1.0)
    assert target.value == 200


def test_ring_low_water_says_how_close_the_reader_came_to_empty() -> None:
    ring = SampleRing(1600, prime=320)
    assert ring.take_low_water() == 1600  # nothing read yet
    ring.write(np.ones(480, np.int16))
    out = np.zeros(160, np.int16)
    ring.read_into(out)  # 480 held, 160 taken: 320 to spare
    ring.read_into(out)  # 160 to spare
    assert ring.take_low_water() == 160
    assert ring.take_low_water() == 1600  # watching again
    ring.read_into(out)  # exactly enough
    ring.read_into(out)  # short: an underrun
    assert ring.underruns == 1
    assert ring.take_low_water() == -160
