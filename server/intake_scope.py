"""What an intake item may name (its agent's own patients, campaigns and codes) and claim (times).

An item is authorised when every patient and campaign it names exists and the agent holds
the campaign now or held it when the call happened (``campaign_grant_periods``); a patient
counts when it is, or was, on a list of such a campaign (with no campaign named: of any of
them). A disposition's code must be in its campaign's code tree, in any published version,
or be one of the desk's built-in ``SYS_*`` codes, the only ones a call without a campaign can
carry. Client times are claims: they are kept beside the server's receipt time, and refused
when they cannot be true (an hour ahead of the server's clock, before 2000, a call that ends
before it starts). Each refusal is a reason for that item alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from server.models import (
    AgentGrant,
    Campaign,
    CampaignGrantPeriod,
    CodeTree,
    CodeTreeVersion,
    IntakeItem,
    ListEntry,
)

SYSTEM_CODES = frozenset(
    {"SYS_BUSY", "SYS_NO_ANSWER", "SYS_REJECTED", "SYS_DROPPED", "SYS_HANDLED"}
)
"""The desk's built-in codes (``agent_app/workflow/disposition.py``): a failed call's outcome,
and the code for a call whose campaign has no code tree on the workstation."""

FUTURE_LEEWAY = timedelta(hours=1)
"""How far ahead of the server's clock a workstation's claimed time may run (an unsynchronised
workstation clock parks its items, so the margin is wide)."""
CLOCK_SKEW = timedelta(minutes=10)
"""The margin around a grant's start and end, and between two times of one item."""
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""Anything earlier is a workstation clock reset, not a call."""
CALLBACK_HORIZON = timedelta(days=400)
"""The desk schedules callbacks within a year; more is not a real request."""


class Refused(ValueError):
    """The item names something its agent may not, or claims an impossible time."""


@dataclass
class Item:
    """One validated item, as :func:`check` needs it."""

    kind: str
    created: datetime
    payload: dict[str, Any]


@dataclass
class _Scope:
    granted_now: set[str] = field(default_factory=set)
    periods: dict[str, list[tuple[datetime | None, datetime | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    patient_campaigns: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    campaign_trees: dict[str, str | None] = field(default_factory=dict)
    tree_codes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def campaigns_at(self, moment: datetime) -> set[str]:
        held = set(self.granted_now)
        for campaign_id, spans in self.periods.items():
            for start, end in spans:
                if (start is None or start - CLOCK_SKEW <= moment) and (
                    end is None or moment <= end + CLOCK_SKEW
                ):
                    held.add(campaign_id)
                    break
        return held


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _named(item: Item) -> tuple[str | None, str | None]:
    """(patient id, campaign id) the item names."""
    if item.kind in ("disposition", "callback", "audit"):
        campaign = item.payload.get("campaign_id") if item.kind == "disposition" else None
        return item.payload.get("patient_id"), campaign
    return None, None


def _call_time(item: Item) -> datetime:
    """When the call (or the action) the item is about happened, as the desk claims."""
    if item.kind == "disposition":
        started = _time(item.payload.get("agent_started_at"))
        if started is not None:
            return started
    return item.created


def _load(conn: Connection, user_id: str, items: Iterable[Item]) -> _Scope:
    scope = _Scope()
    patients: set[str] = set()
    campaigns: set[str] = set()
    for item in items:
        patient, campaign = _named(item)
        if patient:
            patients.add(patient)
        if campaign:
            campaigns.add(campaign)
    if not patients and not campaigns:
        return scope
    scope.granted_now = set(
        conn.execute(
            select(AgentGrant.object_id).where(
                AgentGrant.user_id == user_id,
                AgentGrant.feed == "campaigns",
                AgentGrant.active,
            )
        ).scalars()
    )
    for campaign_id, start, end in conn.execute(
        select(
            CampaignGrantPeriod.campaign_id,
            CampaignGrantPeriod.granted_at,
            CampaignGrantPeriod.withdrawn_at,
        ).where(CampaignGrantPeriod.user_id == user_id)
    ):
        scope.periods[campaign_id].append((start, end))
    if patients:
        for patient_id, campaign_id in conn.execute(
            select(ListEntry.patient_id, ListEntry.campaign_id).where(
                ListEntry.patient_id.in_(sorted(patients))
            )
        ):
            scope.patient_campaigns[patient_id].add(campaign_id)
    if campaigns:
        for campaign_id, tree_id in conn.execute(
            select(Campaign.id, Campaign.code_tree_id).where(Campaign.id.in_(sorted(campaigns)))
        ):
            scope.campaign_trees[campaign_id] = tree_id
        trees = sorted({t for t in scope.campaign_trees.values() if t})
        if trees:
            documents = list(
                conn.execute(select(CodeTree.id, CodeTree.codes).where(CodeTree.id.in_(trees)))
            ) + list(
                conn.execute(
                    select(CodeTreeVersion.code_tree_id, CodeTreeVersion.codes).where(
                        CodeTreeVersion.code_tree_id.in_(trees)
                    )
                )
            )
            for tree_id, document in documents:
                scope.tree_codes[tree_id].update(_codes(document))
    return scope


def _codes(document: Any) -> set[str]:
    found: set[str] = set()
    stack = list((document or {}).get("codes") or []) if isinstance(document, dict) else []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("code"), str):
                found.add(node["code"])
            stack.extend(node.get("children") or [])
    return found


def _check_times(item: Item, received: datetime) -> None:
    latest = received + FUTURE_LEEWAY
    if not EARLIEST <= item.created <= latest:
        raise Refused("created_at is not a believable time (ahead of the server or before 2000)")
    payload = item.payload
    if item.kind == "disposition":
        _check_disposition_times(item, latest)
    elif item.kind == "call_record":
        _check_call(payload, latest, "payload.")
        start = _time(payload.get("started_at"))
        if start is not None and item.created + CLOCK_SKEW < start:
            raise Refused("created_at is before the call started")
    elif item.kind == "callback":
        at = _time(payload.get("callback_at"))
        if at is None or not EARLIEST <= at <= received + CALLBACK_HORIZON:
            raise Refused("payload.callback_at is not a believable time")
    elif item.kind == "agent_state":
        at = _time(payload.get("at"))
        if at is None or not EARLIEST <= at <= latest:
            raise Refused("payload.at is not a believable time")


def _check_disposition_times(item: Item, latest: datetime) -> None:
    payload = item.payload
    started = _time(payload.get("agent_started_at"))
    ended = _time(payload.get("agent_ended_at"))
    if started is None or ended is None:
        raise Refused("payload: agent_started_at and agent_ended_at are required")
    if not EARLIEST <= started <= latest or ended > latest:
        raise Refused("payload.agent_started_at is not a believable time")
    if ended < started:
        raise Refused("payload.agent_ended_at is before agent_started_at")
    if item.created + CLOCK_SKEW < started:
        raise Refused("created_at is before the call started")
    call = payload.get("call")
    if isinstance(call, dict):
        _check_call(call, latest, "payload.call.")


def _check_call(call: dict[str, Any], latest: datetime, where: str) -> None:
    started = _time(call.get("started_at"))
    ended = _time(call.get("ended_at"))
    answered = _time(call.get("answered_at"))
    if started is None or ended is None:
        raise Refused(f"{where}started_at and ended_at are required")
    if not EARLIEST <= started <= latest or ended > latest:
        raise Refused(f"{where}started_at is not a believable time")
    if ended < started:
        raise Refused(f"{where}ended_at is before started_at")
    if answered is not None and not started <= answered <= ended:
        raise Refused(f"{where}answered_at is outside the call")


def _check_scope(item: Item, scope: _Scope) -> None:
    patient, campaign = _named(item)
    if not patient and not campaign and item.kind != "disposition":
        return
    held = scope.campaigns_at(_call_time(item))
    if campaign:
        if campaign not in scope.campaign_trees:
            raise Refused("payload.campaign_id names no campaign")
        if campaign not in held:
            raise Refused("payload.campaign_id is not a campaign of this agent")
    if patient:
        on_lists = scope.patient_campaigns.get(patient, set())
        if not on_lists:
            raise Refused("payload.patient_id names no patient on any campaign")
        allowed = {campaign} if campaign else held
        if not on_lists & allowed:
            raise Refused("payload.patient_id is not a patient of this agent's campaign")
    if item.kind == "disposition":
        code = item.payload.get("code")
        if code in SYSTEM_CODES:
            return
        tree = scope.campaign_trees.get(campaign) if campaign else None
        if tree is None or code not in scope.tree_codes.get(tree, set()):
            raise Refused("payload.code is not a code of the campaign's code tree")


def _check_replaced(conn: Connection, user_id: str, items: dict[str, Item]) -> dict[str, str]:
    """A corrected copy names the refused disposition it replaces; that one was never stored,
    so the name must not be another agent's stored item."""
    named = {
        item_id: item.payload["replaces"]
        for item_id, item in items.items()
        if item.kind == "disposition" and isinstance(item.payload.get("replaces"), str)
    }
    if not named:
        return {}
    foreign = set(
        conn.execute(
            select(IntakeItem.id).where(
                IntakeItem.id.in_(sorted(set(named.values()))), IntakeItem.user_id != user_id
            )
        ).scalars()
    )
    return {
        item_id: "payload.replaces names another agent's item"
        for item_id, replaced in named.items()
        if replaced in foreign
    }


def check(
    conn: Connection, user_id: str, items: dict[str, Item], received: datetime
) -> dict[str, str]:
    """The reason each refused item is refused, by item id (items not named passed)."""
    refused: dict[str, str] = {}
    believable: dict[str, Item] = {}
    for item_id, item in items.items():
        try:
            _check_times(item, received)
        except (Refused, ValueError) as exc:
            refused[item_id] = str(exc)
        else:
            believable[item_id] = item
    for item_id, reason in _check_replaced(conn, user_id, believable).items():
        refused[item_id] = reason
        del believable[item_id]
    scope = _load(conn, user_id, believable.values())
    for item_id, item in believable.items():
        try:
            _check_scope(item, scope)
        except Refused as exc:
            refused[item_id] = str(exc)
    return refused
