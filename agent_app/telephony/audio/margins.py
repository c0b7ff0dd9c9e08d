"""Safety margins of the two rings, sized from what the devices and the pumps actually did.

Pure logic (no Qt, no numpy), driven by the audio thread's pump with plain numbers:

- :class:`PlayoutClock` tells when the speaker played silence: Qt's ``processedUSecs()``
  counts only real frames the server took, so the lower envelope of wall clock minus
  that count steps up by the length of each dropout.
- :class:`AdaptiveTarget` is a jitter buffer's target: it grows by a step per stall (a
  dropout, a near miss, a late pump) and gives a little back after each calm period.

Sizes and figures: docs/decisions/0005-ring-buffers-and-level-control.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PlayoutClock:
    """Detects silence the device played, from its consumed-audio clock."""

    window_s: float = 0.25
    """Length of the windows whose lowest lag forms the envelope."""
    threshold_s: float = 0.004
    """An envelope rise above this is a dropout (request steps and drift stay below)."""
    follow: float = 0.25
    """Share of a small rise the envelope follows per window (slow clock drift)."""
    dropouts: int = 0
    silence_s: float = 0.0
    _base: float | None = field(default=None, repr=False)
    _win_start: float | None = field(default=None, repr=False)
    _win_min: float = field(default=0.0, repr=False)

    def reset(self) -> None:
        self._base = None
        self._win_start = None

    def update(self, now: float, played_s: float) -> float:
        """Feed the wall clock and the device's played time; returns the silence (seconds)
        found when a window closes (0.0 otherwise)."""
        lag = now - played_s
        if self._win_start is None:
            self._win_start = now
            self._win_min = lag
            return 0.0
        self._win_min = min(self._win_min, lag)
        if now - self._win_start < self.window_s:
            return 0.0
        low = self._win_min
        self._win_start = now
        self._win_min = lag
        base = self._base
        if base is None:
            self._base = low
            return 0.0
        rise = low - base
        if rise > self.threshold_s:
            self._base = low
            self.dropouts += 1
            self.silence_s += rise
            return rise
        if rise < 0.0:
            self._base = low
        else:
            self._base = base + self.follow * rise
        return 0.0


@dataclass
class AdaptiveTarget:
    """A ring's target level (samples) that grows on trouble and shrinks when calm."""

    minimum: int
    maximum: int
    step: int
    """Growth for one stall."""
    give_back: int
    """Shrink after each calm period."""
    calm_s: float = 1.0
    hold_off_s: float = 0.25
    """Reports closer together than this are the same stall."""
    value: int = 0
    grown: int = 0
    _last_alarm: float | None = field(default=None, repr=False)
    _calm_since: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.maximum = max(self.maximum, self.minimum)
        if not self.minimum <= self.value <= self.maximum:
            self.value = self.minimum

    @classmethod
    def in_ms(
        cls, rate: int, minimum: int, *, headroom_ms: int, step_ms: int, calm_s: float
    ) -> AdaptiveTarget:
        """A target of ``minimum`` samples at ``rate`` that grows by ``step_ms`` per stall,
        at most ``headroom_ms`` above it, and gives 1 ms back per calm period."""
        ms = rate // 1000
        return cls(
            minimum=minimum,
            maximum=minimum + headroom_ms * ms,
            step=step_ms * ms,
            give_back=ms,
            calm_s=calm_s,
        )

    def alarm(self, now: float) -> None:
        """A dropout, a near miss or a pump later than the margin covers."""
        last = self._last_alarm
        if (last is None or now - last > self.hold_off_s) and self.value < self.maximum:
            self.value = min(self.value + self.step, self.maximum)
            self.grown += 1
        self._last_alarm = now
        self._calm_since = now

    def tick(self, now: float) -> None:
        """Called on every pump: after ``calm_s`` without an alarm, give a little back."""
        since = self._calm_since
        if since is None:
            self._calm_since = now
        elif now - since > self.calm_s:
            self._calm_since = now
            if self.value > self.minimum:
                self.value = max(self.value - self.give_back, self.minimum)
