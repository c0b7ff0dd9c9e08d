"""Hand-driven stand-ins for outbound: the cache, the journal's state, the server's lease API,
and a desk with the calling rules at its door."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agent_app.store.records import PatientRecord, Phone
from agent_app.telephony import protocol as p
from agent_app.workflow.dial_rules import DialGate, shared_rules
from agent_app.workflow.events import Problem
from agent_app.workflow.outbound import Callback, CampaignSession, Lease, LeaseUnavailable
from tests.unit.workflow.fakes import Desk, make_desk

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York, a Monday
CAMPAIGN = {
    "id": "camp-out",
    "name": "Reminders",
    "kind": "preview",
    "calling_window": {"start": "09:00", "end": "20:00"},
    "max_attempts": 3,
    "code_tree_id": "tree-out",
}
TREE = {
    "id": "tree-out",
    "name": "Outcomes",
    "version": 1,
    "codes": [
        {"code": "REACHED", "label": "Reached", "children": [], "required_fields": []},
        {
            "code": "CALL_LATER",
            "label": "Call again later",
            "children": [],
            "required_fields": [],
            "retry_after_min": 120,
        },
        {
            "code": "STOP_CALLING",
            "label": "Asked to stop",
            "children": [],
            "required_fields": [],
            "opt_out": True,
        },
        {
            "code": "DNC_REQUEST",
            "label": "Asked not to be called",
            "children": [],
            "required_fields": [],
        },
    ],
}
NUMBERS = {"pat-1": "+12025550101", "pat-2": "+12025550102", "pat-3": "+12025550103"}


def record(patient_id: str, *, dnc: bool = False, zone: str = "America/New_York") -> PatientRecord:
    """A synthetic record (never a real person)."""
    return PatientRecord(
        id=patient_id,
        mrn=f"MRN-{patient_id}",
        given_name="Test",
        family_name=f"Patient {patient_id}",
        birth_date="1970-01-01",
        phones=(Phone(NUMBERS[patient_id], "mobile"),),
        language="en",
        time_zone=zone,
        consent_calls=True,
        do_not_call=dnc,
        care_program=None,
        campaign_ids=("camp-out",),
        version=1,
    )


@dataclass
class Cache:
    patients: dict[str, PatientRecord] = field(default_factory=dict)
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)

    def document(self, feed: str, item_id: str) -> dict[str, Any] | None:
        if feed == "code_trees":
            return TREE if item_id == TREE["id"] else None
        return self.campaigns.get(item_id) if feed == "campaigns" else None

    def get(self, patient_id: str) -> PatientRecord | None:
        return self.patients.get(patient_id)

    def patient(self, patient_id: str | None) -> PatientRecord | None:
        return None if patient_id is None else self.patients.get(patient_id)


@dataclass
class State:
    values: dict[str, str] = field(default_factory=dict)

    def get_state(self, key: str) -> str | None:
        return self.values.get(key)

    def set_state(self, key: str, value: str) -> None:
        self.values[key] = value


@dataclass
class Source:
    """The server's lease API, by hand: the list's patients in order, each leased once."""

    queue: list[Lease] = field(default_factory=list)
    released: list[tuple[str, str]] = field(default_factory=list)
    offline: bool = False
    due: list[Callback] = field(default_factory=list)

    def next_lease(self, campaign_id: str) -> Lease | None:
        if self.offline:
            raise LeaseUnavailable("offline")
        return self.queue.pop(0) if self.queue else None

    def release(self, lease: Lease, reason: str) -> None:
        if self.offline:
            raise LeaseUnavailable("offline")
        self.released.append((lease.patient_id, reason))

    def batch(self, campaign_id: str, size: int) -> Sequence[Lease]:
        if self.offline:
            raise LeaseUnavailable("offline")
        taken, self.queue = self.queue[:size], self.queue[size:]
        return taken

    def callbacks(self) -> Sequence[Callback]:
        return list(self.due)


def lease(patient_id: str, n: int = 1, **kw: Any) -> Lease:
    return Lease(
        f"lease-{patient_id}-{n}", patient_id, "camp-out", NOW + timedelta(minutes=10), **kw
    )


@dataclass
class Rig:
    desk: Desk
    cache: Cache
    gate: DialGate
    source: Source
    state: State
    clock: list[datetime]

    def campaign(self, kind: str = "preview", **kw: Any) -> CampaignSession:
        doc = {**CAMPAIGN, "kind": kind}
        self.cache.campaigns[doc["id"]] = doc
        return CampaignSession(
            self.desk.session,
            self.source,
            doc,
            clock=self.desk.clock,
            now=lambda: self.clock[0],
            state=self.state,
            **kw,
        )

    def problems(self) -> list[str]:
        return [e.message for e in self.desk.events if isinstance(e, Problem)]


def rig(*, dnc: set[str] = frozenset(), ready: bool = True) -> Rig:  # type: ignore[assignment]
    cache = Cache(
        patients={pid: record(pid, dnc=pid in dnc) for pid in NUMBERS},
        campaigns={"camp-out": dict(CAMPAIGN)},
    )
    desk = make_desk(cache=lambda: cache, ready=ready)
    by_number = {n: [pid] for pid, n in NUMBERS.items()}
    desk.lookup.numbers.update(by_number)
    clock = [NOW]
    state = State()
    gate = DialGate(
        lookup=desk.lookup, reads=cache, rules=shared_rules, now=lambda: clock[0], state=state
    )
    desk.session.gate = gate
    return Rig(desk, cache, gate, Source(), state, clock)


def dials(r: Rig) -> list[str]:
    return [c.target for c in r.desk.engine.sent(p.Dial)]
