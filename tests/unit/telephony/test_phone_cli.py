"""pulse-phone's parser: subcommand registry, no password on the command line."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from agent_app.telephony import phone_cli


def test_registry_lets_another_area_add_a_subcommand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phone_cli, "SUBCOMMANDS", dict(phone_cli.SUBCOMMANDS))
    seen: list[argparse.Namespace] = []

    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--seconds", type=float, default=1.0)

    def run(args: argparse.Namespace) -> int:
        seen.append(args)
        return 7

    phone_cli.register_subcommand(phone_cli.Subcommand("audio-test", "check audio", add, run))
    assert phone_cli.main(["audio-test", "--seconds", "2"]) == 7
    assert seen[0].seconds == 2.0


def test_core_subcommands_exist() -> None:
    assert {"register", "call", "listen"} <= set(phone_cli.SUBCOMMANDS)


def test_password_options_never_take_a_value_in_clear() -> None:
    parser = phone_cli.build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["register", "--password", "x"])
    args = parser.parse_args(["register", "--password-env", "SIP_PW", "--registrar", "pbx"])
    assert args.password_env == "SIP_PW"


def test_missing_password_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULSE_TEST_NO_SUCH_VAR", raising=False)
    args = phone_cli.build_parser().parse_args(
        ["register", "--registrar", "pbx", "--password-env", "PULSE_TEST_NO_SUCH_VAR"]
    )
    with pytest.raises(SystemExit, match="PULSE_TEST_NO_SUCH_VAR is not set"):
        phone_cli.account_spec(args, register=True)


def test_engine_config_from_arguments() -> None:
    args = phone_cli.build_parser().parse_args(
        [
            "listen",
            "--transport",
            "tls",
            "--also-listen",
            "udp",
            "--srtp",
            "mandatory",
            "--codecs",
            "PCMU/8000,G722/16000",
        ]
    )
    args.also_listen = ["udp"]
    cfg = phone_cli.engine_config(args)
    assert cfg.transports == ("tls", "udp")
    assert cfg.srtp == "mandatory"
    assert cfg.codecs == ("PCMU/8000", "G722/16000")


def test_the_signal_handler_takes_no_lock() -> None:
    # A second SIGTERM (a parent's death signal and its clean-up's own, together) can come
    # while the handling of the first holds the stop event's lock: the handler must not wait
    # for it. In a process of its own, whose hang is a timeout here.
    probe = (
        "import argparse, signal\n"
        "from agent_app.telephony import phone_cli\n"
        "session = phone_cli.Session(argparse.Namespace())\n"
        "phone_cli._install_signals(session)\n"
        "handler = signal.getsignal(signal.SIGTERM)\n"
        "with session.stop_requested._cond:\n"
        "    handler(signal.SIGTERM, None)\n"
        "print(session.stopping())\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.strip() == "True"
