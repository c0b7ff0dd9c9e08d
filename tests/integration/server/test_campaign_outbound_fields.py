"""The campaign fields the desk reads for outbound work (voicemail message, progressive preview,
recording consent, the centre's exemption caps), from the admin API and the CLI to the
campaigns feed, on SQLite and PostgreSQL; and a desk that judges an exempt call offline with
the centre's caps, as the server does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from agent_app.store.records import PatientRecord, Phone
from agent_app.workflow.dial_rules import (
    Attempt,
    DialGate,
    Level,
    Verdict,
    context_of,
    shared_rules,
)
from pulse_contract import calling_rules as rules
from pulse_contract.holiday_calendar import HolidayTable, holiday_table, library_holiday
from server import content, outbound, schemas
from server.cli import announce_caps
from server.db import make_engine, session_factory
from server.feeds import campaign_out
from server.models import Campaign, Patient
from testbed.ports import free_port
from testbed.timing import wait_until
from tests.helpers.server_live import LiveServer, live_server
from tests.integration.server.conftest import PASSWORD, World, build_world, make_settings
from tests.integration.server.test_cli import cli
from tests.integration.server.test_outbound import NOON, _at, _dispose, _next

CONSENT_SCRIPT = {
    "name": "Consent first",
    "variants": {
        "en": {
            "steps": [
                {
                    "id": "ask",
                    "text": "This call is recorded. Do you agree?",
                    "kind": "disclosure",
                    "branches": [
                        {"answer": "yes", "next": "end"},
                        {"answer": "no", "next": "end"},
                    ],
                },
                {"id": "end", "text": "Thank you."},
            ]
        }
    },
}


def _campaign(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": "progressive", "caller_id": "+12025550160", **fields}


def _feed(client: httpx.Client) -> dict[str, dict[str, Any]]:
    page = client.get("/api/v1/sync/campaigns")
    assert page.status_code == 200, page.text
    return {item["id"]: item for item in page.json()["items"]}


def test_the_desk_receives_the_outbound_fields_as_saved(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    script = lead.post("/api/v1/admin/scripts", json=CONSENT_SCRIPT)
    assert script.status_code == 201, script.text
    fields = {
        "script_id": script.json()["id"],
        "voicemail_message": "flu-reminder-2026.wav",
        "preview_s": 12,
        "recording_consent": True,
        "healthcare_exempt": True,
    }
    put = lead.put(f"/api/v1/admin/campaigns/{world.campaign_2}", json=_campaign("Two", **fields))
    assert put.status_code == 200, put.text

    item = _feed(live.as_user("agentb", PASSWORD))[world.campaign_2]

    assert {key: item[key] for key in fields} == fields
    # The server's default caps: one exempt call a day, three a week.
    assert item["exemption_caps"] == {"per_day": 1, "per_week": 3}
    plain = _feed(live.as_user("agenta", PASSWORD))[world.campaign_1]
    assert plain["voicemail_message"] is None and plain["recording_consent"] is False
    assert plain["preview_s"] == 5 and plain["exemption_caps"] is None


def test_each_campaign_carries_the_holidays_of_its_region(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    put = lead.put(
        f"/api/v1/admin/campaigns/{world.campaign_2}", json=_campaign("Two", default_region="GB")
    )
    assert put.status_code == 200, put.text
    today = datetime.now(UTC).date()

    for user, campaign, country in (
        ("agentb", world.campaign_2, "GB"),
        ("agenta", world.campaign_1, "US"),
    ):
        table = HolidayTable.from_wire(_feed(live.as_user(user, PASSWORD))[campaign]["holidays"])
        assert (table.country, table.subdivision) == (country, None)
        assert table.first <= today and table.last >= today + timedelta(days=365)
        # What the desk reads is what the server itself judges by.
        assert table == holiday_table(country, today)
        christmas = date(today.year, 12, 25)
        assert table.names[christmas] == library_holiday(christmas, country)


@pytest.mark.parametrize(
    "fields",
    [
        {"preview_s": 0},
        {"preview_s": 121},
        {"voicemail_message": "../outside.wav"},
        {"voicemail_message": "sub/message.wav"},
        {"voicemail_message": "C:\\messages\\drop.wav"},
        {"voicemail_message": ".hidden.wav"},
        {"voicemail_message": "message.mp3"},
        {"voicemail_message": "with space.wav"},
        {"voicemail_message": "CON.wav"},
        {"voicemail_message": "x" * 97 + ".wav"},
    ],
    ids=lambda fields: next(iter(fields)) + "=" + str(next(iter(fields.values())))[:12],
)
def test_out_of_bounds_preview_and_message_paths_are_refused(
    live: LiveServer, world: World, fields: dict[str, Any]
) -> None:
    lead = live.as_user("lead1", PASSWORD)
    r = lead.post("/api/v1/admin/campaigns", json=_campaign("Bad", **fields))
    assert r.status_code == 422, r.text
    assert lead.post("/api/v1/admin/campaigns", json=_campaign("Good")).status_code == 201


def test_recording_consent_needs_a_script_that_asks(live: LiveServer, world: World) -> None:
    lead = live.as_user("lead1", PASSWORD)
    without_script = lead.post(
        "/api/v1/admin/campaigns", json=_campaign("Consent", recording_consent=True)
    )
    # The world's script has a question but no disclosure step.
    notice_only = lead.post(
        "/api/v1/admin/campaigns",
        json=_campaign("Consent", recording_consent=True, script_id=world.script_1),
    )
    asks = lead.post("/api/v1/admin/scripts", json=CONSENT_SCRIPT).json()["id"]
    made = lead.post(
        "/api/v1/admin/campaigns",
        json=_campaign("Consent", recording_consent=True, script_id=asks),
    )

    assert without_script.status_code == 400 and "consent" in without_script.json()["detail"]
    assert notice_only.status_code == 400
    assert made.status_code == 201, made.text


def test_the_cli_creates_a_campaign_with_the_outbound_fields(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULSE_SERVER_EXEMPT_CALLS_PER_DAY", "2")
    common = ("--database-url", database_url, "--data-dir", str(tmp_path))
    script = tmp_path / "script.json"
    script.write_text(json.dumps(CONSENT_SCRIPT))
    made_script = cli("create", "script", str(script), *common)
    assert made_script.returncode == 0, made_script.stderr
    campaign = tmp_path / "campaign.json"
    fields = {
        "voicemail_message": "reminder.wav",
        "preview_s": 9,
        "recording_consent": True,
        "healthcare_exempt": True,
    }
    campaign.write_text(
        json.dumps(
            _campaign("From the CLI", script_id=json.loads(made_script.stdout)["id"], **fields)
        )
    )
    made = cli("create", "campaign", str(campaign), *common)
    campaign.write_text(json.dumps(_campaign("Pathy", voicemail_message="/tmp/x.wav")))
    bad = cli("create", "campaign", str(campaign), *common)

    assert made.returncode == 0, made.stderr
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            row = session.get(Campaign, json.loads(made.stdout)["id"])
            assert row is not None
            document = campaign_out(row)
    finally:
        engine.dispose()
    assert {key: document[key] for key in fields} == fields
    assert document["exemption_caps"] == {"per_day": 2, "per_week": 3}  # this server's
    assert bad.returncode == 2 and "voicemail_message" in bad.stderr


@pytest.fixture
def capped(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server whose centre allows two exempt calls a patient a day (and four a week)."""
    settings = make_settings(
        database_url, tmp_path / "data", exempt_calls_per_day=2, exempt_calls_per_week=4
    )
    with live_server(settings) as server:
        yield server


