"""docs/roles.md is the rule: every row of its table is checked for every role against the live
server (yes: a 2xx answer, no: 403), so the page and the behaviour cannot drift."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import content, schemas
from tests.helpers.server_live import LiveServer, live_server
from tests.integration.server.conftest import PASSWORD, SCRIPT, World, build_world, make_settings
from tests.integration.server.test_intake import disposition

ROLES_DOC = Path(__file__).parents[3] / "docs" / "roles.md"
COLUMNS = ("agent", "supervisor, own team", "supervisor, other team", "admin")
USERS = {"agent": "agenta", "supervisor, own team": "lead1", "supervisor, other team": "lead2"}
USERS["admin"] = "admin1"


def roles_table() -> dict[str, dict[str, bool]]:
    """``{action: {column: allowed}}`` from the doc's table."""
    lines = ROLES_DOC.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| action |"))
    names = [cell.strip() for cell in lines[header].strip("|").split("|")]
    assert tuple(names[2:]) == COLUMNS, names
    table: dict[str, dict[str, bool]] = {}
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        action = re.fullmatch(r"`([a-z-]+)`", cells[0])
        assert action is not None, line
        assert set(cells[2:]) <= {"yes", "no"}, line
        table[action.group(1)] = {c: v == "yes" for c, v in zip(COLUMNS, cells[2:], strict=True)}
    return table


@dataclass
class Ctx:
    live: LiveServer
    world: World
    campaign_3: str
    """Team Day's third campaign, which the scenarios change."""
    ids: dict[str, str]
    clients: dict[str, httpx.Client]
    count: Iterator[int]

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self.count)}"


@pytest.fixture(scope="module")
def ctx(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ctx]:
    root = tmp_path_factory.mktemp("roles")
    shutil.copyfile(sqlite_template, root / "server.db")
    with live_server(make_settings(f"sqlite:///{root / 'server.db'}", root / "data")) as live:
        world = build_world(live)
        with live.runtime.sessions() as s, s.begin():
            lead2 = content.create_user(
                s,
                schemas.UserIn(
                    username="lead2", display_name="Lead2", role="supervisor", password=PASSWORD
                ),
                actor_id=None,
            ).id
            content.create_team(s, schemas.TeamIn(name="Night", member_ids=[lead2]), actor_id=None)
            three = content.save_campaign(
                s,
                schemas.CampaignIn(
                    name="Three", kind="inbound", caller_id="+12025550102", team_id=world.team
                ),
                actor_id=None,
            ).id
        ids = {
            "agent": world.agent_a,
            "supervisor, own team": world.supervisor,
            "supervisor, other team": lead2,
            "admin": world.admin,
        }
        clients = {column: live.as_user(USERS[column], PASSWORD) for column in COLUMNS}
        yield Ctx(live, world, three, ids, clients, itertools.count())


Scenario = Callable[[httpx.Client, Ctx, str], httpx.Response]


def _assign_back(ctx: Ctx) -> str:
    with ctx.live.runtime.sessions() as s, s.begin():
        body = schemas.AssignmentIn(campaign_id=ctx.campaign_3, user_id=ctx.world.agent_b)
        return content.assign(s, body, actor_id=None).id


def _csv(ctx: Ctx) -> bytes:
    mrn = ctx.unique("ROLE")
    return (
        f"mrn,given_name,family_name,birth_date\n{mrn},Rolegiven,Rolefamily,1970-01-01\n".encode()
    )


