"""The demo world's fixed cases and ``pulse-server dispositions``, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import wave
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from agent_app.demo.voicemail import DEMO_MESSAGE, install_demo_message
from agent_app.workflow import consent
from agent_app.workflow.outbound import voicemail_message
from server import content
from server.db import make_engine, session_factory
from server.feeds import campaign_out
from server.models import Campaign, DialQueueEntry, IntakeItem, ListEntry, Patient, Script
from server.seed import CHECKIN_SCRIPT, DEMO_CASES, DEMO_VOICEMAIL, did
from tests.helpers.server_live import LiveServer
from tests.integration.server.conftest import PASSWORD, World
from tests.integration.server.test_cli import cli
from tests.integration.server.test_intake import disposition


def _seed(database_url: str, data_dir: Path, patients: int) -> None:
    run = cli(
        "seed-demo", "--database-url", database_url, "--data-dir", str(data_dir),
        "--patients", str(patients),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_the_demo_world_has_its_cases(database_url: str, tmp_path: Path) -> None:
    _seed(database_url, tmp_path, 30)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            patients = list(session.scalars(select(Patient)))
            wrap_up = dict(
                session.execute(select(Campaign.name, Campaign.wrap_up_s)).tuples().all()
            )
            callbacks = list(
                session.scalars(select(IntakeItem).where(IntakeItem.kind == "callback"))
            )
    finally:
        engine.dispose()
    owners = Counter(
        number
        for patient in patients
        for number in {phone["number"] for phone in patient.phones["items"]}
    )
    cases = {case.key: case for case in DEMO_CASES}
    assert list(cases) == ["known", "household", "unknown", "spanish", "callback"]
    for case in DEMO_CASES:
        assert owners[case.number] == len(case.patients), case.key
    by_id = {patient.id: patient for patient in patients}
    assert {by_id[did("patient", index)].mrn for index in cases["household"].patients} == {
        "DEMO0000001",
        "DEMO0000002",
    }
    assert by_id[did("patient", cases["spanish"].patients[0])].language == "es"
    assert all(
        by_id[did("patient", index)].consent_calls and not by_id[did("patient", index)].do_not_call
        for case in DEMO_CASES
        for index in case.patients
    )
    assert [item.patient_id for item in callbacks] == [
        did("patient", cases["callback"].patients[0])
    ]
    assert wrap_up == {
        "Appointment reminders": 45,
        "Post-discharge follow-up": 90,
        "Chronic-disease check-in": 75,
        "Vaccination and screening": 30,
    }


def test_each_outbound_campaign_has_a_dial_queue(database_url: str, tmp_path: Path) -> None:
    _seed(database_url, tmp_path, 200)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            rows = session.execute(
                select(
                    Campaign.name,
                    Campaign.healthcare_exempt,
                    Patient.time_zone,
                    Patient.do_not_call,
                )
                .join(DialQueueEntry, DialQueueEntry.campaign_id == Campaign.id)
                .join(Patient, Patient.id == DialQueueEntry.patient_id)
            ).all()
            listed = session.execute(
                select(ListEntry.campaign_id, ListEntry.patient_id).where(ListEntry.active)
            ).all()
            queued = session.execute(
                select(DialQueueEntry.campaign_id, DialQueueEntry.patient_id)
            ).all()
    finally:
        engine.dispose()
    assert set(listed) == set(queued)
    by_campaign: dict[str, list[tuple[bool, str, bool]]] = {}
    for name, exempt, zone, dnc in rows:
        by_campaign.setdefault(name, []).append((exempt, zone, dnc))
    assert set(by_campaign) == {
        "Appointment reminders",
        "Post-discharge follow-up",
        "Chronic-disease check-in",
        "Vaccination and screening",
    }
    for name, members in by_campaign.items():
        assert all(exempt for exempt, _, _ in members), name
        assert len({zone for _, zone, _ in members}) >= 4, name
        assert any(dnc for _, _, dnc in members), name  # some the dialer must never lease


def test_a_world_seeded_before_the_cases_gets_them(database_url: str, tmp_path: Path) -> None:
    _seed(database_url, tmp_path, 10)
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            # As an older seed left them: other numbers, the migration's wrap-up time.
            known = session.get(Patient, did("patient", 0))
            assert known is not None
            known.phones = {"items": [{"number": "+12015550100", "kind": "mobile"}]}
            for campaign in session.scalars(select(Campaign)):
                campaign.wrap_up_s = 60
            session.execute(IntakeItem.__table__.delete())
        _seed(database_url, tmp_path, 10)
        with session_factory(engine)() as session:
            known = session.get(Patient, did("patient", 0))
            assert known is not None
            assert known.phones["items"][0]["number"] == DEMO_CASES[0].number
            assert known.version == 2  # a new version, so desks sync the change
            assert set(session.scalars(select(Campaign.wrap_up_s))) == {30, 45, 75, 90}
            assert session.scalar(select(IntakeItem.kind)) == "callback"
    finally:
        engine.dispose()


def _documents(database_url: str) -> dict[str, dict[str, object]]:
    """The demo campaigns as the campaigns feed sends them, by name."""
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return {c.name: campaign_out(c) for c in session.scalars(select(Campaign))}
    finally:
        engine.dispose()


def test_the_demo_desk_finds_its_campaigns_voicemail_message(
    database_url: str, tmp_path: Path
) -> None:
    _seed(database_url, tmp_path / "server", 10)
    documents = _documents(database_url)
    messages = tmp_path / "desk" / "messages"
    assert all(voicemail_message(d, messages) is None for d in documents.values())

    written = install_demo_message(messages)

    assert DEMO_MESSAGE == DEMO_VOICEMAIL  # the desk writes the name the server gives
    for name, document in documents.items():
        assert voicemail_message(document, messages) == str(written), name
    with wave.open(str(written)) as played:
        assert (played.getnchannels(), played.getsampwidth()) == (1, 2)
        assert played.getframerate() in (8000, 16000)
        assert 2.0 <= played.getnframes() / played.getframerate() <= 6.0
    before = written.read_bytes()
    written.unlink()
    assert install_demo_message(messages).read_bytes() == before  # the same on every run


def test_the_demo_campaigns_carry_preview_consent_and_caps(
    database_url: str, tmp_path: Path
) -> None:
    _seed(database_url, tmp_path, 10)
    documents = _documents(database_url)

    assert {name: d["preview_s"] for name, d in documents.items()} == {
        "Appointment reminders": 5,
        "Post-discharge follow-up": 8,
        "Chronic-disease check-in": 5,
        "Vaccination and screening": 6,
    }
    assert [name for name, d in documents.items() if consent.required(d)] == [
        "Chronic-disease check-in"
    ]
    # seed-demo puts the server's caps (its defaults here) on the exempt demo campaigns.
    assert all(d["exemption_caps"] == {"per_day": 1, "per_week": 3} for d in documents.values())
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            script = session.get(Script, did("script", "checkin"))
            assert content.asks_recording_consent(script)
    finally:
        engine.dispose()


def test_a_world_seeded_before_the_outbound_fields_gets_them(
    database_url: str, tmp_path: Path
) -> None:
    _seed(database_url, tmp_path, 10)
    engine = make_engine(database_url)
    old_checkin = {
        lang: {"steps": [s for s in v["steps"] if s["id"] != "consent"]}
        for lang, v in CHECKIN_SCRIPT.items()
    }
    try:
        with session_factory(engine)() as session, session.begin():
            # As an older seed left them: no message, the migration's preview, no consent step.
            for campaign in session.scalars(select(Campaign)):
                campaign.voicemail_message, campaign.preview_s = None, 5
                campaign.recording_consent = False
            script = session.get(Script, did("script", "checkin"))
            assert script is not None
            script.variants = old_checkin
        _seed(database_url, tmp_path, 10)
        with session_factory(engine)() as session:
            script = session.get(Script, did("script", "checkin"))
            assert script is not None and script.version == 2
            assert content.asks_recording_consent(script)
            kept = {c.name: c for c in session.scalars(select(Campaign))}
    finally:
        engine.dispose()
    assert {c.voicemail_message for c in kept.values()} == {DEMO_VOICEMAIL}
    assert kept["Chronic-disease check-in"].recording_consent
    assert kept["Post-discharge follow-up"].preview_s == 8


def test_dispositions_lists_what_the_agents_sent_without_phi(
    live: LiveServer, world: World, database_url: str, tmp_path: Path
) -> None:
    agent = live.as_user("agenta", PASSWORD)
    sent = disposition(world.only_1[0], world.campaign_1, notes="Synthetic note: knee pain")
    stored = agent.post("/api/v1/intake", json={"items": [sent]})
    assert stored.json()["results"][0]["status"] == 201, stored.text
    common = ["--database-url", database_url, "--data-dir", str(tmp_path / "data")]

    table = cli("dispositions", *common)
    as_json = cli("dispositions", *common, "--json")
    none = cli("dispositions", *common, "--kind", "call_record")

    assert table.returncode == 0, table.stderr
    line = next(line for line in table.stdout.splitlines() if sent["id"] in line)
    assert "agenta" in line and "code=CALLBACK" in line
    listed = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(item["id"], item["code"], item["agent"]) for item in listed] == [
        (sent["id"], "CALLBACK", "agenta")
    ]
    assert listed[0]["created_at"] == "2026-03-02T14:05:00Z"
    for output in (table.stdout, as_json.stdout):
        assert "knee" not in output and "callback_at" not in output
    assert none.stdout.strip() == "no call_record items yet"
