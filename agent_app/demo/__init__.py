"""The demo behind ``make run`` (``pulse-agent --demo``): a central server and a phone system
on loopback with a synthetic world. Nothing here is used outside the demo."""

from agent_app.demo.pbx import DEMO_EXTENSION, DemoPbx, PbxUnavailable
from agent_app.demo.server import DemoError, DemoServer, start_demo_server

__all__ = [
    "DEMO_EXTENSION",
    "DemoError",
    "DemoPbx",
    "DemoServer",
    "PbxUnavailable",
    "start_demo_server",
]
