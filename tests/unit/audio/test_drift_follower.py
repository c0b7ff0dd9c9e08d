"""DriftFollower: equal-rate int16 samples pass through untouched at speed 1.0, are
resampled cleanly while the speed differs, and the switches between the two leave no
click and lose no sample."""

from __future__ import annotations

import numpy as np
import pytest

from agent_app.telephony.audio.resampler import DriftFollower

RATE = 16000
BLOCK = 160


def tone(freq: float, seconds: float, amplitude: float = 12000.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return np.rint(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def run(x: np.ndarray, speed_of_block: list[float]) -> tuple[np.ndarray, DriftFollower]:
    follower = DriftFollower(RATE)
    outs = []
    for i, start in enumerate(range(0, len(x), BLOCK)):
        # The caller's buffer is reused, as the audio thread's is.
        block = x[start : start + BLOCK].copy()
        outs.append(follower.process(block, speed_of_block[i]).copy())
        block[:] = 0
    return np.concatenate(outs), follower


def residual_db(x: np.ndarray, width_hz: float = 6.0) -> tuple[float, float]:
    """Peak frequency and the energy outside ±width_hz around it, in dB of the total."""
    spec = np.abs(np.fft.rfft(x * np.blackman(len(x)))) ** 2
    k = int(np.argmax(spec))
    w = max(6, int(width_hz * len(x) / RATE))
    inside = spec[max(0, k - w) : k + w + 1].sum()
    return k * RATE / len(x), float(10 * np.log10(max(1e-30, 1 - inside / spec.sum())))


def test_speed_one_passes_samples_through_untouched() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(-30000, 30000, RATE, dtype=np.int16)
    follower = DriftFollower(RATE)
    for start in range(0, len(x), BLOCK):
        block = x[start : start + BLOCK]
        out = follower.process(block, 1.0)
        assert out is block, "passing through must not copy or convert"
    assert follower.blocks_resampled == 0
    assert follower.resampled_share == 0.0
    assert follower.delay_s == 0.0


@pytest.mark.parametrize(
    ("freq", "speed"), [(300, 1.004), (1000, 0.996), (3000, 1.01), (1000, 1.03), (3000, 0.97)]
)
def test_tone_stays_clean_while_resampling(freq: int, speed: float) -> None:
    x = tone(freq, 3.0)
    out, follower = run(x, [speed] * (len(x) // BLOCK))
    assert follower.blocks_passed == 0
    assert abs(len(out) - len(x) / speed) < 40
    peak, resid = residual_db(out[RATE // 10 :].astype(np.float64))
    assert abs(peak - freq * speed) < 1.0
    assert resid < -55.0, f"{freq} Hz at speed {speed}: {resid:.1f} dB outside the tone"


def clicks(out: np.ndarray, freq: float, amplitude: float) -> int:
    """Samples whose second difference exceeds what the tone itself can produce (a
    skipped or repeated sample, or a step, makes it 2-8 times larger)."""
    ceiling = amplitude * (2 * np.pi * freq * 1.011 / RATE) ** 2 + 3.0
    return int(np.sum(np.abs(np.diff(out.astype(np.float64), 2)) > ceiling))


@pytest.mark.parametrize("freq", [300, 1000])
def test_switching_modes_leaves_no_click_and_loses_no_sample(freq: int) -> None:
    x = tone(freq, 8.0)
    blocks = len(x) // BLOCK
    # Steer up, hold, steer down, hold... each for 0.2-0.5 s, as the controller does.
    pattern = [1.0] * 30 + [1.005] * 20 + [1.0] * 50 + [0.995] * 25 + [1.0] * 25
    speeds = (pattern * (blocks // len(pattern) + 1))[:blocks]
    out, follower = run(x, speeds)
    assert follower.blocks_passed > 0 and follower.blocks_resampled > 0
    assert follower.resampling is False or speeds[-1] != 1.0
    assert clicks(out, freq, 12000.0) == 0
    # What went in came out, give or take the speed changes and the held-back lookahead.
    expected = sum(BLOCK / s for s in speeds)
    assert abs(len(out) - expected) <= follower.resampler.lookahead + 2
    assert 0.69 < np.sqrt(np.mean(out[RATE:].astype(np.float64) ** 2)) / 12000 < 0.72


def test_a_skipped_sample_is_what_the_click_check_finds() -> None:
    # The check above would see a seam: one sample dropped from a clean tone.
    x = tone(1000, 0.5)
    seam = np.concatenate((x[:4000], x[4001:]))
    assert clicks(x, 1000, 12000.0) == 0
    assert clicks(seam, 1000, 12000.0) > 0


def test_back_to_pass_through_gives_the_input_exactly() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(-20000, 20000, RATE * 2, dtype=np.int16)
    follower = DriftFollower(RATE)
    speeds = [1.0] * 10 + [1.004] * 30 + [1.0] * 160
    outs = []
    for i, start in enumerate(range(0, len(x), BLOCK)):
        outs.append(follower.process(x[start : start + BLOCK], speeds[i]).copy())
    out = np.concatenate(outs)
    assert follower.resampling is False, "the follower landed on a whole sample and stopped"
    assert follower.blocks_passed >= 10 + 150
    # Once back, the output is the input itself: the held-back lookahead first (landing
    # on a whole sample makes each of those outputs exactly its input), then every block.
    tail = 150 * BLOCK + follower.resampler.lookahead
    assert np.array_equal(out[-tail:], x[-tail:])
    assert np.array_equal(out[: 10 * BLOCK], x[: 10 * BLOCK])


def test_max_out_is_honoured_and_the_rest_waits() -> None:
    x = tone(500, 0.2)
    follower = DriftFollower(RATE)
    out = follower.process(x[:BLOCK], 1.0, max_out=100)
    assert len(out) <= 100
    more = follower.process(x[BLOCK : 2 * BLOCK], 1.003)
    assert len(out) + len(more) >= 2 * BLOCK - follower.resampler.lookahead - 2