def test_a_change_of_the_caps_reaches_the_desks_at_start(capped: LiveServer) -> None:
    world = build_world(capped)
    with capped.runtime.sessions() as s, s.begin():
        # Saved without the server's settings, as an older server left it: the rules' defaults.
        content.save_campaign(
            s,
            schemas.CampaignIn(
                name="One", kind="preview", caller_id="+12025550100", healthcare_exempt=True
            ),
            actor_id=None,
            campaign_id=world.campaign_1,
        )
    agent = capped.as_user("agenta", PASSWORD)
    first = agent.get("/api/v1/sync/campaigns").json()
    assert first["items"][0]["exemption_caps"] == {"per_day": 1, "per_week": 3}

    # What pulse-server serve does before its workers start; a second start changes nothing.
    assert (announce_caps(capped.runtime), announce_caps(capped.runtime)) == (1, 0)

    delta = agent.get("/api/v1/sync/campaigns", params={"cursor": first["cursor"]}).json()
    assert [(i["id"], i["exemption_caps"]) for i in delta["items"]] == [
        (world.campaign_1, {"per_day": 2, "per_week": 4})
    ]
    assert delta["items"][0]["version"] == first["items"][0]["version"] + 1
    with capped.runtime.sessions() as s:
        plain = s.get(Campaign, world.campaign_2)
        assert plain is not None and plain.exempt_calls_per_day is None  # not exempt: no caps


def _record(item: dict[str, Any]) -> PatientRecord:
    """The desk's cached record of a patients-feed item."""
    return PatientRecord(
        id=item["id"],
        mrn=item["mrn"],
        given_name=item["given_name"],
        family_name=item["family_name"],
        birth_date=item["birth_date"],
        phones=tuple(Phone(p["number"], p.get("kind", "mobile")) for p in item["phones"]),
        language=item["language"],
        time_zone=item["time_zone"],
        consent_calls=item["consent_calls"],
        do_not_call=item["do_not_call"],
        care_program=item["care_program"],
        campaign_ids=tuple(item["campaign_ids"]),
        version=item["version"],
    )


class _Cache:
    """The desk's cache, filled from the server's feeds once (then the desk is offline)."""

    def __init__(self, client: httpx.Client) -> None:
        self.campaigns = _feed(client)
        patients = client.get("/api/v1/sync/patients").json()["items"]
        self.patients = {item["id"]: _record(item) for item in patients}

    def patient(self, patient_id: str | None) -> PatientRecord | None:
        return self.patients.get(patient_id or "")

    def document(self, feed: str, item_id: str | None) -> dict[str, Any] | None:
        return self.campaigns.get(item_id or "") if feed == "campaigns" else None


