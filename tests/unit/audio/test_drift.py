"""DriftController: a simulated ring between two clocks 300 ppm apart stays at its target,
and a stall's excess is trimmed at once."""

from __future__ import annotations

import numpy as np

from agent_app.telephony.audio.drift import DriftController


def simulate(ppm: float, seconds: float = 600.0) -> tuple[list[float], DriftController]:
    rate = 16000
    target = 400
    ctl = DriftController(rate, target)
    fill = float(target)
    step = 0.01
    fills = []
    speed = 1.0
    for _ in range(int(seconds / step)):
        # producer at its own clock; consumer takes 10 ms worth, scaled by speed
        fill += rate * step * (1 + ppm * 1e-6)
        fill -= rate * step * speed
        speed, trim = ctl.update(int(fill), step)
        fill -= trim
        fills.append(fill)
    return fills, ctl


def test_drift_of_300_ppm_is_absorbed_over_ten_minutes() -> None:
    for ppm in (300.0, -300.0):
        fills, ctl = simulate(ppm)
        late = fills[len(fills) // 2 :]
        assert max(late) - min(late) < 16, "fill still wandering after five minutes"
        assert abs(sum(late) / len(late) - 400) < 8
        assert ctl.trims == 0
        assert abs(ctl.speed - 1 - ppm * 1e-6) < 5e-5


def test_stall_excess_is_trimmed_in_one_step() -> None:
    ctl = DriftController(16000, 400)
    speed, trim = ctl.update(400 + 3 * 400 + 1, 0.01)
    assert trim == 3 * 400 + 1
    assert ctl.trims == 1
    assert speed == 1.0


def test_speed_is_clamped() -> None:
    ctl = DriftController(16000, 400, max_adjust=0.005)
    for _ in range(1000):
        speed, _ = ctl.update(1500, 0.01)
    assert speed <= 1.005 + 1e-12


def simulate_banded(
    ppm: float, seconds: float = 600.0, jitter: int = 0
) -> tuple[list[float], list[float], DriftController]:
    """As :func:`simulate`, with the dead band the equal-rate streams use (2 ms) and,
    optionally, the level read with up to ``jitter`` samples of noise (pump timing)."""
    rate = 16000
    target = 400
    ctl = DriftController(rate, target, deadband=32)
    rng = np.random.default_rng(1)
    fill = float(target)
    fills, speeds = [], []
    speed = 1.0
    for _ in range(int(seconds / 0.01)):
        fill += rate * 0.01 * (1 + ppm * 1e-6)
        fill -= rate * 0.01 * speed
        seen = int(fill) + (int(rng.integers(-jitter, jitter + 1)) if jitter else 0)
        speed, trim = ctl.update(seen, 0.01)
        fill -= trim
        fills.append(fill)
        speeds.append(speed)
    return fills, speeds, ctl


def test_dead_band_never_resamples_when_the_clocks_agree() -> None:
    fills, speeds, ctl = simulate_banded(0.0, 60.0, jitter=80)
    assert set(speeds) == {1.0}
    assert max(fills) - min(fills) < 1.0
    assert ctl.trims == 0


def test_dead_band_follows_300_ppm_resampling_a_small_share_of_the_time() -> None:
    for ppm in (300.0, -300.0):
        fills, speeds, ctl = simulate_banded(ppm, jitter=80)
        late_fills = np.array(fills[len(fills) // 2 :])
        late_speeds = np.array(speeds[len(speeds) // 2 :])
        # The level wanders inside the band (plus the smoothing's overshoot), no further.
        assert late_fills.max() - late_fills.min() < 100, ppm
        assert abs(late_fills.mean() - 400) < 32, ppm
        # On average the speed is the clock ratio; resampling runs only while steering.
        assert abs(late_speeds.mean() - 1 - ppm * 1e-6) < 3e-5, ppm
        share = float(np.mean(late_speeds != 1.0))
        assert 0.02 < share < 0.2, (ppm, share)
        assert ctl.trims == 0


def test_dead_band_steers_back_a_step_of_the_target() -> None:
    ctl = DriftController(16000, 400, deadband=32)
    for _ in range(100):
        assert ctl.update(400, 0.01) == (1.0, 0)
    ctl.target = 480  # the margin grew by 5 ms: the ring must fill up (speed below 1)
    speed, _ = ctl.update(400, 0.01)
    assert speed < 1.0
    assert speed >= 1.0 - ctl.band_max_adjust


def test_dead_band_steers_a_stall_s_excess_out_in_about_a_second() -> None:
    """A stall leaves the ring 30 ms fuller (one side stopped, the other went on): the
    controller steers it back at up to 3 % (not 1 %: five seconds of a longer path and of
    resampling) and then holds the speed at exactly 1.0 again."""
    rate, target = 16000, 400
    ctl = DriftController(rate, target, deadband=32)
    fill = float(target)
    for _ in range(100):
        ctl.update(int(fill), 0.01)
    fill += 0.030 * rate
    speeds, fills = [], []
    for _ in range(300):
        speed, trim = ctl.update(int(fill), 0.01)
        assert trim == 0  # 30 ms is steered, not cut
        fill -= rate * 0.01 * (speed - 1.0)
        speeds.append(speed)
        fills.append(fill)
    assert max(speeds) <= 1.0 + ctl.band_max_adjust + 1e-12
    assert max(speeds) > 1.02  # the large error is steered faster than the small ones
    back = next(i for i, f in enumerate(fills) if f - target < 32)
    assert back * 0.01 < 2.0, f"took {back * 0.01:.2f} s to come back within 2 ms"
    assert speeds[-50:] == [1.0] * 50
    assert abs(fills[-1] - target) < 32


def test_dead_band_steers_a_small_error_gently() -> None:
    ctl = DriftController(16000, 400, deadband=32)
    for _ in range(100):
        ctl.update(400, 0.01)
    ctl.target = 448  # a 3 ms margin step
    speeds = [ctl.update(400, 0.01)[0] for _ in range(20)]
    # 1 % plus the error's share: well under the 3 % a stall's excess gets.
    assert all(1.0 - 0.015 < s <= 1.0 for s in speeds)
    assert min(speeds) < 1.0
