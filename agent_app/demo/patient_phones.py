"""The demo patients' phones: with the demo PBX up, the first patients the desk dials on the
demo's outbound campaigns have a phone registered there that answers, is busy, rings out or
goes to voicemail, the same for the same patient on every run.

Each phone is a ``pulse-phone listen`` child of the demo and ends with it. ``tools/demo-call``
picks its patient and registers its ``--answer`` phone the same way (:func:`choose_caller`,
:func:`listen_arguments`).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_app.demo import processes
from agent_app.demo.pbx import HOST
from agent_app.demo.recording import write_voice
from agent_app.demo.voicemail import install_demo_message
from agent_app.sync.http_client import Client, HttpError

log = logging.getLogger(__name__)

ANSWERS = "answers"
BUSY = "busy"
RINGS_OUT = "rings out"
VOICEMAIL = "voicemail"
BEHAVIOURS = (ANSWERS, BUSY, RINGS_OUT, VOICEMAIL)
"""In turn by MRN: the first patient's phone answers, the second is busy, and so on."""
PHONES = 8
"""Phones started: two of each behaviour (each is a process; a few are enough to show them)."""
ANSWER_AFTER_S = 3.0
"""An answering patient picks up after a couple of rings."""
VOICEMAIL_AFTER_S = 10.0
"""Voicemail picks up after about four rings and plays its greeting tone."""

_PHONES_DEVICE = ("demo-phones-0000", "demo patient phones")
"""The workstation the phones' start-up signs in as to read the demo's patients."""


class PatientFeedError(Exception):
    """The demo server's patients could not be read; the message says why."""


@dataclass(frozen=True)
class DemoCaller:
    """A demo patient's number of their own, with the patient's MRN and record id."""

    number: str
    mrn: str
    record_id: str = field(default="", compare=False)


def fetch_patients(
    server_url: str, username: str, password: str, device: tuple[str, str]
) -> list[dict[str, Any]]:
    """The demo agent's patients as the demo server's sync feed gives them, signed in as
    ``device`` (id, name)."""
    try:
        with Client(server_url, connect_timeout_s=30.0, read_timeout_s=30.0) as client:
            login = client.post(
                "/api/v1/auth/login",
                json={
                    "username": username,
                    "password": password,
                    "device_id": device[0],
                    "device_name": device[1],
                },
            )
            if login.status_code != 200:
                raise PatientFeedError(f"the demo server refused the sign-in ({login.status_code})")
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            try:
                feed = client.get("/api/v1/sync/patients", params={"limit": 500}, headers=headers)
                if feed.status_code != 200:
                    raise PatientFeedError(
                        f"the demo server's patients are unreadable (HTTP {feed.status_code})"
                    )
            finally:
                client.post("/api/v1/auth/logout", headers=headers)
            items: list[dict[str, Any]] = feed.json()["items"]
            return items
    except (HttpError, ValueError, KeyError) as exc:
        raise PatientFeedError(f"the demo server's patients are unreadable ({exc})") from None


def choose_callers(
    patients: Sequence[dict[str, Any]], count: int, *, dialled: bool = False
) -> list[DemoCaller]:
    """The first ``count`` patients (by MRN, the order of the demo's dial queues) whose first
    number belongs to nobody else (a caller the desk's lookup finds alone). ``dialled``: the
    first ``count`` patients on a campaign's list instead, a household's number only once."""
    owners = Counter(
        number
        for patient in patients
        for number in {phone["number"] for phone in patient.get("phones", [])}
    )
    chosen: list[DemoCaller] = []
    for patient in sorted(patients, key=lambda p: str(p.get("mrn", ""))):
        if len(chosen) >= count:
            break
        phones = patient.get("phones") or []
        if not phones or (dialled and not patient.get("campaign_ids")):
            continue
        number = str(phones[0]["number"])
        if dialled and any(caller.number == number for caller in chosen):
            continue
        if dialled or owners[number] == 1:
            chosen.append(DemoCaller(number, str(patient["mrn"]), str(patient.get("id", ""))))
    return chosen


def choose_caller(patients: Sequence[dict[str, Any]]) -> DemoCaller | None:
    """The first patient (by MRN) whose first number belongs to nobody else."""
    chosen = choose_callers(patients, 1)
    return chosen[0] if chosen else None


def listen_arguments(registrar: str, number: str) -> list[str]:
    """``pulse-phone`` arguments (after the program) that register ``number`` at the demo PBX
    and wait for calls; the PBX's password follows on standard input."""
    return [
        "listen", "--username", number, "--domain", HOST,
        "--registrar", registrar, "--password-stdin", "--register",
    ]  # fmt: skip


def behaviour_of(position: int) -> str:
    """The behaviour of the phone of the ``position``-th chosen patient (from 0)."""
    return BEHAVIOURS[position % len(BEHAVIOURS)]


def behaviour_arguments(behaviour: str, voice: Path, greeting: Path) -> list[str]:
    """The ``pulse-phone listen`` arguments that make a phone behave so."""
    if behaviour == ANSWERS:
        return ["--auto-answer", "--answer-after", str(ANSWER_AFTER_S), "--play", str(voice)]
    if behaviour == BUSY:
        return ["--decline", "486"]
    if behaviour == VOICEMAIL:
        # The greeting loops until the desk hangs up; nothing is recorded.
        return ["--auto-answer", "--answer-after", str(VOICEMAIL_AFTER_S), "--play", str(greeting)]
    # Rings out: the phone never answers; the desk gives up (or the caller's PBX does).
    return []


@dataclass(frozen=True)
class PatientPhone:
    patient: DemoCaller
    behaviour: str
    process: subprocess.Popen[bytes]


@dataclass
class PatientPhones:
    """The running phones; :meth:`stop` ends them all."""

    phones: list[PatientPhone]

    def describe(self) -> str:
        """Which patient (by MRN) does what, in one line for the presenter."""
        return "; ".join(f"{phone.patient.mrn} {phone.behaviour}" for phone in self.phones)

    def stop(self) -> None:
        # All asked at once, so that they unregister side by side.
        for phone in self.phones:
            if phone.process.poll() is None:
                phone.process.terminate()
        for phone in self.phones:
            processes.stop(phone.process, timeout=5.0)
        self.phones = []


def start_patient_phones(
    *,
    server_url: str,
    agent: str,
    agent_password: str,
    registrar: str,
    sip_password: str,
    directory: Path,
    count: int = PHONES,
) -> PatientPhones:
    """Register the phones of the first ``count`` listed demo patients at ``registrar``.

    Raises :class:`PatientFeedError` when the demo server's patients cannot be read."""
    patients = fetch_patients(server_url, agent, agent_password, _PHONES_DEVICE)
    voice = write_voice(directory / "demo-caller-voice.wav")
    greeting = install_demo_message(directory / "patient-phones")
    phones = []
    for position, patient in enumerate(choose_callers(patients, count, dialled=True)):
        behaviour = behaviour_of(position)
        command = [
            sys.executable, "-m", "agent_app.telephony.phone_cli",
            *listen_arguments(registrar, patient.number),
            *behaviour_arguments(behaviour, voice, greeting),
        ]  # fmt: skip
        process = processes.start(
            command, str(directory / "patient-phones.log"), first_line=sip_password
        )
        phones.append(PatientPhone(patient, behaviour, process))
        log.info("demo: patient %s has a phone (%s)", patient.record_id, behaviour)
    return PatientPhones(phones)
