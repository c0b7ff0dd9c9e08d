"""``pulse-agent``: the desktop app, and the commands IT runs from a shell."""

from __future__ import annotations

import argparse
import sys

from agent_app import __version__


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pulse-agent", description="Pulse agent softphone")
    parser.add_argument("--version", action="version", version=f"pulse-agent {__version__}")
    parser.add_argument(
        "--print-config",
        action="store_true",
        help="print the effective settings and where each came from (secrets masked), then exit",
    )
    parser.add_argument("--demo", action="store_true", help="run against the embedded demo server")
    parser.add_argument(
        "--self-check",
        action="store_true",
        help="check this workstation (settings, keyring, store, server, PBX, audio), then exit",
    )
    parser.add_argument(
        "--json", action="store_true", help="with --self-check: print the results as JSON"
    )
    if commands:
        subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
        from agent_app.store.cli import register_cache_commands

        register_cache_commands(subcommands)
        from agent_app.sync.headless import register_sync_command

        register_sync_command(subcommands)
        from agent_app.foundation.machine_config import register_machine_config_command

        register_machine_config_command(subcommands)
        from agent_app.sync.enrol_command import register_enrol_command

        register_enrol_command(subcommands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if argv and argv[0] in _subcommand_names(parser):
        # IT commands parse strictly; without one, unknown arguments are left for Qt
        # (a parser without subcommands, so that `-platform offscreen` is not a command).
        command_args = parser.parse_args(argv)
        return int(command_args.run(command_args))
    if not {"-h", "--help"} & set(argv):
        parser = build_parser(commands=False)
    args, qt_args = parser.parse_known_args(argv)
    if args.self_check:
        from agent_app import self_check

        return self_check.main(as_json=args.json)
    if args.print_config:
        from agent_app.foundation.config import ConfigError, format_effective, load_settings

        try:
            print(format_effective(load_settings()))
        except ConfigError as exc:
            print(f"pulse-agent: {exc}", file=sys.stderr)
            return 2
        return 0

    from agent_app.app import run_gui
    from agent_app.foundation import qt_compat

    qt_compat.apply()
    return run_gui(qt_args, demo=args.demo)


def _subcommand_names(parser: argparse.ArgumentParser) -> set[str]:
    return {
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    }


if __name__ == "__main__":
    sys.exit(main())
