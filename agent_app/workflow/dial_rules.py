"""The calling rules at the desk's one door: every call the desk places is checked here first.

:class:`DialGate` answers two questions with one :class:`Verdict`: may this number be
dialled now (the softphone, a preview, a progressive call, a callback, a redial all go
through :meth:`AgentSession.dial <agent_app.workflow.agent_session.AgentSession.dial>`,
which asks :meth:`DialGate.check`), and what colour the patient card's compliance indicator
shows (:meth:`DialGate.for_patient`). It finds the patients a number belongs to in the
cache, reads their record (do-not-call, consent, time zone), the campaign (window,
``max_attempts``, the centre's exemption caps) and the attempts the desk knows (the server's
history of leased patients and this desk's own dispositions), and hands them to the rule book:
a function of those facts and the instant. A number that matches no patient is not a patient
call and passes.

Opt-outs are sticky on this desk: :meth:`DialGate.opt_out` marks the patient do-not-call at
once (kept in the journal's small state so that a restart keeps it, whatever the cache
says until the server's own record catches up).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from agent_app.store.errors import StoreError
from agent_app.store.records import PatientRecord
from agent_app.workflow.events import Listeners
from pulse_contract import calling_rules as rules
from pulse_contract.holiday_calendar import HolidayTable, HolidayTableError

log = logging.getLogger(__name__)

OPT_OUT_STATE = "calling.opt_outs"
"""Journal state key: the patient ids this desk marked do-not-call (a JSON list)."""
OPT_OUT_CODES = rules.OPT_OUT_CODES | {"OPT_OUT", "DO_NOT_CALL", "DNC"}
"""Disposition codes that mean the patient asked never to be called again."""


DO_NOT_CALL = "The patient asked not to be called (do-not-call)."
NO_CONSENT = "The patient withdrew consent to be called."
NOT_ON_DESK = "The patient's record is not on this desk."
LIST_UNREADABLE = "The patient list cannot be read: try again shortly."
WINDOW_UNREADABLE = "The campaign's calling hours cannot be read."
MESSAGES = (DO_NOT_CALL, NO_CONSENT, NOT_ON_DESK, LIST_UNREADABLE, WINDOW_UNREADABLE)
"""The gate's own reasons (source text: views translate, context "Workflow")."""


class Level(StrEnum):
    """The compliance indicator: green (may call), amber (may call, window closing), red."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


@dataclass(frozen=True)
class Verdict:
    level: Level
    reason: str = ""
    """Plain words for the agent (English); empty when green."""
    template: str = ""
    """The reason's sentence with ``{name}`` parameters, for views to translate."""
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.level is not Level.RED


ALLOWED = Verdict(Level.GREEN)


@dataclass(frozen=True)
class Attempt:
    """One call made to a patient (by any agent, under any campaign)."""

    patient_id: str
    at: datetime
    code: str | None = None
    campaign_id: str | None = None
    exempt: bool = False
    """Placed under the healthcare exemption (the campaign says so)."""
    record_id: str = ""
    """The call's record id, when known: an attempt seen twice (dialled, then disposed)
    is kept once, with its latest facts."""


class RuleBook(Protocol):
    """The calling rules as a function of the facts: the patient, their campaign (or None),
    every attempt known across campaigns, and the instant (aware, UTC)."""

    def __call__(
        self,
        patient: PatientRecord,
        campaign: Mapping[str, Any] | None,
        attempts: Sequence[Attempt],
        now: datetime,
    ) -> Verdict: ...


class PatientReads(Protocol):
    def patient(self, patient_id: str | None) -> PatientRecord | None: ...

    def document(self, feed: str, item_id: str | None) -> dict[str, Any] | None: ...


class StateStore(Protocol):
    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...


