"""``python -m agent_app`` is ``pulse-agent``."""

import sys

from agent_app.cli import main

sys.exit(main())
