"""The bundle the packaging tests share: ``dist/pulse-agent``, built once per session
(or reused when it is newer than its sources, see :mod:`testbed.bundle`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed import bundle as bundles


@pytest.fixture(scope="session")
def frozen_app() -> Path:
    """The bundle's executable."""
    reason = bundles.missing_tools()
    if reason:
        pytest.skip(f"the bundle cannot be built here: {reason}")
    return bundles.ensure_bundle()
