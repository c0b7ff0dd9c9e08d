"""What capture and the speaker's ring reader share: the resampling side of a
drift-controlled stream, and the dead band in which an equal-rate stream is not resampled."""

from __future__ import annotations

from agent_app.telephony.audio.resampler import DriftFollower, Resampler

DRIFT_BAND_MS = 2
"""Ring level error (smoothed) within which an equal-rate stream is not resampled at all:
the level wanders by at most this much (plus the smoothing's overshoot) before the
drift controller steers it back, a tenth of the time for a 300 ppm clock difference."""


class DriftResampling:
    """The resampling side of a drift-controlled stream: a follower at equal rates."""

    resampler: Resampler
    follower: DriftFollower | None

    @property
    def delay_s(self) -> float:
        """Average delay the resampling adds."""
        if self.follower is not None:
            return self.follower.delay_s
        return self.resampler.delay_s

    @property
    def resampled_share(self) -> float:
        """Share of blocks resampled so far (1.0 when the rates differ)."""
        return self.follower.resampled_share if self.follower is not None else 1.0