def _server_verdict(live: LiveServer, campaign_id: str, patient_id: str) -> rules.Verdict:
    """The verdict the server's dialer gives the patient now (its own rules, caps and history)."""
    with live.runtime.sessions() as s:
        campaign, row = s.get(Campaign, campaign_id), s.get(Patient, patient_id)
        assert campaign is not None and row is not None
        judge = outbound.campaign_rules(s, campaign, outbound.caps_of(live.runtime.settings))
        history = outbound.attempt_history(s, [patient_id])[patient_id]
        return rules.evaluate(judge.context(row, history), NOON)


def test_a_desk_refuses_the_third_exempt_call_of_the_day_offline_as_the_server_does(
    capped: LiveServer,
) -> None:
    world = build_world(capped)
    lead = capped.as_user("lead1", PASSWORD)
    for campaign_id, name, kind in (
        (world.campaign_1, "One", "preview"),
        (world.campaign_2, "Two", "progressive"),
    ):
        body = _campaign(name, kind=kind, code_tree_id=world.tree_1, healthcare_exempt=True)
        assert lead.put(f"/api/v1/admin/campaigns/{campaign_id}", json=body).status_code == 200
    agent_b = capped.as_user("agentb", PASSWORD)
    agent_a = capped.as_user("agenta", PASSWORD)
    _at(capped, NOON)
    shared = world.both[0]  # on both campaigns' lists
    cache = _Cache(agent_a)
    assert cache.campaigns[world.campaign_1]["exemption_caps"] == {"per_day": 2, "per_week": 4}
    number = cache.patients[shared].phones[0].number
    gate = DialGate(
        lookup=lambda n: [
            pid for pid, r in cache.patients.items() if n in {p.number for p in r.phones}
        ],
        reads=cache,
        rules=shared_rules,
        now=lambda: NOON,
    )

    # Agent B reaches the patient in campaign two, an exempt call, twice this morning; agent
    # A's desk knows both calls (the server's history comes with each lease).
    calls = [NOON - timedelta(hours=3), NOON - timedelta(hours=1)]
    seen: list[tuple[rules.Verdict, rules.Verdict, Verdict]] = []
    for n, at in enumerate(calls):
        _dispose(agent_b, shared, world.campaign_2, "REACHED", at)
        gate.attempted(Attempt(shared, at, "REACHED", world.campaign_2, exempt=True))
        known = [Attempt(shared, a, "REACHED", world.campaign_2, True) for a in calls[: n + 1]]
        desk = rules.evaluate(
            context_of(cache.patients[shared], cache.campaigns[world.campaign_1], known), NOON
        )
        at_the_door = gate.check(number, patient_id=shared, campaign_id=world.campaign_1)
        seen.append((desk, _server_verdict(capped, world.campaign_1, shared), at_the_door))

    (one, server_one, door_one), (two, server_two, door_two) = seen
    # One exempt call today: allowed on both sides (the rules' default of one a day would not).
    assert one == server_one and one.allowed and door_one.level is not Level.RED
    # Two: the third is refused, for the same reason, on the desk offline and on the server.
    assert two == server_two
    assert (two.allowed, two.reason) == (False, "exempt_daily_cap")
    assert door_two.level is Level.RED and door_two.reason == two.message + "."
    # Nor does the server's dialer hand the patient out.
    leased = {lease["patient_id"] for lease in _next(agent_a, world.campaign_1, batch=10)["leases"]}
    assert leased and shared not in leased


def test_serve_puts_its_caps_on_a_world_seeded_with_others(
    database_url: str, tmp_path: Path
) -> None:
    common = ("--database-url", database_url, "--data-dir", str(tmp_path))
    seeded = cli("seed-demo", *common, "--patients", "5")
    assert seeded.returncode == 0, seeded.stderr
    before = _versions(database_url)
    port = free_port()
    env = {**os.environ, "PULSE_SERVER_EXEMPT_CALLS_PER_WEEK": "5"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port), *common],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:

        def healthy() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                url = f"http://127.0.0.1:{port}/api/v1/health"
                return httpx.get(url, timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, 90, 0.2, what="the server to answer")
        engine = make_engine(database_url)
        try:
            with session_factory(engine)() as session:
                documents = [campaign_out(c) for c in session.scalars(select(Campaign))]
        finally:
            engine.dispose()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert documents
    assert all(d["exemption_caps"] == {"per_day": 1, "per_week": 5} for d in documents)
    # A new version of each: every desk syncs the caps.
    assert {str(d["id"]): d["version"] for d in documents} == {
        id_: version + 1 for id_, version in before.items()
    }


def _versions(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            return dict(session.execute(select(Campaign.id, Campaign.version)).tuples().all())
    finally:
        engine.dispose()
