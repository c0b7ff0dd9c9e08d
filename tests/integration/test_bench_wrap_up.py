"""The ``wrap_up`` benchmark runs end to end at a tiny size and prints its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_path_prints_every_figure_and_loses_nothing() -> None:
    # A child process: the benchmark sets up its own keyring and data directory in the
    # environment, which must not leak into the other tests.
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.wrap_up", "--quick", "--count", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = {
        line["figure"]: line
        for line in map(json.loads, done.stdout.splitlines())
        if line["benchmark"] == "wrap_up"
    }
    assert figures["submits"]["value"] == 3
    assert figures["commit_p99_ms"]["target"] == "<= 20"
    for name in ("commit", "on_server", "control_commit"):
        p50, p99 = figures[f"{name}_p50_ms"]["value"], figures[f"{name}_p99_ms"]["value"]
        assert 0 < p50 <= p99
    # Arriving on the server includes the commit before it.
    assert figures["on_server_p50_ms"]["value"] >= figures["commit_p50_ms"]["value"]
    assert (figures["lost"]["value"], figures["duplicated"]["value"]) == (0, 0)
