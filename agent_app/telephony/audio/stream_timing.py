"""Timings the audio thread and its device streams share."""

from __future__ import annotations

PUMP_MS = 10
"""The audio thread's pump: every open stream moves its audio once per period."""
CALM_S = 1.0
"""A grown margin gives 1 ms back after each calm period this long (the microphone's is
twice as long)."""