@dataclass
class AttemptHistory:
    """The attempts the desk knows, per patient: the server's (with each lease) and its own."""

    _by_patient: dict[str, list[Attempt]] = field(default_factory=dict)

    def add(self, attempt: Attempt) -> None:
        known = self._by_patient.setdefault(attempt.patient_id, [])
        same = [
            i
            for i, a in enumerate(known)
            if a == attempt or (attempt.record_id and a.record_id == attempt.record_id)
        ]
        for i in reversed(same):
            del known[i]
        known.append(attempt)
        known.sort(key=lambda a: a.at)

    def merge(self, attempts: Iterable[Attempt]) -> None:
        for attempt in attempts:
            self.add(attempt)

    def of(self, patient_id: str) -> tuple[Attempt, ...]:
        return tuple(self._by_patient.get(patient_id, ()))


class DialGate:
    """See the module docstring."""

    def __init__(
        self,
        *,
        lookup: Callable[[str], Sequence[str]],
        reads: PatientReads,
        rules: RuleBook,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        history: AttemptHistory | None = None,
        state: StateStore | None = None,
    ) -> None:
        self._lookup, self._reads, self._rules, self._now = lookup, reads, rules, now
        self.history = history or AttemptHistory()
        self._state = state
        self._opt_outs: set[str] = set()
        self._listeners: Listeners[str] = Listeners()
        if state is not None:
            try:
                raw = state.get_state(OPT_OUT_STATE)
                self._opt_outs = set(json.loads(raw)) if raw else set()
            except (StoreError, ValueError, TypeError) as exc:
                log.warning("opt-outs not read (%s)", type(exc).__name__)

    # -- reading ---------------------------------------------------------------------------

    def for_patient(self, patient_id: str, campaign_id: str | None = None) -> Verdict:
        """The card's indicator: may this patient be called now under this campaign?"""
        if patient_id in self._opt_outs:
            return Verdict(Level.RED, DO_NOT_CALL)
        patient = self._reads.patient(patient_id)
        if patient is None:
            return Verdict(Level.RED, NOT_ON_DESK)
        if patient.do_not_call or not patient.consent_calls:
            return Verdict(Level.RED, _refusal(patient))
        campaign = self._reads.document("campaigns", campaign_id) if campaign_id else None
        if campaign is not None:
            # The retry waits of the campaign's code tree, as the server applies them.
            tree_id = campaign.get("code_tree_id")
            tree = self._reads.document("code_trees", tree_id) if isinstance(tree_id, str) else None
            campaign = {**campaign, RETRY_KEY: retry_table(tree)}
        else:
            campaign = self._holidays_only(patient)
        return self._rules(patient, campaign, self.history.of(patient_id), self._now())

    def _holidays_only(self, patient: PatientRecord) -> dict[str, Any] | None:
        """No campaign named (an inbound call's card): the rules judge as without one, with the
        holidays a campaign of the patient's lists (the rules use them only for the same
        region), so the holiday library stays unloaded."""
        for campaign_id in patient.campaign_ids:
            document = self._reads.document("campaigns", campaign_id)
            listed = None if document is None else document.get("holidays")
            if listed is not None:
                return {"holidays": listed, HOLIDAYS_OF: campaign_id}
        return None

    def check(
        self, target: str, *, patient_id: str | None = None, campaign_id: str | None = None
    ) -> Verdict:
        """May ``target`` be dialled now? The patient named, and every patient the number
        belongs to, must all be callable: the strictest verdict wins."""
        ids: list[str] = [] if patient_id is None else [patient_id]
        try:
            ids += [i for i in self._lookup(target) if i not in ids]
        except StoreError as exc:
            if patient_id is None:
                # Unknown whether the number is a patient's: a refusal is the safe answer.
                log.warning("dial check: number not looked up (%s)", type(exc).__name__)
                return Verdict(Level.RED, LIST_UNREADABLE)
        worst = ALLOWED
        for one in ids:
            verdict = self.for_patient(one, campaign_id if one == patient_id else None)
            if _rank(verdict) > _rank(worst):
                worst = verdict
        return worst

    def now(self) -> datetime:
        """The instant the rules judge (aware, UTC)."""
        return self._now()

    def judge_with(self, now: Callable[[], datetime]) -> None:
        """Judge with ``now`` from here on (a rehearsal of the desk at a chosen hour)."""
        self._now = now

    @property
    def opt_outs(self) -> frozenset[str]:
        return frozenset(self._opt_outs)

    def subscribe(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """``listener(patient_id)`` whenever the gate learns something that may change that
        patient's verdict (an opt-out, an attempt); returns the function that unsubscribes."""
        return self._listeners.subscribe(listener)

    # -- changes ---------------------------------------------------------------------------

    def opt_out(self, patient_id: str) -> None:
        """The patient asked never to be called: refused from now on, on every path."""
        self._opt_outs.add(patient_id)
        if self._state is not None:
            try:
                self._state.set_state(OPT_OUT_STATE, json.dumps(sorted(self._opt_outs)))
            except StoreError as exc:
                log.warning("opt-out not kept for a restart (%s)", type(exc).__name__)
        self._listeners.emit(patient_id)

    def attempted(self, attempt: Attempt) -> None:
        self.history.add(attempt)
        self._listeners.emit(attempt.patient_id)

    def learned(self, attempts: Iterable[Attempt]) -> None:
        """Attempts told by the server (a lease's history across campaigns)."""
        known = list(attempts)
        self.history.merge(known)
        for patient_id in dict.fromkeys(a.patient_id for a in known):
            self._listeners.emit(patient_id)


def _rank(verdict: Verdict) -> int:
    return (Level.GREEN, Level.AMBER, Level.RED).index(verdict.level)


def _refusal(patient: PatientRecord) -> str:
    if patient.do_not_call:
        return DO_NOT_CALL
    return NO_CONSENT


# -- the shared rule book -----------------------------------------------------------------------

RETRY_KEY = "_retry_after_min"
"""Where the gate hands the rules the campaign's code tree waits (code -> minutes)."""
CLOSING = "The patient's calling hours end at {closes_local} ({time_zone})"


def flagged_opt_outs(tree: Mapping[str, Any] | None) -> frozenset[str]:
    """The codes a code tree flags ``opt_out`` (at any depth)."""
    found: set[str] = set()
    stack = list(tree.get("codes") or ()) if tree else []
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        if node.get("opt_out") and isinstance(node.get("code"), str):
            found.add(node["code"])
        stack.extend(node.get("children") or ())
    return frozenset(found)


def is_opt_out(code: str | None, tree: Mapping[str, Any] | None) -> bool:
    """Whether a disposition code means "never call me again" (built in, or flagged)."""
    return bool(code) and (code in OPT_OUT_CODES or code in flagged_opt_outs(tree))


def retry_table(tree: Mapping[str, Any] | None) -> dict[str, int]:
    """Minutes to wait after each code of a code tree that names one (``retry_after_min``)."""
    found: dict[str, int] = {}
    stack = list(tree.get("codes") or ()) if tree else []
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        minutes, code = node.get("retry_after_min"), node.get("code")
        if isinstance(code, str) and isinstance(minutes, int) and not isinstance(minutes, bool):
            found[code] = minutes
        stack.extend(node.get("children") or ())
    return found


def _exempt(campaign: Mapping[str, Any] | None) -> bool:
    return bool(campaign and campaign.get("healthcare_exempt"))


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


HOLIDAYS_OF = "holidays_of"
"""Key of the campaign whose ``holidays`` a rules document without a campaign borrowed."""
_TABLES: dict[str, tuple[object, HolidayTable | None]] = {}
"""The parsed holiday table of each campaign, with the document entry it was parsed from: a
table is parsed, and a malformed one reported, once rather than at every judgement."""


def holidays_of(campaign: Mapping[str, Any] | None) -> HolidayTable | None:
    """The holidays the server listed with ``campaign`` (``holidays``); None when it has none
    (a server from before them) or they are malformed: the rules then ask the holiday library."""
    raw = None if campaign is None else campaign.get("holidays")
    if campaign is None or raw is None:
        return None
    key = str(campaign.get("id") or campaign.get(HOLIDAYS_OF))
    cached = _TABLES.get(key)
    if cached is not None and cached[0] == raw:  # the cache reads a new copy each time
        return cached[1]
    try:
        table: HolidayTable | None = HolidayTable.from_wire(raw)
    except HolidayTableError as exc:
        log.warning("campaign %s: its holiday table is not used: %s", key, exc)
        table = None
    _TABLES[key] = (raw, table)
    return table


def caps_of(campaign: Mapping[str, Any] | None) -> rules.ExemptionCaps:
    """The centre's exemption caps an exempt campaign's document carries (``exemption_caps``);
    the rules' defaults when it has none (a server from before them) or they are malformed."""
    raw = None if campaign is None else campaign.get("exemption_caps")
    if not isinstance(raw, Mapping):
        return rules.ExemptionCaps()
    day, week = _count(raw.get("per_day")), _count(raw.get("per_week"))
    if day is None or week is None:
        log.warning("campaign's exemption caps are malformed: the rules' defaults apply")
        return rules.ExemptionCaps()
    return rules.ExemptionCaps(per_day=day, per_week=week)


def context_of(
    patient: PatientRecord,
    campaign: Mapping[str, Any] | None,
    attempts: Sequence[Attempt],
) -> rules.CallContext:
    """The facts the shared rules take, from the cache's record and campaign."""
    window = None if campaign is None else campaign.get("calling_window")
    start, end = rules.LEGAL_START, rules.LEGAL_END
    if isinstance(window, Mapping):
        start = window.get("start") or start
        end = window.get("end") or end
    limit = None if campaign is None else campaign.get("max_attempts")
    own = None if campaign is None else campaign.get(RETRY_KEY)
    after = dict(rules.DEFAULT_RETRY_AFTER)
    if isinstance(own, Mapping):
        after.update({str(c): timedelta(minutes=int(m)) for c, m in own.items()})
    # The server judges holidays in the campaign's region (patients carry no country).
    region = None if campaign is None else campaign.get("default_region")
    return rules.CallContext(
        time_zone=patient.time_zone,
        country=region.upper() if isinstance(region, str) and region else "US",
        holidays=holidays_of(campaign),
        do_not_call=patient.do_not_call,
        consent=patient.consent_calls,
        campaign_id=None if campaign is None else str(campaign.get("id") or "") or None,
        window_start=start,
        window_end=end,
        max_attempts=limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
        exempt=_exempt(campaign),
        attempts=tuple(rules.Attempt(a.at, a.campaign_id, a.code, a.exempt) for a in attempts),
        retry=rules.RetryRules(after=after),
        caps=caps_of(campaign),
    )


def shared_rules(
    patient: PatientRecord,
    campaign: Mapping[str, Any] | None,
    attempts: Sequence[Attempt],
    now: datetime,
) -> Verdict:
    """The calling rules of :mod:`pulse_contract.calling_rules` (the server's own)."""
    try:
        verdict = rules.evaluate(context_of(patient, campaign, attempts), now)
    except (ValueError, TypeError):  # a campaign window the cache holds broken
        return Verdict(Level.RED, WINDOW_UNREADABLE)
    params = dict(verdict.params)
    if verdict.indicator == "green":
        return Verdict(Level.GREEN, params=params)
    if verdict.allowed:  # amber: what matters is when the window closes
        return Verdict(Level.AMBER, CLOSING.format(**params) + ".", template=CLOSING, params=params)
    template = rules.MESSAGES[verdict.reason]
    return Verdict(Level.RED, verdict.message + ".", template=template, params=params)
