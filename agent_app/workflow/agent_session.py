"""The agent's desk: availability, the phone's calls, after-call work, and the state they add up to.

:class:`AgentSession` is the one owner of the desk's rules. The engine glue hands it every
telephony event (:meth:`handle`); views send intents (:meth:`answer`, :meth:`hold`,
:meth:`set_not_ready`, ...) and observe events (:meth:`subscribe`). Engine commands go
out through the injected ``send``; every change of the shown state goes to the journal's
outbox with its server time; identity checks and reveals go to the injected audit sink.

Rules kept here and in :mod:`agent_app.workflow.call_book`: the state is derived
(:func:`agent_state.derive_state`), so it is never Ready with a call up; at most one call
hears the agent (answering or resuming a call holds the one in progress); a call that ended
leaves the live list at once and never comes back (the one exception to "at most one": the
two calls the agent merged into a 3-way conference); every answered call (and every attempt
the agent dialled, a consult call aside) leaves a wrap-up item until its disposition is
saved; when the engine
restarts its calls are gone and the phone is Offline until it registers again, while the
wrap-up items stay. Not ready, wrap-up and Offline refuse new calls with the
:attr:`incoming_policy`.

After-call work: each wrap-up item has a :class:`~agent_app.workflow.disposition.WrapUpWork`
(:meth:`wrap_up_work`) whose draft is kept in the journal, with the call's facts, so that
:meth:`restore_wrap_ups` brings it back after a crash. The agent cannot go Ready while any
disposition is owed; when the after-call countdown (the campaign's ``wrap_up_s``, else
:attr:`DeskSettings.wrap_up_limit_s`) runs out the desk puts a Ready agent in
Not ready (``disposition_pending``), and the agent chooses Ready again once done: the desk
never makes anyone Ready by itself. Each call's campaign (:attr:`CallSession.campaign_id`)
follows its patient: the first of the patient's campaigns the cache holds, else
:attr:`DeskSettings.default_campaign_id`.

Not thread-safe: drive it from one thread (the GUI thread, fed by the Qt engine client).
Listeners are called once an intent or event has been applied in full.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from agent_app.store.errors import StoreError
from agent_app.store.records import PatientRecord
from agent_app.sync.clock import ServerClock
from agent_app.telephony import protocol as p
from agent_app.workflow import agent_state as st
from agent_app.workflow.agent_state import AgentState, IncomingPolicy, NotReadyReason
from agent_app.workflow.call_book import CallBook, Lookup
from agent_app.workflow.call_session import CONNECTED, CallPhase, CallSession, Direction
from agent_app.workflow.desk_settings import DESK_LOCKED, DISPOSITION_PENDING, DeskSettings
from agent_app.workflow.dial_rules import Attempt, DialGate, Verdict, is_opt_out
from agent_app.workflow.disposition import (
    VOICEMAIL_LEFT,
    CacheReads,
    DeskCache,
    OutboxJournal,
    WrapUpJournal,
    WrapUpWork,
    parse_time,
)
from agent_app.workflow.events import (
    AgentStateChanged,
    CallChanged,
    Listeners,
    Problem,
    WorkflowEvent,
    WrapUpAdded,
    WrapUpItem,
)
from agent_app.workflow.identity import Claim, IdentityRecord
from agent_app.workflow.identity_gate import AuditSink, IdentityStatus

log = logging.getLogger(__name__)

SIGNED_IN = NotReadyReason("signed_in", "Signed in")
"""The availability a shift starts with: nobody is made Ready without choosing it."""
_ABOUT_A_CALL = (p.CallStateChanged, p.MediaChanged, p.CallEnded, p.TransferProgress)


class Outbox(Protocol):
    """Where journal entries go (``SyncService.enqueue`` and ``Journal.enqueue`` fit)."""

    def enqueue(
        self, kind: str, payload: Mapping[str, Any], *, call_id: str | None = None
    ) -> str: ...


class AgentSession:
    """The agent's desk for one signed-in shift; see the module docstring."""

    def __init__(
        self,
        *,
        send: Callable[[p.Command], None],
        outbox: Outbox,
        audit: AuditSink,
        lookup: Lookup,
        reasons: Sequence[NotReadyReason] = (),
        settings: DeskSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
        server_now: Callable[[], str] | None = None,
        journal: WrapUpJournal | None = None,
        cache: Callable[[], DeskCache] | None = None,
        on_journaled: Callable[[], None] | None = None,
        gate: DialGate | None = None,
    ) -> None:
        """``journal`` keeps the wrap-up drafts and records dispositions (without one, an
        outbox that is a journal serves; else drafts stay in memory and records go to the
        outbox); ``cache`` gives the cache for campaigns, code trees and patients;
        ``on_journaled`` is called after a disposition was written (to wake the sync);
        ``gate`` checks the calling rules before every call placed (None: no rules)."""
        self.settings = settings or DeskSettings()
        self.gate = gate
        self._outbox, self._clock = outbox, clock
        if journal is None:
            journal = outbox if isinstance(outbox, WrapUpJournal) else OutboxJournal(outbox)
        self._journal = journal
        self._reads = CacheReads(cache)
        self._on_journaled = on_journaled
        self._works: dict[str, WrapUpWork] = {}
        self._campaign_for: dict[str, str | None] = {}
        """Record id → the patient its campaign was chosen for."""
        self._dialled_under: dict[str, tuple[str | None, str]] = {}
        """Record id → (patient, campaign) a campaign call (a lease's) was placed for."""
        self._audit = audit
        self._locked = False
        self._viewed: set[tuple[str, str]] = set()
        """(record id, patient id) whose record view is in the audit log."""
        self._server_now = server_now or ServerClock().now_iso
        self._reasons = {r.code: r for r in reasons}
        self._not_ready: NotReadyReason | None = SIGNED_IN
        self._registered: set[str] = set()
        self._timer = st.StateClock(clock, AgentState.OFFLINE, None)
        self._listeners: Listeners[WorkflowEvent] = Listeners()
        self._pending: list[WorkflowEvent] = []
        self._depth = 0
        self._book = CallBook(
            send=send,
            audit=audit,
            lookup=lookup,
            clock=clock,
            server_now=self._server_now,
            settings=self.settings,
            pending=self._pending,
        )

    # -- reading ---------------------------------------------------------------------------

    def subscribe(
        self, listener: Callable[[WorkflowEvent], None], *, first: bool = False
    ) -> Callable[[], None]:
        """``listener(event)`` after every change (before the other listeners with ``first``);
        returns the function that unsubscribes."""
        return self._listeners.subscribe(listener, first=first)

    @property
    def state(self) -> AgentState:
        return self._timer.state

    @property
    def reason(self) -> NotReadyReason | None:
        """The not-ready reason shown (None unless the state is Not ready)."""
        return self._timer.reason

    @property
    def availability(self) -> NotReadyReason | None:
        """The agent's own choice: None for Ready, else the not-ready reason."""
        return self._not_ready

    @property
    def registered(self) -> bool:
        return bool(self._registered)

    @property
    def reasons(self) -> tuple[NotReadyReason, ...]:
        return tuple(self._reasons.values())

    @property
    def calls(self) -> tuple[CallSession, ...]:
        """Live calls, oldest first; an ended call is never among them."""
        return tuple(self._book.live.values())

    @property
    def active_call(self) -> CallSession | None:
        """The call that hears the agent, if any (in a conference: the first member)."""
        return self._book.audible

    @property
    def busy(self) -> bool:
        """On a call (being set up, talking or held) or owing after-call work: the agent is
        working even without touching a key (the inactivity lock waits)."""
        return self._book.connected or bool(self._book.wrap_ups)

    @property
    def offered_call(self) -> CallSession | None:
        """The call that Answer and Decline act on: the one ringing longest."""
        return next((c for c in self._book.live.values() if c.offered), None)

    @property
    def focus(self) -> CallSession | None:
        """The call the desk's call controls act on: the one that hears the agent, else the
        one ringing longest, else the one held last."""
        held = [c for c in self._book.live.values() if c.phase is CallPhase.HELD]
        if self._book.audible is not None:
            return self._book.audible
        if self.offered_call is not None:
            return self.offered_call
        return max(held, key=lambda c: c.phase_since, default=None)

    @property
    def consultation(self) -> tuple[CallSession, CallSession] | None:
        """A consult call in progress and the live call it is about, oldest pair first
        (Transfer then hands the caller over; Conference merges them). Once merged into
        the conference it is no longer a consultation."""
        live = self._book.live.values()
        by_record = {c.record_id: c for c in live}
        for consult in live:
            about = None if consult.consult_of is None else by_record.get(consult.consult_of)
            if about is not None and consult.call_id not in self._book.conference:
                return about, consult
        return None

    @property
    def conference(self) -> tuple[CallSession, ...]:
        """The calls merged into the agent's conference (empty when there is none)."""
        book = self._book
        return tuple(book.live[c] for c in sorted(book.conference) if c in book.live)

    @property
    def wrap_ups(self) -> tuple[WrapUpItem, ...]:
        return tuple(self._book.wrap_ups.values())

    @property
    def missed(self) -> tuple[CallSession, ...]:
        """Recent inbound calls never answered (refused, declined, given up), oldest first."""
        return tuple(self._book.missed)

    def call(self, key: str) -> CallSession | None:
        """A live call by its engine call id, or one awaiting wrap-up by its record id."""
        return self._book.find(key)

    def campaign_document(self, campaign_id: str | None) -> dict[str, Any] | None:
        """A campaign as the cache holds it (None when absent or unreadable)."""
        return self._reads.document("campaigns", campaign_id)

    def patient_record(self, patient_id: str | None) -> PatientRecord | None:
        """A patient's record from the cache (None when absent or unreadable)."""
        return self._reads.patient(patient_id)

    def compliance(self, call: CallSession) -> Verdict | None:
        """The calling rules' verdict now for the call's patient (the card's indicator), under
        the campaign the call was placed for (a lease's), else under none (an inbound or a
        softphone call); None when there is no patient or no rules."""
        if self.gate is None or call.patient_id is None:
            return None
        patient, campaign = self._dialled_under.get(call.record_id, (None, None))
        if patient != call.patient_id:  # another patient was chosen: not the lease's
            campaign = None
        return self.gate.for_patient(call.patient_id, campaign)

    @property
    def incoming_policy(self) -> IncomingPolicy:
        """What a new call meets now (the engine glue may read it; :meth:`handle` applies it)."""
        if self._not_ready is not None or not self.registered or self._book.wrap_ups:
            return self.settings.not_ready_policy
        if not self.settings.call_waiting and self._book.connected:
            return IncomingPolicy.BUSY_HERE
        return IncomingPolicy.ACCEPT

    def time_in_state(self) -> float:
        return self._timer.elapsed()

    def reason_totals(self) -> dict[str, float]:
        """Seconds spent in each not-ready reason during this session."""
        return self._timer.totals()

    def status(self) -> st.AgentStatus:
        now, reason, elapsed = self._clock(), self._timer.reason, self._timer.elapsed()
        left = [r for w in self._book.wrap_ups.values() if (r := w.remaining(now)) is not None]
        return st.AgentStatus(
            state=self._timer.state,
            reason=reason,
            elapsed_s=elapsed,
            availability=self._not_ready,
            registered=self.registered,
            overdue=reason is not None and reason.limit_s is not None and elapsed > reason.limit_s,
            wrap_up_remaining_s=min(left, default=None),
        )

    # -- intents: availability and after-call work -------------------------------------------

    def go_ready(self) -> bool:
        """Ready for calls; refused while any call's disposition is owed."""
        with self._operation():
            if self._book.wrap_ups:
                self._pending.append(Problem("Finish the after-call work first."))
                return False
            if self._locked:
                self._pending.append(
                    Problem("The desk is locked: no calls until the patient store opens again.")
                )
                return False
            changed, self._not_ready = self._not_ready is not None, None
            return changed

    def lock_desk(self) -> None:
        """The panels are covered (the patient cache is locked): Not ready "Desk locked", and
        Ready refused until :meth:`unlock_desk`. A call in progress goes on."""
        with self._operation():
            self._locked = True
            self._not_ready = self._reasons.get(DESK_LOCKED.code, DESK_LOCKED)

    def unlock_desk(self) -> None:
        """The panels are back; the agent stays Not ready until they choose Ready."""
        with self._operation():
            self._locked = False

    @property
    def desk_locked(self) -> bool:
        return self._locked

    def set_not_ready(self, code: str) -> bool:
        """Not ready for one of :attr:`reasons`; shown once the calls and wrap-ups are done."""
        with self._operation():
            reason = self._reasons.get(code)
            if reason is None or reason == self._not_ready:
                return False
            self._not_ready = reason
            return True

    def set_reasons(self, reasons: Sequence[NotReadyReason]) -> None:
        """New reason codes from the server; the current choice stays (updated if listed)."""
        with self._operation():
            self._reasons = {r.code: r for r in reasons}
            if self._not_ready is not None and self._not_ready.code in self._reasons:
                self._not_ready = self._reasons[self._not_ready.code]

    def complete_wrap_up(self, record_id: str) -> bool:
        """The call's disposition is saved: its after-call work (and its draft) is done.

        :meth:`WrapUpWork.submit` calls it once the record is written."""
        with self._operation():
            done = self._book.complete(record_id)
            work = self._works.pop(record_id, None)
            if done and (work is None or not work.submitted):
                try:
                    self._journal.drop_draft(record_id)
                except StoreError as exc:
                    log.warning("wrap-up draft not dropped (%s)", type(exc).__name__)
            return done

    def wrap_up_work(self, record_id: str) -> WrapUpWork | None:
        """The disposition being filled in for a call awaiting wrap-up."""
        return self._works.get(record_id)

    def restore_wrap_ups(
        self, drafts: Mapping[str, Mapping[str, Mapping[str, Any]]]
    ) -> list[WrapUpItem]:
        """Bring back the after-call work a crash interrupted (``Journal.drafts()``): one
        wrap-up item per draft that has the call's facts, with what was typed; drafts
        without facts (a call that never ended on this desk) are left as they are. The
        countdown goes on from the call's end."""
        restored: list[WrapUpItem] = []
        with self._operation():
            for record_id, parts in drafts.items():
                facts = parts.get("call")
                if facts is None or self._book.find(record_id) is not None:
                    continue
                try:
                    call = CallSession.from_facts(
                        facts,
                        clock=self._clock,
                        server_now=self._server_now,
                        audit=self._audit,
                        max_attempts=self.settings.identity_attempts,
                        day_first=self.settings.day_first_dates,
                    )
                except (KeyError, ValueError, TypeError):
                    log.warning(
                        "wrap-up draft %s not restored: its call facts are not whole", record_id
                    )
                    continue
                since = self._clock() - self._seconds_since(call.ended_at)
                item = WrapUpItem(call, since, self._limit_for(call))
                self._book.wrap_ups[record_id] = item
                self._campaign_for[record_id] = call.patient_id
                work = self._new_work(call, parts.get("disposition") or {})
                work.facts_saved(facts)
                self._pending.append(WrapUpAdded(item))
                restored.append(item)
        return restored

    def _seconds_since(self, iso: str | None) -> float:
        try:
            then = parse_time(iso or "")
            return max(0.0, (parse_time(self._server_now()) - then).total_seconds())
        except ValueError:
            return 0.0

    def _new_work(self, call: CallSession, draft: Mapping[str, Any] | None) -> WrapUpWork:
        work = WrapUpWork(
            call,
            journal=self._journal,
            reads=self._reads,
            server_now=self._server_now,
            on_submitted=self._submitted,
            on_problem=self._problem,
            draft=draft,
        )
        self._works[call.record_id] = work
        return work

    def _submitted(self, record_id: str) -> None:
        work = self._works.get(record_id)
        if work is not None and self.gate is not None and work.call.patient_id:
            self.gate.attempted(self._attempt(self.gate, work.call, work.code))
            campaign = self._reads.document("campaigns", work.call.campaign_id) or {}
            tree_id = campaign.get("code_tree_id")
            tree = self._reads.document("code_trees", tree_id if isinstance(tree_id, str) else None)
            if is_opt_out(work.code, tree):
                self.gate.opt_out(work.call.patient_id)
        self.complete_wrap_up(record_id)
        if self._on_journaled is not None:
            self._on_journaled()

    def _problem(self, message: str) -> None:
        with self._operation():
            self._pending.append(Problem(message))

    def poll(self) -> st.AgentStatus:
        """Run the timers (ring-and-decline); call it about once a second."""
        with self._operation():
            self._book.decline_due()
            if self._not_ready is None:
                self._book.answer_due()
        return self.status()

    # -- intents: calls ----------------------------------------------------------------------

    def answer(self, call_id: str) -> bool:
        """Answer a ringing call; a call in progress goes on hold first (call waiting)."""
        with self._operation():
            return self._book.take_over(call_id, CallPhase.RINGING)

    def resume(self, call_id: str) -> bool:
        """Take a held call back; the call in progress goes on hold first."""
        with self._operation():
            return self._book.take_over(call_id, CallPhase.HELD)

    def decline(self, call_id: str) -> bool:
        return self._intent(call_id, lambda c: c.decline())

    def hangup(self, call_id: str) -> bool:
        return self._intent(call_id, lambda c: c.hangup())

    def hold(self, call_id: str) -> bool:
        """Hold a call (a conference member: the whole conference, which then ends)."""
        with self._operation():
            return self._book.hold(call_id)

    def mute(self, call_id: str, muted: bool) -> bool:
        """Mute the agent on a call (a conference member: on every member, as one microphone)."""
        with self._operation():
            call = self._book.live.get(call_id)
            if call is None:
                return False
            done = [
                self._book.intent(m.call_id, lambda c: c.mute(muted))
                for m in self._book.members(call)
            ]
            return any(done)

    def send_dtmf(self, call_id: str, digits: str) -> bool:
        return self._intent(call_id, lambda c: c.send_dtmf(digits))

    def blind_transfer(self, call_id: str, target: str) -> bool:
        return self._intent(call_id, lambda c: c.blind_transfer(target))

    def attended_transfer(self, call_id: str, consult_call_id: str) -> bool:
        """Warm transfer: hand the caller of ``call_id`` to the party of the consult call."""
        with self._operation():
            consult = self._book.live.get(consult_call_id)
            if consult is None or consult.phase not in CONNECTED or call_id == consult_call_id:
                return False
            done = self._book.intent(call_id, lambda c: c.attended_transfer(consult_call_id))
            call = self._book.live.get(call_id)
            if done and call is not None:
                call.transfer_target = consult.number
            return done

    def merge(self, call_id: str, other_id: str) -> bool:
        """A 3-way conference: the agent and the parties of two answered calls."""
        with self._operation():
            return self._book.merge(call_id, other_id)

    def leave_conference(self) -> bool:
        """Hang up every call of the conference."""
        with self._operation():
            return self._book.leave_conference()

    def dial(
        self,
        target: str,
        *,
        consult_for: str | None = None,
        patient_id: str | None = None,
        campaign_id: str | None = None,
    ) -> CallSession | None:
        """Call out; a call in progress goes on hold first.

        The one door every call the desk places goes through (softphone, preview,
        progressive, callback, redial): the calling rules (:attr:`gate`) are checked
        here, and a call they forbid is refused before dialing with their reason.
        ``patient_id`` / ``campaign_id`` name the patient and campaign a campaign call is
        for. ``consult_for`` names the live call this one consults about (a warm transfer
        or a conference to come): such a call owes no wrap-up of its own.
        """
        with self._operation():
            account = self.settings.account_id or min(self._registered, default="")
            if not target.strip() or not self.registered:
                self._pending.append(Problem("The phone is not registered: no call can be made."))
                return None
            about = None if consult_for is None else self._book.live.get(consult_for)
            if consult_for is not None and (
                about is None or not about.answered or about.phase not in CONNECTED
            ):
                return None  # a consult is about a call the agent is on
            if self.gate is not None:
                verdict = self.gate.check(
                    target.strip(), patient_id=patient_id, campaign_id=campaign_id
                )
                if not verdict.allowed:
                    params = tuple((k, str(v)) for k, v in verdict.params.items())
                    self._pending.append(
                        Problem(verdict.reason, template=verdict.template, params=params)
                    )
                    return None
            call = self._book.dial(account, target.strip(), about)
            if call is not None and patient_id is not None:
                call.choose_patient(patient_id)
            if call is not None and campaign_id is not None:
                call.campaign_id = campaign_id
                self._campaign_for[call.record_id] = call.patient_id  # the lease's campaign
                self._dialled_under[call.record_id] = (call.patient_id, campaign_id)
            if call is not None and self.gate is not None and call.patient_id:
                self.gate.attempted(self._attempt(self.gate, call, None))
            return call

    def drop_voicemail(self, call_id: str, message: str) -> bool:
        """An answering machine took the call: the engine plays ``message`` (a WAV path)
        into it and hangs up by itself; the desk lets go of the call at once and records
        it as "voicemail left" without typing. Only on an answered outbound call."""
        with self._operation():
            call = self._book.live.get(call_id)
            if (
                call is None
                or call.direction is not Direction.OUTBOUND
                or not call.answered
                or call.phase not in CONNECTED
                or call.call_id in self._book.conference
                or not message
            ):
                return False
            call.end(VOICEMAIL_LEFT)
            self._book.settle(call, [p.DropMessage(call_id, message)])
            work = self._works.get(call.record_id)
            if work is None and call.record_id in self._book.wrap_ups:
                work = self._new_work(call, None)
            if work is not None:
                work.submit()
            return True

    def _attempt(self, gate: DialGate, call: CallSession, code: str | None) -> Attempt:
        # The rules' own clock: an attempt is compared with the instant they judge.
        at = gate.now()
        known = gate.history.of(call.patient_id or "")
        at = next((a.at for a in known if a.record_id == call.record_id), at)
        campaign = self._reads.document("campaigns", call.campaign_id) or {}
        return Attempt(
            call.patient_id or "",
            at,
            code,
            call.campaign_id,
            exempt=bool(campaign.get("healthcare_exempt")),
            record_id=call.record_id,
        )

    def _intent(self, call_id: str, action: Callable[[CallSession], list[p.Command]]) -> bool:
        with self._operation():
            return self._book.intent(call_id, action)

    # -- intents: patient and identity ---------------------------------------------------------

    def view_record(self, record_id: str, patient_id: str, *, reason: str = "") -> bool:
        """Write the view of ``patient_id``'s record for the call ``record_id`` to the audit
        log, once per call and patient. Every view that shows any of the record (the card,
        the script's merge fields, a lease's preview, the callback list) shows it only when
        this says True; False when the event cannot be written (nothing of the record may
        then be shown). ``reason`` names what else than a call the view is for
        (``lease <id>``, ``callback <id>``); it is also the key of "once"."""
        key = reason or record_id
        if (key, patient_id) in self._viewed:
            return True
        why = reason or f"call {record_id}"
        try:
            self._audit("view", patient_id=patient_id, reason=why, result="ok")
        except StoreError as exc:
            log.warning("record view for %s not audited (%s): not shown", why, type(exc).__name__)
            return False
        self._viewed.add((key, patient_id))
        return True

    def record_viewed(self, record_id: str, patient_id: str) -> bool:
        """Whether the view of that record for that call is in the audit log."""
        return (record_id, patient_id) in self._viewed

    def choose_patient(self, call_id: str, patient_id: str) -> bool:
        """Link a call to a patient (a pick among matches, or a search result).

        ``call_id`` is a live call's engine id or, for a call in wrap-up, its record id.
        """
        with self._operation():
            call = self._book.find(call_id)
            if call is None or not call.choose_patient(patient_id):
                return False
            self._pending.append(CallChanged(call))
            return True

    def verify_identity(
        self, call_id: str, record: IdentityRecord, claim: Claim
    ) -> IdentityStatus | None:
        """Check the caller's identifiers against ``record``; None if that cannot be done."""
        with self._operation():
            call = self._book.live.get(call_id)
            if call is None:
                return None
            try:
                status = call.verify(record, claim)
            except StoreError:
                self._audit_failed(call_id)
                return None
            self._pending.append(CallChanged(call))
            return status

    def reveal(self, call_id: str, reason: str) -> bool:
        """Unmask the card without verification, for a reason code (audited first).

        ``call_id`` as for :meth:`choose_patient`.
        """
        with self._operation():
            call = self._book.find(call_id)
            if call is None:
                return False
            try:
                revealed = call.reveal(reason)
            except StoreError:
                self._audit_failed(call_id)
                return False
            if revealed:
                self._pending.append(CallChanged(call))
            return revealed

    def _audit_failed(self, call_id: str) -> None:
        log.warning("identity step not applied: its audit event could not be written")
        self._pending.append(Problem("The audit log could not be written.", call_id))

    # -- engine events -----------------------------------------------------------------------

    def handle(self, event: p.Event) -> None:
        """Take one event from the telephony engine."""
        with self._operation():
            book = self._book
            if isinstance(event, p.RegistrationChanged):
                self._on_registration(event)
            elif isinstance(event, p.IncomingCall):
                book.incoming(event, self.incoming_policy)
            elif isinstance(event, _ABOUT_A_CALL):
                book.about_call(event, event.call_id)
            elif isinstance(event, p.CallReplaced):
                book.replaced(event)
            elif isinstance(event, p.TransferRequested):
                book.transfer_requested(event)
            elif isinstance(event, p.EngineRestarted | p.EngineStopped):
                self._registered.clear()
                book.end_all("engine_restart")
            elif isinstance(event, p.EngineState):
                book.keep_only(event.calls)
            elif isinstance(event, p.CommandFailed) and event.command == "engine":
                # The engine process is down and may not come back: its calls are gone.
                self._registered.clear()
                book.end_all("engine_lost")
                self._pending.append(Problem("The phone stopped working; it is being restarted."))
            elif isinstance(event, p.CommandFailed):
                book.command_failed(event)

    def _on_registration(self, event: p.RegistrationChanged) -> None:
        if self.settings.account_id and event.account_id != self.settings.account_id:
            return
        if event.state == "registered":
            self._registered.add(event.account_id)
        elif event.state in ("failed", "unregistered"):
            self._registered.discard(event.account_id)

    # -- the shown state ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _operation(self) -> Iterator[None]:
        """Apply a change completely, then derive the state, then tell the listeners."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._refresh()
                while self._pending:
                    self._listeners.emit(self._pending.pop(0))

    def _settle_wrap_ups(self) -> None:
        """Campaigns follow patients; every wrap-up item has its work, whose call facts
        are in the journal; the after-call countdown never ends in Ready."""
        book = self._book
        calls = [*book.live.values(), *(w.call for w in book.wrap_ups.values())]
        for call in calls:
            if self._campaign_for.get(call.record_id, "") != call.patient_id:
                self._campaign_for[call.record_id] = call.patient_id
                campaign = self._campaign_of(call.patient_id)
                if campaign != call.campaign_id:
                    call.campaign_id = campaign
                    self._pending.append(CallChanged(call))
        if len(self._campaign_for) > len(calls):
            keep = {c.record_id for c in calls}
            self._campaign_for = {k: v for k, v in self._campaign_for.items() if k in keep}
            self._dialled_under = {k: v for k, v in self._dialled_under.items() if k in keep}
        for record_id, item in list(book.wrap_ups.items()):
            if record_id not in self._works:
                self._new_work(item.call, None)
                self._campaign_limit(item)
            self._works[record_id].keep_facts()
        for record_id in [r for r in self._works if r not in book.wrap_ups]:
            del self._works[record_id]
        if self._not_ready is None and self._acw_over():
            self._not_ready = self._reasons.get(DISPOSITION_PENDING.code, DISPOSITION_PENDING)

    def _limit_for(self, call: CallSession) -> float | None:
        """The after-call countdown: the campaign's ``wrap_up_s``, else the desk's setting."""
        campaign = self._reads.document("campaigns", call.campaign_id) or {}
        seconds = campaign.get("wrap_up_s")
        if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
            return float(seconds)
        return self.settings.wrap_up_limit_s

    def _campaign_limit(self, item: WrapUpItem) -> None:
        """Give a new wrap-up item its campaign's countdown (before anyone was told of it)."""
        limit = self._limit_for(item.call)
        if limit == item.limit_s:
            return
        new = replace(item, limit_s=limit)
        self._book.wrap_ups[item.record_id] = new
        for index, event in enumerate(self._pending):
            if isinstance(event, WrapUpAdded) and event.item is item:
                self._pending[index] = WrapUpAdded(new)

    def _campaign_of(self, patient_id: str | None) -> str | None:
        record = self._reads.patient(patient_id)
        for campaign_id in () if record is None else record.campaign_ids:
            if self._reads.document("campaigns", campaign_id) is not None:
                return campaign_id
        return self.settings.default_campaign_id

    def _acw_over(self) -> bool:
        """The after-call countdown of some call ran out with its disposition still owed."""
        now = self._clock()
        return any(w.remaining(now) == 0 for w in self._book.wrap_ups.values())

    def _refresh(self) -> None:
        self._settle_wrap_ups()
        if self.incoming_policy is IncomingPolicy.ACCEPT:
            self._book.offer_declining()
        state, reason = st.derive_state(
            connected=self._book.connected,
            offered=self._book.offered,
            registered=self.registered,
            wrap_up=bool(self._book.wrap_ups) and not self._acw_over(),
            not_ready=self._not_ready,
        )
        previous, previous_reason = self._timer.state, self._timer.reason
        if (state, reason) == (previous, previous_reason):
            return
        spent = self._timer.change(state, reason)
        log.info(
            "agent state %s%s -> %s%s after %.1f s",
            previous.value,
            f" ({previous_reason.code})" if previous_reason else "",
            state.value,
            f" ({reason.code})" if reason else "",
            spent,
        )
        self._pending.append(AgentStateChanged(state, reason, previous, previous_reason, spent))
        focus = self._focus_record(state)
        payload = st.state_payload(
            state=state,
            reason=reason,
            previous=previous,
            previous_reason=previous_reason,
            previous_s=spent,
            at=self._server_now(),
            call_id=focus,
        )
        try:
            self._outbox.enqueue(st.JOURNAL_KIND, payload, call_id=focus)
        except StoreError as exc:
            log.warning("agent state change not journaled (%s)", type(exc).__name__)
            self._pending.append(Problem("The state change could not be saved."))

    def _focus_record(self, state: AgentState) -> str | None:
        """The record id of the call a state is about (None for states about no call)."""
        live = self._book.live.values()
        if state is AgentState.ON_CALL:
            focus = self._book.audible or next((c for c in live if c.phase in CONNECTED), None)
            return None if focus is None else focus.record_id
        if state is AgentState.RINGING:
            return next((c.record_id for c in live if c.offered), None)
        if state is AgentState.WRAP_UP:
            return next(iter(self._book.wrap_ups), None)
        return None
