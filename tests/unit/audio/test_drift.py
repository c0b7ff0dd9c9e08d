"""DriftController: a simulated ring between two clocks 300 ppm apart stays at its target,
and a stall's excess is trimmed at once."""

from __future__ import annotations

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
