"""After-call work on one call: the campaign's code tree, the disposition being filled in (a
draft saved on every change), its checks, and the one journal write that records it.

:class:`WrapUpWork` is what the disposition panel drives; the desk
(:class:`agent_app.workflow.agent_session.AgentSession`) makes one per wrap-up item and
completes the item once :meth:`WrapUpWork.submit` has written the record. The submit is
one journal transaction: the disposition (its id is the call's record id, chosen when the
call started), a callback request when the code asks for a callback time, and the removal
of the call's draft; the same submit again (a double click, a replay after a crash) writes
nothing new.

System codes. A call that failed before it was answered (busy, no answer, rejected,
dropped before answer) comes with a code already chosen, so one key submits it: the
campaign's own code with that meaning when its tree has one (by code name: BUSY,
NO_ANSWER, REJECTED, DROPPED and a few synonyms, see ``_SYNONYMS``), else a built-in code
(``SYS_BUSY``, ``SYS_NO_ANSWER``, ``SYS_REJECTED``, ``SYS_DROPPED``). The server stores any
code name, so the built-in ones need nothing there. They, and ``SYS_HANDLED`` (for a
call whose campaign has no code tree on this workstation), can always be chosen, so no
call is ever left without a way to dispose of it.

Date-time fields are typed and shown in the patient's time zone (their record's
``time_zone``; the workstation's zone when the call has no patient) and recorded in UTC. A
callback time (a date-time field whose name says "callback", such as ``callback_at``)
also needs the patient, must lie ahead and within a year, and must fall inside the
campaign's calling window in the patient's local time.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent_app.store.errors import StoreError
from agent_app.store.journal import NewEntry
from agent_app.store.records import PatientRecord
from agent_app.workflow import consent
from agent_app.workflow.call_session import CallSession, TransferState
from agent_app.workflow.identity_gate import Verification
from agent_app.workflow.script_run import ScriptRun

log = logging.getLogger(__name__)

FieldType = Literal["datetime", "text", "bool"]
CallbackFor = Literal["me", "anyone"]
FieldValue = str | bool
DEFAULT_WINDOW = ("08:00", "21:00")
"""The server's calling window when a campaign names none (or is not on this desk)."""
MAX_NOTES = 10_000
MAX_TEXT = 2_000


class Wording(str):
    """A message of :meth:`WrapUpWork.problems`: the English text, and the fixed source
    text and values it was made from, so that a view can translate the source text and fill
    in the values again (``translations/tables.py`` catalogues every literal given to it)."""

    source: str
    values: dict[str, str]

    def __new__(cls, source: str, **values: str) -> Wording:
        made = super().__new__(cls, source.format(**values) if values else source)
        made.source, made.values = source, values
        return made


CONSENT_PROBLEM = "consent"
"""The key of :meth:`WrapUpWork.problems` for a recording consent not yet answered."""

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_CALLBACK_IDS = uuid.UUID("6f1d3c52-0f7e-4a55-9a8e-3b2f1c7d9e40")
"""Namespace of callback entry ids: one per call, derived from its record id."""


# -- the code tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """A field a code requires (date-time, text or yes/no)."""

    name: str
    type: FieldType
    label: str

    @property
    def is_callback(self) -> bool:
        """A date-time named for a callback: setting it also requests the callback."""
        return self.type == "datetime" and "callback" in self.name


@dataclass(frozen=True)
class CodeNode:
    """One code of a tree; a code with children is a heading, not a choice."""

    code: str
    label: str
    children: tuple[CodeNode, ...] = ()
    fields: tuple[FieldSpec, ...] = ()

    @property
    def selectable(self) -> bool:
        return not self.children

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


