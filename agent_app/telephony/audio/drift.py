"""Keeps a ring buffer at its target fill by nudging the resampling speed.

The sound card's clock and pjsua2's media clock are two different crystals: over a long
call one side produces slightly more samples than the other consumes, so a ring slowly
fills (growing delay) or empties (periodic underruns). The controller watches the ring's
fill, smooths it, and returns a resampling *speed* close to 1.0 (a proportional-integral
loop, clamped to ±``max_adjust``; 1 %, a sixth of a semitone, is not heard on speech).
A fill far above the target — after a stall of either side — is not worth minutes of
slow correction: the controller asks for a trim back to the target instead (one skip).

With a ``deadband`` the controller resamples only part of the time: while the smoothed
fill stays within the band around the target the speed is exactly 1.0 (an equal-rate
stream then passes through untouched, no filtering at all); once it leaves the band, the
fill is steered back at a fixed ``correction`` (plus the proportional term) until it
crosses the target, then the speed is 1.0 again. A drift of ``d`` then costs resampling
about ``d / correction`` of the time (300 ppm at 0.5 %: 6 %), and no drift none. A step
of the target (a margin growing by 5 ms after a dropout) is made up in about a second.
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
    correction: float = 0.005
    """With a dead band: the speed offset that steers the fill back once it left the band
    (0.5 %, under a tenth of a semitone, for about a second after a margin step)."""

    def __post_init__(self) -> None:
        self._avg: float | None = None
        self._integral = 0.0
        self.speed = 1.0
        self.trims = 0
        self._steer = 0
        """With a dead band: +1/-1 while steering the fill down/up, 0 while holding."""
        if self.trim_above <= 0:
            self.trim_above = 3 * self.target

    @property
    def average_fill(self) -> float:
        return self.target if self._avg is None else self._avg

    def reset(self) -> None:
        self._avg = None
        self._integral = 0.0
        self._steer = 0
        self.speed = 1.0

    def update(self, fill: int, elapsed_s: float) -> tuple[float, int]:
        """Feed one observation; returns (speed, samples to trim from the ring now)."""
        if fill > self.target + self.trim_above:
            self.trims += 1
            self._avg = float(self.target)
            return self.speed, fill - self.target
        if self._avg is None:
            self._avg = float(fill)
        else:
            alpha = min(1.0, elapsed_s / self.smoothing_s)
            self._avg += alpha * (fill - self._avg)
        error_s = (self._avg - self.target) / self.rate
        if self.deadband > 0:
            return self._banded(error_s), 0
        self._integral += error_s * elapsed_s
        # Anti-windup: the integral alone never asks for more than the clamp.
        limit = self.max_adjust / self.ki if self.ki else 0.0
        self._integral = max(-limit, min(limit, self._integral))
        adjust = self.kp * error_s + self.ki * self._integral
        adjust = max(-self.max_adjust, min(self.max_adjust, adjust))
        self.speed = 1.0 + adjust
        return self.speed, 0

    def _banded(self, error_s: float) -> float:
        error = error_s * self.rate
        steer = self._steer
        if steer == 0 and abs(error) > self.deadband:
            steer = 1 if error > 0 else -1
        elif steer * error <= 0:
            steer = 0  # crossed the target: hold
        self._steer = steer
        if steer == 0:
            self.speed = 1.0
        else:
            adjust = steer * self.correction + self.kp * error_s
            self.speed = 1.0 + max(-self.max_adjust, min(self.max_adjust, adjust))
        return self.speed
