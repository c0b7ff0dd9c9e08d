"""Server tests run on a real PostgreSQL cluster the suite starts (production's database), and
the modules where the two databases behave differently run on a SQLite file (the demo's) too.

Each test gets a fresh, migrated database (a copied SQLite file, or ``CREATE DATABASE ...
TEMPLATE`` on PostgreSQL) and a real server on loopback.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server import content, schemas
from server.db import upgrade
from server.models import User
from server.settings import ServerSettings
from testbed.server_postgres import create_database, postgres_cluster
from tests.helpers.server_live import LiveServer, live_server

_counter = itertools.count()
PASSWORD = "correct horse battery"
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder talks to a real server (and maybe a real PostgreSQL)."""
    for item in items:
        if _HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with postgres_cluster() as url:
        create_database(url, "pulse_template")
        upgrade(url.rsplit("/", 1)[0] + "/pulse_template")
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


BOTH_DATABASES = frozenset(
    {
        # Transactions, locks, upserts and SQL the two dialects run differently: the
        # demo's SQLite must keep them right as well.
        "test_accounts_and_sign_in",  # atomic lockout counters
        "test_audit_trail",  # the hash chain's ordering under concurrent writers
        "test_campaign_outbound_fields",  # caps rewritten once before the workers start
        "test_demo_world",  # the demo runs on SQLite
        "test_intake",
        "test_intake_disposition",
        "test_migrations",
        "test_outbound",  # the claim: SKIP LOCKED there, a process lock here
        "test_purge",
    }
)
"""Modules run on both databases; the others (validation, roles, feeds, transport, the CLI's
arguments) do not depend on the dialect and run on PostgreSQL only, to keep the suite short."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    pinned = any(
        "database_url" in str(mark.args[0])
        for mark in metafunc.definition.iter_markers("parametrize")
    )
    if "database_url" in metafunc.fixturenames and not pinned:
        module = metafunc.module.__name__.rsplit(".", 1)[-1]
        kinds = ["sqlite", "postgresql"] if module in BOTH_DATABASES else ["postgresql"]
        metafunc.parametrize("database_url", kinds, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "server.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    admin_url: str = request.getfixturevalue("pg_admin_url")
    return create_database(admin_url, f"pulse_test_{next(_counter)}", template="pulse_template")


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> ServerSettings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": str(data_dir),
        "secret_key": "test-signing-key",
        "lockout_failures": 3,
        "login_rate_per_minute": 1000,
        "max_body_bytes": 256 * 1024,
        # Cheap hashes keep the suite fast; production keeps the argon2id baseline.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        # The contract tests read the served OpenAPI document.
        "api_docs": True,
    }
    values.update(overrides)
    return ServerSettings.model_validate(values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> ServerSettings:
    return make_settings(database_url, tmp_path / "data")


@pytest.fixture
def live(settings: ServerSettings) -> Iterator[LiveServer]:
    with live_server(settings) as server:
        yield server


@dataclass
class World:
    """Two campaigns; agent A works campaign 1, agent B campaign 2; lists overlap on one patient.
    Both campaigns are team Day's, whose supervisor is lead1 and whose agents are A and B."""

    admin: str
    supervisor: str
    agent_a: str
    agent_b: str
    campaign_1: str
    campaign_2: str
    script_1: str
    tree_1: str
    only_1: list[str]
    only_2: list[str]
    both: list[str]
    team: str = ""


SCRIPT = schemas.ScriptIn.model_validate(
    {
        "name": "Reminder",
        "variants": {
            "en": {
                "steps": [
                    {"id": "s1", "text": "Hello {{patient.given_name}}", "next": "s2"},
                    {
                        "id": "s2",
                        "text": "Can you attend?",
                        "branches": [{"answer": "yes", "next": "s3"}],
                    },
                    {"id": "s3", "text": "Thank you", "next": None},
                ]
            },
            "es": {"steps": [{"id": "s1", "text": "Hola {{patient.given_name}}", "next": None}]},
        },
    }
)
TREE = schemas.CodeTreeIn.model_validate(
    {
        "name": "Outcomes",
        "codes": [
            {
                "code": "REACHED",
                "label": "Reached",
                "children": [
                    {
                        "code": "CALLBACK",
                        "label": "Callback",
                        "required_fields": [
                            {"name": "callback_at", "type": "datetime", "label": "When"}
                        ],
                    },
                ],
            },
            {
                "code": "NOT_REACHED",
                "label": "Not reached",
                "children": [{"code": "NO_ANSWER", "label": "No answer"}],
            },
            {"code": "DNC_REQUEST", "label": "Asked not to be called again"},
        ],
    }
)


def patient(n: int) -> schemas.PatientIn:
    return schemas.PatientIn.model_validate(
        {
            "mrn": f"TST{n:05d}",
            "given_name": f"Testgiven{n}",
            "family_name": "Zyxwvut",
            "birth_date": "1970-01-01",
            "phones": [{"number": f"+1202555{100 + n:04d}"}],
            "language": "en",
            "time_zone": "America/Chicago",
        }
    )


def build_world(live: LiveServer) -> World:
    with live.runtime.sessions() as s, s.begin():
        users = {}
        for name, role in [
            ("admin1", "admin"),
            ("lead1", "supervisor"),
            ("agenta", "agent"),
            ("agentb", "agent"),
        ]:
            users[name] = content.create_user(
                s,
                schemas.UserIn(
                    username=name, display_name=name.title(), role=role, password=PASSWORD
                ),
                actor_id=None,
            ).id
        # One team runs both campaigns: the supervisor's scope; the agents work one each.
        day = content.create_team(
            s,
            schemas.TeamIn(
                name="Day", member_ids=[users["lead1"], users["agenta"], users["agentb"]]
            ),
            actor_id=None,
        )
        script = content.save_script(s, SCRIPT, actor_id=None)
        tree = content.save_code_tree(s, TREE, actor_id=None)
        c1 = content.save_campaign(
            s,
            schemas.CampaignIn(
                name="One",
                kind="preview",
                caller_id="+12025550100",
                script_id=script.id,
                code_tree_id=tree.id,
                team_id=day.id,
            ),
            actor_id=None,
        )
        c2 = content.save_campaign(
            s,
            schemas.CampaignIn(
                name="Two", kind="progressive", caller_id="+12025550101", team_id=day.id
            ),
            actor_id=None,
        )
        ids = [content.upsert_patient(s, patient(n))[0].id for n in range(9)]
        only_1, only_2, both = ids[0:4], ids[4:8], ids[8:9]
        content.add_to_list(s, c1.id, "default", only_1 + both, actor_id=None)
        content.add_to_list(s, c2.id, "default", only_2 + both, actor_id=None)
        content.assign(
            s, schemas.AssignmentIn(campaign_id=c1.id, user_id=users["agenta"]), actor_id=None
        )
        content.assign(
            s, schemas.AssignmentIn(campaign_id=c2.id, user_id=users["agentb"]), actor_id=None
        )
        assert s.get(User, users["agenta"]) is not None
    return World(
        users["admin1"],
        users["lead1"],
        users["agenta"],
        users["agentb"],
        c1.id,
        c2.id,
        script.id,
        tree.id,
        only_1,
        only_2,
        both,
        day.id,
    )


@pytest.fixture
def world(live: LiveServer) -> World:
    return build_world(live)