def _fold(text: str) -> str:
    """Lower case without accents, for filtering ("resumé" finds "RESUME")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class CodeTree:
    """A campaign's disposition codes (the cache's ``code_trees`` document)."""

    codes: tuple[CodeNode, ...]
    id: str = ""
    name: str = ""
    version: int = 0

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> CodeTree:
        """The tree of a server document; entries that are not well formed are left out
        (the server checks trees, this only keeps a damaged one from stopping the desk)."""
        version = doc.get("version")
        return cls(
            codes=_nodes(doc.get("codes"), depth=0),
            id=str(doc.get("id") or ""),
            name=str(doc.get("name") or ""),
            version=version if isinstance(version, int) else 0,
        )

    def walk(self) -> Iterator[CodeNode]:
        """Every code, depth first, in the tree's order."""

        def down(nodes: tuple[CodeNode, ...]) -> Iterator[CodeNode]:
            for node in nodes:
                yield node
                yield from down(node.children)

        return down(self.codes)

    def find(self, code: str) -> CodeNode | None:
        return next((n for n in self.walk() if n.code == code), None)

    def path(self, code: str) -> tuple[CodeNode, ...]:
        """The headings above ``code`` and the code itself (empty when it is not here)."""

        def down(nodes: tuple[CodeNode, ...], above: tuple[CodeNode, ...]) -> tuple[CodeNode, ...]:
            for node in nodes:
                if node.code == code:
                    return (*above, node)
                found = down(node.children, (*above, node))
                if found:
                    return found
            return ()

        return down(self.codes, ())

    def filter(self, text: str) -> list[CodeNode]:
        """Codes whose label or code name holds every word of ``text`` (any case, accents
        ignored), in the tree's order; every code for an empty text."""
        words = _fold(text).split()
        found = []
        for node in self.walk():
            haystack = _fold(f"{node.label} {node.code} {node.code.replace('_', ' ')}")
            if all(w in haystack for w in words):
                found.append(node)
        return found


def _nodes(raw: object, depth: int) -> tuple[CodeNode, ...]:
    if not isinstance(raw, list) or depth > 20:
        return ()
    nodes = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        code, label = item.get("code"), item.get("label")
        if not isinstance(code, str) or not code or not isinstance(label, str):
            continue
        fields = tuple(
            FieldSpec(f["name"], f["type"], str(f.get("label") or f["name"]))
            for f in item.get("required_fields") or ()
            if isinstance(f, Mapping)
            and isinstance(f.get("name"), str)
            and f.get("type") in ("datetime", "text", "bool")
        )
        nodes.append(CodeNode(code, label, _nodes(item.get("children"), depth + 1), fields))
    return tuple(nodes)


# -- failed calls and the built-in codes -------------------------------------------------------


class Failure(StrEnum):
    """Why a call that needs a disposition was never answered."""

    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    DROPPED = "dropped"
    """Ended before an answer without a refusal: cancelled, lost, the phone restarted."""


SYSTEM_CODES: dict[Failure, CodeNode] = {
    Failure.BUSY: CodeNode("SYS_BUSY", "Busy"),
    Failure.NO_ANSWER: CodeNode("SYS_NO_ANSWER", "No answer"),
    Failure.REJECTED: CodeNode("SYS_REJECTED", "Rejected"),
    Failure.DROPPED: CodeNode("SYS_DROPPED", "Dropped before answer"),
}
SYS_VOICEMAIL = CodeNode("SYS_VOICEMAIL", "Voicemail left")
"""A voicemail drop: recorded without typing when the message was left."""
VOICEMAIL_LEFT = "voicemail_left"
"""The end reason of a call whose voicemail drop was started (the desk left it then)."""
SYS_HANDLED = CodeNode("SYS_HANDLED", "Handled (no code list on this desk)")
SYSTEM_TREE = CodeTree(
    (*SYSTEM_CODES.values(), SYS_VOICEMAIL, SYS_HANDLED), id="system", name="System codes"
)
"""The built-in codes: always a valid choice (labels are source text: views translate)."""

_SYNONYMS: dict[Failure, tuple[str, ...]] = {
    Failure.BUSY: ("BUSY", "LINE_BUSY"),
    Failure.NO_ANSWER: ("NO_ANSWER", "NOANSWER", "UNANSWERED"),
    Failure.REJECTED: ("REJECTED", "DECLINED", "REFUSED"),
    Failure.DROPPED: ("DROPPED", "DROPPED_BEFORE_ANSWER", "ABANDONED"),
}


