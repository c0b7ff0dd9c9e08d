"""Keeps a ring buffer at its target fill by nudging the resampling speed.

The sound card's clock and pjsua2's media clock are two different crystals: over a long
call one side produces slightly more samples than the other consumes, so a ring slowly
fills (growing delay) or empties (periodic underruns). The controller watches the ring's
fill, smooths it, and returns a resampling *speed* close to 1.0 (a proportional-integral
loop, clamped to ±``max_adjust``; 1 %, a sixth of a semitone, is not heard on speech).
A fill far above the target — after a stall of either side — is not worth minutes of
slow correction: the controller asks for a trim back to the target instead (one skip).

With a ``deadband`` the speed is exactly 1.0 while the smoothed fill stays within the
band (an equal-rate stream then passes through untouched); outside it the fill is steered
back at ``correction`` plus ``band_gain`` times the error, until a faster-smoothed (50 ms)
level crosses the target. A stall's excess, seen on that fast level, is steered out at up
to ``band_max_adjust``. Why, and the figures: docs/decisions/0005-ring-buffers-and-level-control.md
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DriftController:
    rate: int
    """Sample rate of the ring being watched."""
    target: int
    """Fill level (samples) to hold."""
    max_adjust: float = 0.01
    trim_above: int = 0
    """Fill above ``target + trim_above`` asks for a trim; 0 means 3 × target."""
    smoothing_s: float = 0.3
    kp: float = 0.2
    """Speed change per second of fill error."""
    ki: float = 0.05
    deadband: int = 0
    """Fill error (samples) within which the speed is exactly 1.0; 0: always the PI loop."""
    correction: float = 0.01
    """With a dead band: the speed offset that steers the fill back once it left the band
    (1 %, a sixth of a semitone)."""
    band_gain: float = 1.0
    """With a dead band: speed change per second of fill error, on top of ``correction``."""
    band_max_adjust: float = 0.03
    """With a dead band: the largest speed offset (3 %, half a semitone, only while a
    stall's excess is steered out; in speech it passes for a slightly quicker voice)."""
    fast_smoothing_s: float = 0.05
    """With a dead band: smoothing of the level that finds a stall's excess."""
    rush_above: int = 0
    """With a dead band: a fast-smoothed error beyond this is steered out from the fast
    level; 0 means 4 × ``deadband``."""

    def __post_init__(self) -> None:
        self._avg: float | None = None
        self._integral = 0.0
        self.speed = 1.0
        self.trims = 0
        self._steer = 0
        """With a dead band: +1/-1 while steering the fill down/up, 0 while holding."""
        self._fast: float | None = None
        self._rush = 0
        """With a dead band: +1/-1 while a stall's excess (or lack) is steered out."""
        if self.rush_above <= 0:
            self.rush_above = 4 * self.deadband
        if self.trim_above <= 0:
            self.trim_above = 3 * self.target

    def reset(self) -> None:
        self._avg = self._fast = None
        self._integral = 0.0
        self._steer = self._rush = 0
        self.speed = 1.0

    def update(self, fill: int, elapsed_s: float) -> tuple[float, int]:
        """Feed one observation; returns (speed, samples to trim from the ring now)."""
        if fill > self.target + self.trim_above:
            self.trims += 1
            self._avg = self._fast = float(self.target)
            return self.speed, fill - self.target
        if self._avg is None or self._fast is None:
            self._avg = self._fast = float(fill)
        else:
            self._avg += min(1.0, elapsed_s / self.smoothing_s) * (fill - self._avg)
            self._fast += min(1.0, elapsed_s / self.fast_smoothing_s) * (fill - self._fast)
        if self.deadband > 0:
            return self._banded(self._avg - self.target, self._fast - self.target), 0
        error_s = (self._avg - self.target) / self.rate
        self._integral += error_s * elapsed_s
        # Anti-windup: the integral alone never asks for more than the clamp.
        limit = self.max_adjust / self.ki if self.ki else 0.0
        self._integral = max(-limit, min(limit, self._integral))
        adjust = self.kp * error_s + self.ki * self._integral
        adjust = max(-self.max_adjust, min(self.max_adjust, adjust))
        self.speed = 1.0 + adjust
        return self.speed, 0

    def _banded(self, error: float, fast_error: float) -> float:
        """Errors in samples: of the slow average, and of the fast one."""
        rush = self._rush
        if rush == 0 and abs(fast_error) > self.rush_above:
            rush = 1 if fast_error > 0 else -1
        elif rush != 0 and rush * fast_error <= self.deadband / 2:
            # Nearly there. The slow average still lags the whole way back: it restarts
            # from here, or it would steer on past the target.
            rush = 0
            self._avg = self.target + fast_error
            error = fast_error
            self._steer = 0
        self._rush = rush
        if rush != 0:
            self.speed = self._steered(rush, fast_error)
            return self.speed
        steer = self._steer
        if steer == 0 and abs(error) > self.deadband:
            steer = 1 if error > 0 else -1
        elif steer != 0 and steer * fast_error <= 0:
            # Crossed the target: hold. Judged on the fast level: the slow average lags
            # by (speed offset × its smoothing), so it would steer on past the target and
            # out of the band on the other side (measured in simulation: three times the
            # resampling for a 300 ppm drift). The slow average restarts from here.
            steer = 0
            self._avg = self.target + fast_error
        self._steer = steer
        self.speed = 1.0 if steer == 0 else self._steered(steer, error)
        return self.speed

    def _steered(self, direction: int, error: float) -> float:
        adjust = direction * self.correction + self.band_gain * error / self.rate
        limit = self.band_max_adjust
        return 1.0 + max(-limit, min(limit, adjust))
