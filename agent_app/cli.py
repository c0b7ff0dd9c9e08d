"""``pulse-agent``: the desktop app, and the commands IT runs from a shell."""

from __future__ import annotations

import argparse
import sys

from agent_app import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulse-agent", description="Pulse agent softphone")
    parser.add_argument("--version", action="version", version=f"pulse-agent {__version__}")
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the effective settings and where each came from (secrets masked), then exit",
    )
    parser.add_argument("--demo", action="store_true", help="run against the embedded demo server")
    return parser


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    if raw[:1] == ["sync"]:
        from agent_app.sync.headless import main as sync_main

        return sync_main(raw[1:])
    args, qt_args = build_parser().parse_known_args(raw)
    if args.print_config:
        from agent_app.config import ConfigError, format_effective, load_settings

        try:
            print(format_effective(load_settings()))
        except ConfigError as exc:
            print(f"pulse-agent: {exc}", file=sys.stderr)
            return 2
        return 0

    from agent_app.app import run_gui

    return run_gui(qt_args, demo=args.demo)


if __name__ == "__main__":
    sys.exit(main())
