"""The command line of the benchmarks that start the desk again and again: ``--quick`` (3
runs instead of 10), in a temporary directory with a keyring of their own."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

from testbed.secret_service import secret_service

Run = Callable[[int, Path, dict[str, str]], None]
"""``run(runs, work directory, the keyring's environment)``."""


def main(prog: str, run: Run, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--quick", action="store_true", help="3 runs of each instead of 10")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pulse-bench-") as tmp:
        work = Path(tmp)
        with secret_service(work / "keyring") as keyring_env:
            run(3 if args.quick else 10, work, keyring_env)
    return 0