_VOICEMAIL_NAMES = ("VOICEMAIL", "VOICEMAIL_LEFT", "ANSWERING_MACHINE")
"""A campaign's names for "an answering machine took the call" (the patient not reached)."""


def failure_of(call: CallSession) -> Failure | None:
    """Why the call was not answered (None for an answered call), from its SIP code."""
    if call.answered:
        return None
    code = call.end_code
    if code in (486, 600):
        return Failure.BUSY
    if code in (408, 480):
        return Failure.NO_ANSWER
    if code < 400 or code == 487:  # no final refusal: cancelled, lost, restarted
        return Failure.DROPPED
    return Failure.REJECTED


def not_reached(code: str | None) -> bool:
    """A code that says the patient was not reached (busy, no answer, rejected, dropped,
    voicemail), built in or one of the names a campaign's tree gives them."""
    if not code:
        return False
    if code == SYS_VOICEMAIL.code or code in {n.code for n in SYSTEM_CODES.values()}:
        return True
    return code in _VOICEMAIL_NAMES or any(code in names for names in _SYNONYMS.values())


def system_code(failure: Failure, tree: CodeTree | None) -> CodeNode:
    """The code pre-selected for a failed call: the campaign's own, else the built-in one."""
    if tree is not None:
        for name in _SYNONYMS[failure]:
            node = tree.find(name)
            if node is not None and node.selectable and not node.fields:
                return node
    return SYSTEM_CODES[failure]


# -- where the work is kept ----------------------------------------------------------------


@runtime_checkable
class WrapUpJournal(Protocol):
    """Drafts and the one-transaction write (:class:`agent_app.store.journal.Journal`)."""

    def save_draft(self, record_id: str, part: str, payload: Mapping[str, Any]) -> None: ...

    def drafts(self) -> dict[str, dict[str, dict[str, Any]]]: ...

    def drop_draft(self, record_id: str) -> None: ...

    def enqueue_many(
        self, entries: Sequence[NewEntry], *, drop_draft: str | None = None
    ) -> list[str]: ...


class PlainOutbox(Protocol):
    def enqueue(
        self, kind: str, payload: Mapping[str, Any], *, call_id: str | None = None
    ) -> str: ...


