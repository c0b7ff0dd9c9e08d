"""Pulse, the desktop agent softphone: the client application package.

Layers, from the top down: ``views`` (Qt widgets) → ``workflow`` (agent states,
call sessions, compliance) → ``telephony`` | ``sync`` → ``store`` → ``secrets`` →
``foundation``. Nothing below ``views`` imports a widget (docs/architecture.md).
"""

__version__ = "0.1.0"
