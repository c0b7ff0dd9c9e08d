"""The engine's one error: a command it cannot carry out."""

from __future__ import annotations


class EngineError(RuntimeError):
    """A command that cannot be carried out (unknown call, wrong state, bad target)."""
