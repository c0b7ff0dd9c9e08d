"""Hand-driven stand-ins for what the desk is given: engine, outbox, audit sink, clocks, lookup."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent_app.store.errors import CacheLockedError, DiskFullError
from agent_app.store.records import PatientRecord, Phone
from agent_app.telephony import protocol as p
from agent_app.telephony.client import EngineUnavailable
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.agent_state import NotReadyReason
from agent_app.workflow.desk_settings import DeskSettings
from agent_app.workflow.disposition import DeskCache, WrapUpJournal
from agent_app.workflow.events import WorkflowEvent

ACCOUNT = "agent-sip"
LOCKED_NUMBER = "+15555550100"  # the lookup raises for it, as a locked cache does
BREAK = NotReadyReason("break", "Break", limit_s=900)
LUNCH = NotReadyReason("lunch", "Lunch")
TRAINING = NotReadyReason("training", "Training")


class ManualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ServerTime:
    """Server-corrected ISO times, one second apart per reading."""

    def __init__(self) -> None:
        self.readings = 0

    def __call__(self) -> str:
        self.readings += 1
        minutes, seconds = divmod(self.readings, 60)
        return f"2026-03-02T09:{minutes % 60:02d}:{seconds:02d}.000Z"


@dataclass
class FakeOutbox:
    items: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)
    fail: bool = False

    def enqueue(self, kind: str, payload: Mapping[str, Any], *, call_id: str | None = None) -> str:
        if self.fail:
            raise DiskFullError("journal: the disk is full; nothing was written")
        self.items.append((kind, dict(payload), call_id))
        return f"item-{len(self.items)}"

    def states(self) -> list[str]:
        return [payload["state"] for kind, payload, _ in self.items if kind == "agent_state"]


@dataclass
class FakeAudit:
    events: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False

    def __call__(self, action: str, *, patient_id: str | None, reason: str, result: str) -> str:
        if self.fail:
            raise DiskFullError("journal: the disk is full; nothing was written")
        self.events.append(
            {"action": action, "patient_id": patient_id, "reason": reason, "result": result}
        )
        return f"audit-{len(self.events)}"


@dataclass
class FakeEngine:
    commands: list[p.Command] = field(default_factory=list)
    down: bool = False

    def __call__(self, command: p.Command) -> None:
        if self.down:
            raise EngineUnavailable("the engine process is not running")
        self.commands.append(command)

    def sent(self, kind: type[p.Command]) -> list[Any]:
        return [c for c in self.commands if isinstance(c, kind)]


@dataclass
class FakeLookup:
    numbers: dict[str, Sequence[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def __call__(self, number: str) -> Sequence[str]:
        self.asked.append(number)
        if number == LOCKED_NUMBER:
            raise CacheLockedError("cache: locked")
        return self.numbers.get(number, ())


@dataclass
class Desk:
    session: AgentSession
    engine: FakeEngine
    outbox: FakeOutbox
    audit: FakeAudit
    lookup: FakeLookup
    clock: ManualClock
    events: list[WorkflowEvent]

    def ring(self, call_id: str, number: str = "+12025550143") -> None:
        self.session.handle(p.IncomingCall(call_id, ACCOUNT, number, "", f"sip:{number}@pbx"))

    def confirm(self, call_id: str) -> None:
        self.session.handle(p.CallStateChanged(call_id, "confirmed", 200, "OK"))

    def end(self, call_id: str, ended_by: p.EndedBy = "remote", code: int = 200) -> None:
        self.session.handle(p.CallEnded(call_id, code, "Normal", ended_by))

    def register(self, state: p.RegState = "registered") -> None:
        self.session.handle(p.RegistrationChanged(ACCOUNT, state, 200))

    def connect(self, call_id: str, number: str = "+12025550143") -> None:
        """Ring, answer, and let the engine confirm."""
        self.ring(call_id, number)
        assert self.session.answer(call_id)
        self.confirm(call_id)


def make_desk(
    *,
    ready: bool = True,
    registered: bool = True,
    journal: WrapUpJournal | None = None,
    cache: Callable[[], DeskCache] | None = None,
    server_now: Callable[[], str] | None = None,
    **settings: Any,
) -> Desk:
    clock, engine, outbox, audit = ManualClock(), FakeEngine(), FakeOutbox(), FakeAudit()
    lookup = FakeLookup()
    session = AgentSession(
        journal=journal,
        cache=cache,
        send=engine,
        outbox=outbox,
        audit=audit,
        lookup=lookup,
        reasons=(BREAK, LUNCH, TRAINING),
        settings=DeskSettings(account_id=ACCOUNT, **settings),
        clock=clock,
        server_now=server_now or ServerTime(),
    )
    events: list[WorkflowEvent] = []
    session.subscribe(events.append)
    desk = Desk(session, engine, outbox, audit, lookup, clock, events)
    if registered:
        desk.register()
    if ready:
        session.go_ready()
    return desk


def patient(
    *,
    id: str = "pat-1",
    given: str = "Maren",
    family: str = "Oskarsdóttir-Lind",
    birth_date: str = "1961-07-04",
    mrn: str = "MRN-0042-17",
    campaign_ids: tuple[str, ...] = ("camp-a",),
) -> PatientRecord:
    """A synthetic record (never a real person)."""
    return PatientRecord(
        id=id,
        mrn=mrn,
        given_name=given,
        family_name=family,
        birth_date=birth_date,
        phones=(Phone("+12025550143", "home"),),
        language="en",
        time_zone="America/New_York",
        consent_calls=True,
        do_not_call=False,
        care_program=None,
        campaign_ids=campaign_ids,
        version=1,
    )
