"""``python -m server``: the same as ``pulse-server``."""

import sys

from server.cli import main

sys.exit(main())