class OutboxJournal:
    """For a desk given only an outbox (tests, a desk without its store): drafts live in
    memory and are lost on exit, entries go to the outbox one by one, each id once."""

    def __init__(self, outbox: PlainOutbox) -> None:
        self._outbox = outbox
        self._drafts: dict[str, dict[str, dict[str, Any]]] = {}
        self._written: set[str] = set()

    def save_draft(self, record_id: str, part: str, payload: Mapping[str, Any]) -> None:
        self._drafts.setdefault(record_id, {})[part] = dict(payload)

    def drafts(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {r: dict(parts) for r, parts in self._drafts.items()}

    def drop_draft(self, record_id: str) -> None:
        self._drafts.pop(record_id, None)

    def enqueue_many(
        self, entries: Sequence[NewEntry], *, drop_draft: str | None = None
    ) -> list[str]:
        ids = []
        for entry in entries:
            key = entry.item_id or str(uuid.uuid4())
            if key not in self._written:
                self._outbox.enqueue(entry.kind, entry.payload, call_id=entry.call_id)
                self._written.add(key)
            ids.append(key)
        if drop_draft is not None:
            self.drop_draft(drop_draft)
        return ids


class DeskCache(Protocol):
    """The cache's reads the wrap-up needs (:class:`agent_app.store.cache.PatientCache`)."""

    def document(self, feed: str, item_id: str) -> dict[str, Any] | None: ...

    def get(self, patient_id: str) -> PatientRecord | None: ...


class CacheReads:
    """Campaigns, code trees and patients from the cache; a store failure reads as absent
    (the desk then falls back to the built-in codes and the default calling window)."""

    def __init__(self, cache: Callable[[], DeskCache] | None) -> None:
        self._cache = cache

    def document(self, feed: str, item_id: str | None) -> dict[str, Any] | None:
        if self._cache is None or not item_id:
            return None
        try:
            return self._cache().document(feed, item_id)
        except StoreError as exc:
            log.warning("%s not read from the cache (%s)", feed, type(exc).__name__)
            return None

    def patient(self, patient_id: str | None) -> PatientRecord | None:
        if self._cache is None or not patient_id:
            return None
        try:
            return self._cache().get(patient_id)
        except StoreError as exc:
            log.warning("patient not read from the cache (%s)", type(exc).__name__)
            return None

    def code_tree(self, campaign_id: str | None) -> CodeTree | None:
        campaign = self.document("campaigns", campaign_id)
        tree_id = None if campaign is None else campaign.get("code_tree_id")
        doc = self.document("code_trees", tree_id if isinstance(tree_id, str) else None)
        return None if doc is None else CodeTree.from_document(doc)


# -- times -----------------------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; raises ``ValueError``."""
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local_zone() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


def _clock_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


# -- the work --------------------------------------------------------------------------------


class WrapUpWork:
    """The disposition of one call being filled in; see the module docstring.

    ``code``, ``fields`` and ``notes`` are the draft, saved to the journal (part
    "disposition") by every setter. Not thread-safe: drive it from the desk's thread.
    """

    def __init__(
        self,
        call: CallSession,
        *,
        journal: WrapUpJournal,
        reads: CacheReads,
        server_now: Callable[[], str],
        on_submitted: Callable[[str], None],
        on_problem: Callable[[str], None],
        draft: Mapping[str, Any] | None = None,
    ) -> None:
        self.call = call
        self._journal, self._reads, self._server_now = journal, reads, server_now
        self._on_submitted, self._on_problem = on_submitted, on_problem
        self.code: str | None = None
        self.fields: dict[str, FieldValue] = {}
        self.notes = ""
        self.callback_for: CallbackFor = "me"
        """Whose callback it is: the agent's own, or anyone's working the campaign."""
        self.submitted = False
        self.saved = True
        """False while the last change could not be written to the journal."""
        self._facts: dict[str, Any] | None = None
        self._tree_for: tuple[str | None, CodeTree | None] | None = None
        self._patient_for: tuple[str | None, PatientRecord | None] | None = None
        if draft is not None:
            self._load(draft)
        elif call.end_reason == VOICEMAIL_LEFT:
            self.code = SYS_VOICEMAIL.code
            self._save()
        else:
            failure = failure_of(call)
            if failure is not None:
                self.code = system_code(failure, self.tree).code
                self._save()

    def __repr__(self) -> str:  # the notes and fields may be PHI
        return f"WrapUpWork(record_id={self.record_id!r}, code={self.code!r})"

    @property
    def record_id(self) -> str:
        return self.call.record_id

    # -- what the panel shows --------------------------------------------------------------

    @property
    def tree(self) -> CodeTree | None:
        """The code tree of the call's campaign (None when this desk has none)."""
        campaign = self.call.campaign_id
        if self._tree_for is None or self._tree_for[0] != campaign:
            self._tree_for = (campaign, self._reads.code_tree(campaign))
        return self._tree_for[1]

    @property
    def system_tree(self) -> CodeTree:
        return SYSTEM_TREE

    @property
    def failure(self) -> Failure | None:
        return failure_of(self.call)

    def find(self, code: str | None) -> CodeNode | None:
        """A code of the campaign's tree or a built-in one."""
        if not code:
            return None
        tree = self.tree
        found = None if tree is None else tree.find(code)
        return found or SYSTEM_TREE.find(code)

    @property
    def node(self) -> CodeNode | None:
        """The chosen code (None when none is, or it left the campaign's tree)."""
        return self.find(self.code)

    @property
    def campaign(self) -> dict[str, Any] | None:
        return self._reads.document("campaigns", self.call.campaign_id)

    @property
    def patient(self) -> PatientRecord | None:
        pid = self.call.patient_id
        if self._patient_for is None or self._patient_for[0] != pid:
            self._patient_for = (pid, self._reads.patient(pid))
        return self._patient_for[1]

    @property
    def time_zone(self) -> str | None:
        """The patient's IANA time zone (None without a patient or a zone this system knows)."""
        record = self.patient
        if record is None or not record.time_zone:
            return None
        try:
            ZoneInfo(record.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return None
        return record.time_zone

    @property
    def zone(self) -> tzinfo:
        """The zone callback times are entered and shown in."""
        name = self.time_zone
        return ZoneInfo(name) if name else _local_zone()

    @property
    def calling_window(self) -> tuple[str, str]:
        """The campaign's calling window ("HH:MM", "HH:MM"), the patient's local time."""
        window = (self.campaign or {}).get("calling_window")
        if isinstance(window, Mapping):
            start, end = window.get("start"), window.get("end")
            texts = isinstance(start, str) and isinstance(end, str)
            if texts and _HHMM.match(str(start)) and _HHMM.match(str(end)):
                return str(start), str(end)
        return DEFAULT_WINDOW

    def when(self, name: str) -> datetime | None:
        """A date-time field as an aware time (None when unset or unreadable); a time
        typed without a zone is the patient's local time."""
        value = self.fields.get(name)
        if not isinstance(value, str) or not value.strip():
            return None
        try:
            moment = parse_time(value)
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    # -- changes (each saved at once) ---------------------------------------------------------

    def set_code(self, code: str) -> bool:
        """Choose a code (of the campaign's tree or a built-in one; not a heading)."""
        node = self.find(code)
        if node is None or not node.selectable or self.submitted:
            return False
        if code != self.code:
            self.code = code
            self._save()
        return True

    def set_field(self, name: str, value: FieldValue | datetime | None) -> bool:
        """Fill in one of the chosen code's fields (None clears it): text, an ISO
        date-time or a ``datetime`` (without a zone: the patient's local time), a bool."""
        node = self.node
        spec = None if node is None else node.field(name)
        if spec is None or self.submitted:
            return False
        if value is None:
            self.fields.pop(name, None)
        elif spec.type == "bool":
            if not isinstance(value, bool):
                return False
            self.fields[name] = value
        elif isinstance(value, datetime) and spec.type == "datetime":
            self.fields[name] = value.isoformat(timespec="minutes")
        elif isinstance(value, str):
            self.fields[name] = value
        else:
            return False
        self._save()
        return True

    def set_callback_for(self, whom: str) -> bool:
        """The callback is for this agent ("me") or anyone on the campaign ("anyone")."""
        if whom not in ("me", "anyone") or self.submitted:
            return False
        self.callback_for = "me" if whom == "me" else "anyone"
        self._save()
        return True

    def set_notes(self, text: str) -> None:
        if self.submitted or text == self.notes:
            return
        self.notes = text
        self._save()

    # -- checks and submit -------------------------------------------------------------------

    def problems(self) -> dict[str, str]:
        """What stops the submit: field name (or "code", "notes") → a plain message;
        empty when the disposition can be recorded."""
        found: dict[str, str] = {}
        node = self.node
        if node is None or not node.selectable:
            found["code"] = (
                Wording("Choose a disposition code.")
                if not self.code
                else Wording("This code is no longer in the campaign's list: choose another.")
            )
        else:
            for spec in node.fields:
                message = self._field_problem(spec)
                if message:
                    found[spec.name] = message
        if len(self.notes) > MAX_NOTES:
            found["notes"] = Wording(
                "Notes are limited to {count} characters.", count=f"{MAX_NOTES:,}"
            )
        if self.consent_missing:
            found[CONSENT_PROBLEM] = Wording(
                "This campaign needs the patient's answer to the recording disclosure: "
                "record it in the script first."
            )
        return found

    @property
    def consent_missing(self) -> bool:
        """The call was answered under a campaign that needs recording consent, the script
        asks for it, and the disclosure has no answer yet: no submit until it has one (a
        code that says the patient was not reached needs none)."""
        call = self.call
        if not call.answered or not_reached(self.code):
            return False
        if not consent.required(self._reads.document("campaigns", call.campaign_id)):
            return False
        run = call.script if isinstance(call.script, ScriptRun) else None
        return consent.asks(run) and consent.recording_consent(run) is None

    def _field_problem(self, spec: FieldSpec) -> str | None:
        value = self.fields.get(spec.name)
        if spec.type == "bool":
            if isinstance(value, bool):
                return None
            return Wording("Answer yes or no: {field}.", field=spec.label)
        if not isinstance(value, str) or not value.strip():
            return Wording("Fill in: {field}.", field=spec.label)
        if spec.type == "text":
            if len(value) <= MAX_TEXT:
                return None
            return Wording("Keep it under {count} characters.", count=f"{MAX_TEXT:,}")
        return self._time_problem(spec, value)

    def _time_problem(self, spec: FieldSpec, value: str) -> str | None:
        try:
            parsed = parse_time(value)
        except ValueError:
            return Wording("Enter a date and time, for example 2026-03-03 15:30.")
        zone = self.zone
        if parsed.tzinfo is None:
            moment = parsed.replace(tzinfo=zone)
            # A wall-clock time skipped when the clocks go forward does not exist.
            if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != parsed:
                return Wording(
                    "That time does not exist there (the clocks change): choose another."
                )
        else:
            moment = parsed
        return self._callback_problem(moment) if spec.is_callback else None

    def _callback_problem(self, moment: datetime) -> str | None:
        if not self.call.patient_id:
            return Wording("A callback needs the patient: choose the patient first.")
        now = parse_time(self._server_now())
        if moment <= now:
            return Wording("Choose a time in the future.")
        if moment > now + timedelta(days=366):
            return Wording("Choose a time within a year.")
        start, end = self.calling_window
        local = moment.astimezone(self.zone).time()
        begin, finish = _clock_time(start), _clock_time(end)
        inside = begin <= local <= finish if begin <= finish else not finish < local < begin
        if not inside:
            return Wording(
                "Choose a time between {start} and {end}, the patient's local time.",
                start=start,
                end=end,
            )
        return None

    def submit(self) -> bool:
        """Record the disposition (one journal transaction, idempotent by the call's
        record id), then complete the wrap-up; False when :meth:`problems` is not empty
        or the journal could not be written (the draft stays)."""
        if self.submitted:
            return True
        if self.problems():
            return False
        now = self._server_now()
        entries = [
            NewEntry(
                "disposition", self.payload(now), self.record_id, self.record_id, created_at=now
            )
        ]
        callback = self._callback()
        if callback is not None:
            entries.append(
                NewEntry(
                    "callback",
                    callback,
                    str(uuid.uuid5(_CALLBACK_IDS, self.record_id)),
                    self.record_id,
                    created_at=now,
                )
            )
        try:
            self._journal.enqueue_many(entries, drop_draft=self.record_id)
        except StoreError as exc:
            log.warning("disposition not recorded (%s)", type(exc).__name__)
            self._on_problem("The disposition could not be saved; it is still here: try again.")
            return False
        self.submitted = True
        self._on_submitted(self.record_id)
        return True

    def payload(self, now: str) -> dict[str, Any]:
        """The disposition entry as the server's intake takes it."""
        call = self.call
        node = self.node
        fields: dict[str, Any] = {}
        for spec in () if node is None else node.fields:
            value = self.fields.get(spec.name)
            if spec.type == "datetime":
                moment = self.when(spec.name)
                fields[spec.name] = None if moment is None else utc_text(moment)
            elif isinstance(value, str):
                fields[spec.name] = value.strip()
            else:
                fields[spec.name] = value
        return {
            "call_id": self.record_id,
            "patient_id": call.patient_id,
            "campaign_id": call.campaign_id,
            "code": self.code,
            "fields": fields,
            "notes": self.notes,
            "agent_started_at": call.started_at,
            "agent_ended_at": now,
            "script": self._script_record(),
            "verification": self._verification(),
            "call": self._call_facts(),
        }

    def _callback(self) -> dict[str, Any] | None:
        node = self.node
        specs = [] if node is None else [f for f in node.fields if f.is_callback]
        moment = None if not specs else self.when(specs[0].name)
        if moment is None or not self.call.patient_id:
            return None
        callback: dict[str, Any] = {
            "call_id": self.record_id,
            "patient_id": self.call.patient_id,
            "callback_at": utc_text(moment),
            "notes": self.notes,
            "for": self.callback_for,
        }
        if self.call.campaign_id:
            callback["campaign_id"] = self.call.campaign_id
        return callback

    def _script_record(self) -> dict[str, Any] | None:
        script = self.call.script
        if script is None:
            return None
        try:
            return dict(script.as_record())
        except Exception:  # the disposition matters more than the script's answers
            log.exception("the script run could not give its record")
            return None

    def _verification(self) -> dict[str, Any]:
        status = self.call.identity
        shown: dict[str, Any] = {
            "state": status.state.value,
            "failed_attempts": status.failed_attempts,
        }
        if status.state is Verification.REVEALED and status.reveal_reason:
            shown["revealed_reason"] = status.reveal_reason[:500]
        return shown

    def _call_facts(self) -> dict[str, Any]:
        call = self.call
        ended = call.ended_at or self._server_now()
        duration = 0.0
        if call.answered_at:
            try:
                seconds = (parse_time(ended) - parse_time(call.answered_at)).total_seconds()
                duration = round(min(max(seconds, 0.0), 7 * 24 * 3600.0), 3)
            except ValueError:
                duration = 0.0
        transferred = call.transfer is TransferState.DONE or call.end_reason == "transferred"
        target = call.transfer_target if transferred else None
        return {
            "direction": call.direction.value,
            "remote": _printable(call.number),
            "started_at": call.started_at,
            "answered_at": call.answered_at,
            "ended_at": ended,
            "duration_s": duration,
            "end_reason": call.end_reason[:200],
            "sip_code": call.end_code if 0 <= call.end_code <= 699 else 0,
            "transfer_target": (_printable(target) or None) if target else None,
        }

    # -- the draft ----------------------------------------------------------------------------

    def draft(self) -> dict[str, Any]:
        draft: dict[str, Any] = {
            "code": self.code,
            "fields": dict(self.fields),
            "notes": self.notes,
        }
        if self.callback_for != "me":  # the default is left out
            draft["callback_for"] = self.callback_for
        return draft

    def keep_facts(self) -> None:
        """Save the call's facts (draft part "call") when they changed since last saved:
        after a crash they rebuild the call this work is about."""
        facts = self.call.facts()
        if facts == self._facts:
            return
        try:
            self._journal.save_draft(self.record_id, "call", facts)
        except StoreError as exc:
            log.warning("wrap-up facts not saved (%s)", type(exc).__name__)
            self._on_problem("The call's details could not be saved for after a restart.")
            return
        self._facts = facts

    def facts_saved(self, facts: Mapping[str, Any]) -> None:
        """The journal already holds these facts (the work was restored from them)."""
        self._facts = dict(facts)

    def _load(self, draft: Mapping[str, Any]) -> None:
        code = draft.get("code")
        self.code = code if isinstance(code, str) and code else None
        fields = draft.get("fields")
        if isinstance(fields, Mapping):
            self.fields = {str(k): v for k, v in fields.items() if isinstance(v, str | bool)}
        notes = draft.get("notes")
        self.notes = notes if isinstance(notes, str) else ""
        self.callback_for = "anyone" if draft.get("callback_for") == "anyone" else "me"

    def _save(self) -> None:
        try:
            self._journal.save_draft(self.record_id, "disposition", self.draft())
        except StoreError as exc:
            log.warning("disposition draft not saved (%s)", type(exc).__name__)
            if self.saved:
                self._on_problem("What you typed could not be saved; keep this window open.")
            self.saved = False
            return
        self.saved = True


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isprintable())[:200]
