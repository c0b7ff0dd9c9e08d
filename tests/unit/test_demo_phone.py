"""The demo's phone parts that need no process: which demo patient calls, what pulse-phone is
asked to do, where Kamailio is looked for."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from agent_app.demo import pbx as pbx_module
from agent_app.demo.call import RunningDemo, build_parser, phone_command
from agent_app.demo.patient_phones import (
    ANSWERS,
    BUSY,
    RINGS_OUT,
    VOICEMAIL,
    DemoCaller,
    behaviour_arguments,
    behaviour_of,
    choose_caller,
    choose_callers,
)
from agent_app.demo.pbx import find_kamailio

DEMO = RunningDemo(
    directory=Path("/nonexistent"),
    server_url="http://127.0.0.1:9",
    registrar="127.0.0.1:5999",
    extension="1001",
    password="synthetic",
)


def _patient(mrn: str, *numbers: str) -> dict[str, object]:
    return {"mrn": mrn, "phones": [{"number": n, "kind": "mobile"} for n in numbers]}


def test_the_caller_is_the_first_patient_whose_number_is_theirs_alone() -> None:
    household = "+12025550100"
    patients = [
        _patient("DEMO0000003", "+12025550103"),
        _patient("DEMO0000001", household),
        _patient("DEMO0000002", household, "+12025550102"),
        _patient("DEMO0000000"),
    ]

    assert choose_caller(patients) == DemoCaller("+12025550103", "DEMO0000003")


def test_no_caller_when_every_number_is_shared() -> None:
    shared = "+12025550100"

    assert choose_caller([_patient("DEMO1", shared), _patient("DEMO2", shared)]) is None


def test_the_dialled_phones_are_the_first_listed_patients_a_household_number_once() -> None:
    household = "+12025550100"
    listed = ["campaign-1"]
    patients = [
        {**_patient("DEMO0000003", "+12025550103"), "campaign_ids": listed},
        {**_patient("DEMO0000001", household), "campaign_ids": listed},
        {**_patient("DEMO0000002", household), "campaign_ids": listed},
        {**_patient("DEMO0000000", "+12025550109"), "campaign_ids": []},
    ]

    chosen = choose_callers(patients, 8, dialled=True)

    assert [caller.mrn for caller in chosen] == ["DEMO0000001", "DEMO0000003"]
    assert [caller.number for caller in chosen] == [household, "+12025550103"]


def test_the_phones_behave_in_turn_and_as_asked(tmp_path: Path) -> None:
    voice, greeting = tmp_path / "voice.wav", tmp_path / "greeting.wav"

    assert [behaviour_of(i) for i in range(6)] == [
        ANSWERS, BUSY, RINGS_OUT, VOICEMAIL, ANSWERS, BUSY,
    ]  # fmt: skip
    answers = behaviour_arguments(ANSWERS, voice, greeting)
    voicemail = behaviour_arguments(VOICEMAIL, voice, greeting)
    assert "--auto-answer" in answers and str(voice) in answers
    assert behaviour_arguments(BUSY, voice, greeting) == ["--decline", "486"]
    assert behaviour_arguments(RINGS_OUT, voice, greeting) == []
    assert "--auto-answer" in voicemail and str(greeting) in voicemail
    assert "--record" not in voicemail
    assert float(voicemail[voicemail.index("--answer-after") + 1]) > float(
        answers[answers.index("--answer-after") + 1]
    )


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_a_call_goes_from_the_caller_to_the_extension_at_the_pbx() -> None:
    command = phone_command(DEMO, "+12025550103", _args("--ring", "30", "--talk", "5"))

    assert command[0] == "call"
    assert command[-1] == "sip:1001@127.0.0.1:5999"
    assert command[command.index("--username") + 1] == "+12025550103"
    assert command[command.index("--timeout") + 1] == "30.0"
    assert "--registrar" not in command  # a caller from outside needs no account at the PBX


def test_answering_registers_the_patient_number_with_the_demo_password_from_stdin() -> None:
    command = phone_command(DEMO, "+12025550103", _args("--answer"))

    assert command[0] == "listen"
    assert {"--register", "--auto-answer"} <= set(command)
    assert command[command.index("--registrar") + 1] == "127.0.0.1:5999"
    # The password goes through the child's standard input: not its arguments, not its
    # environment (both readable by other processes of the account).
    assert "--password-stdin" in command and "--password-env" not in command
    assert DEMO.password not in command


def test_kamailio_is_found_on_the_path_and_in_the_system_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    fake = sbin / "kamailio"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(pbx_module, "_SYSTEM_DIRS", ())
    assert find_kamailio() is None

    monkeypatch.setattr(pbx_module, "_SYSTEM_DIRS", (str(sbin),))
    assert find_kamailio() == str(fake)