SCENARIOS: dict[str, Scenario] = {
    "create-user": lambda c, x, _: c.post(
        "/api/v1/admin/users",
        json={"username": x.unique("user"), "display_name": "New", "password": PASSWORD},
    ),
    "create-team": lambda c, x, _: c.post(
        "/api/v1/admin/teams", json={"name": x.unique("Team"), "member_ids": []}
    ),
    "assign-team": lambda c, x, _: c.post(
        "/api/v1/admin/assignments", json={"campaign_id": x.campaign_3, "team_id": x.world.team}
    ),
    "assign-agent": lambda c, x, _: c.post(
        "/api/v1/admin/assignments",
        json={"campaign_id": x.campaign_3, "user_id": x.world.agent_b},
    ),
    "assign-self": lambda c, x, column: c.post(
        "/api/v1/admin/assignments", json={"campaign_id": x.campaign_3, "user_id": x.ids[column]}
    ),
    "unassign-agent": lambda c, x, _: c.delete(f"/api/v1/admin/assignments/{_assign_back(x)}"),
    "create-campaign": lambda c, x, _: c.post(
        "/api/v1/admin/campaigns",
        json={
            "name": x.unique("Campaign"),
            "kind": "inbound",
            "caller_id": "+12025550103",
            "team_id": x.world.team,
        },
    ),
    "edit-campaign": lambda c, x, _: c.put(
        f"/api/v1/admin/campaigns/{x.campaign_3}",
        json={"name": "Three", "kind": "inbound", "caller_id": "+12025550104"},
    ),
    "edit-directory": lambda c, x, _: c.put(
        f"/api/v1/admin/campaigns/{x.campaign_3}/directory", json={"entries": []}
    ),
    "add-to-list": lambda c, x, _: c.post(
        f"/api/v1/admin/campaigns/{x.campaign_3}/lists",
        json={"patient_ids": [x.world.only_1[0]]},
    ),
    "import-to-campaign": lambda c, x, _: c.post(
        "/api/v1/admin/patients/import/csv",
        params={"campaign_id": x.campaign_3},
        content=_csv(x),
        headers={"content-type": "text/csv"},
    ),
    "read-team-dispositions": lambda c, x, _: c.get(
        "/api/v1/admin/dispositions", params={"agent_id": x.world.agent_a}
    ),
    "create-script": lambda c, x, _: c.post(
        "/api/v1/admin/scripts",
        json={**SCRIPT.model_dump(mode="json"), "name": x.unique("Script")},
    ),
    "save-patient": lambda c, x, _: c.post(
        "/api/v1/admin/patients",
        json={
            "mrn": x.unique("SAVE"),
            "given_name": "Savegiven",
            "family_name": "Savefamily",
            "birth_date": "1970-01-01",
        },
    ),
    "read-not-ready-reasons": lambda c, x, _: c.get("/api/v1/admin/not_ready_reasons"),
    "read-devices": lambda c, x, _: c.get("/api/v1/admin/devices"),
    "read-admin-audit": lambda c, x, _: c.get("/api/v1/admin/audit"),
    "read-own-dispositions": lambda c, x, _: c.get("/api/v1/dispositions"),
}

TABLE = roles_table()


def test_every_row_of_the_table_has_a_check() -> None:
    assert set(TABLE) == set(SCENARIOS)


@pytest.mark.parametrize(
    ("action", "column"),
    [(action, column) for action in TABLE for column in COLUMNS],
    ids=[f"{action}-{column}" for action in TABLE for column in COLUMNS],
)
def test_role_may_or_may_not(ctx: Ctx, action: str, column: str) -> None:
    answer: Any = SCENARIOS[action](ctx.clients[column], ctx, column)
    if TABLE[action][column]:
        assert 200 <= answer.status_code < 300, (action, column, answer.text)
    else:
        assert answer.status_code == 403, (action, column, answer.text)


def test_a_supervisor_lists_only_their_teams_dispositions(ctx: Ctx) -> None:
    item = disposition(ctx.world.only_1[0], ctx.world.campaign_1, notes="team day's note")
    sent = ctx.clients["agent"].post("/api/v1/intake", json={"items": [item]})
    assert sent.json()["results"][0]["status"] == 201
    own = ctx.clients["supervisor, own team"].get("/api/v1/admin/dispositions").json()
    other = ctx.clients["supervisor, other team"].get("/api/v1/admin/dispositions").json()
    assert item["id"] in {d["id"] for d in own}
    assert other == []
