"""Qt adapter of :class:`EngineClient`: each engine event becomes the ``engine_event`` signal.

The client's reader thread emits; Qt queues the call to the thread that owns this
object, so slots connected by the GUI run on the GUI thread (the shape of Electrum's
``QtEventListener``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from agent_app.telephony import protocol as p
from agent_app.telephony.client import EngineClient


class QtEngineClient(QObject):
    engine_event = Signal(object)

    def __init__(self, parent: QObject | None = None, **kwargs: Any) -> None:
        super().__init__(parent)
        self.client = EngineClient(self._forward, **kwargs)

    def _forward(self, event: p.Event) -> None:
        self.engine_event.emit(event)

    def start(self, config: p.EngineConfig) -> None:
        self.client.start(config)

    def send(self, command: p.Command) -> None:
        self.client.send(command)

    def stop(self) -> None:
        self.client.stop()
