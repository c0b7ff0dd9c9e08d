"""The desk's scripts: each call gets its :class:`ScriptRun` once its campaign is known, and
every change the agent makes to it is saved as the call's draft (part ``"script"``).

The run is started from the campaign's script as the cache has it at that moment and is
set as the call's ``script``; later versions apply from the next call. Until the agent
touches a run, it follows what the desk learns about the call (the patient chosen from a
household brings their campaign and preferred language). Views read the run and send the
agent's steps here, never to the run itself, so that nothing is left unsaved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Protocol

from agent_app.store.errors import StoreError
from agent_app.workflow.agent_session import AgentSession
from agent_app.workflow.call_session import CallSession
from agent_app.workflow.events import (
    CallAdded,
    CallChanged,
    CallFinished,
    WorkflowEvent,
    WrapUpAdded,
    WrapUpDone,
)
from agent_app.workflow.script_run import (
    CardRecord,
    ScriptDocument,
    ScriptError,
    ScriptRun,
    merge_values,
)

log = logging.getLogger(__name__)

SCRIPT_PART = "script"

Documents = Callable[[str, str], Mapping[str, Any] | None]
"""``documents(feed, id)``: a cached document (``PatientCache.document`` fits)."""
SaveDraft = Callable[[str, str, Mapping[str, Any]], None]
"""``save_draft(record_id, part, payload)`` (``Journal.save_draft`` fits)."""
Drafts = Callable[[], Mapping[str, Mapping[str, Mapping[str, Any]]]]
"""``drafts()``: record id → part → payload (``Journal.drafts`` fits)."""


class Patient(CardRecord, Protocol):
    @property
    def language(self) -> str: ...
    @property
    def campaign_ids(self) -> tuple[str, ...]: ...


class NoScript(StrEnum):
    """Why a call shows no script."""

    NO_CAMPAIGN = "no_campaign"
    """The call's campaign is not known (no patient chosen, no default campaign)."""
    NO_SCRIPT = "no_script"
    """The campaign has no script."""
    NOT_CACHED = "not_cached"
    """The campaign or its script is not in the local cache (yet)."""
    UNREADABLE = "unreadable"


class CallScripts:
    """The script runs of the desk's calls; see the module docstring."""

    def __init__(
        self,
        session: AgentSession,
        *,
        documents: Documents,
        patient: Callable[[str], Patient | None],
        agent_name: str = "",
        save_draft: SaveDraft | None = None,
        drafts: Drafts | None = None,
        default_campaign_id: str | None = None,
    ) -> None:
        self._session, self._documents, self._patient = session, documents, patient
        self.agent_name = agent_name
        self._save_draft, self._drafts = save_draft, drafts
        self._default_campaign = default_campaign_id
        self._why: dict[str, NoScript] = {}
        self.unsaved: set[str] = set()
        """Record ids of calls whose last script change could not be saved."""
        self._unsubscribe = session.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    # -- reading ---------------------------------------------------------------------------

    @staticmethod
    def run(call: CallSession) -> ScriptRun | None:
        script = getattr(call, "script", None)
        return script if isinstance(script, ScriptRun) else None

    def why_none(self, call: CallSession) -> NoScript:
        return self._why.get(call.record_id, NoScript.NO_CAMPAIGN)

    def campaign_of(self, call: CallSession) -> str | None:
        """The call's campaign: the workflow's when it set one, else the linked patient's
        first campaign the cache has, else the desk's default."""
        if call.campaign_id:
            return call.campaign_id
        patient = self._linked_patient(call)
        if patient is not None:
            for candidate in patient.campaign_ids:
                if self._document("campaigns", candidate) is not None:
                    return candidate
        return self._default_campaign or self._session.settings.default_campaign_id or None

    def values(self, call: CallSession) -> dict[str, str]:
        """The merge values the call allows now (see :func:`script_run.merge_values`)."""
        patient = self._linked_patient(call)
        run = self.run(call)
        campaign = None if run is None or run.campaign_id is None else run.campaign_id
        document = None if campaign is None else self._document("campaigns", campaign)
        name = document.get("name") if document else None
        phones = getattr(patient, "phones", ()) if patient is not None else ()
        return merge_values(
            agent_name=self.agent_name,
            campaign_name=name if isinstance(name, str) else "",
            patient=patient,
            linked_patient_id=call.patient_id if self._viewed(call, patient) else None,
            identity=call.identity,
            phone=str(getattr(phones[0], "number", "")) if phones else "",
        )

    def _viewed(self, call: CallSession, patient: CardRecord | None) -> bool:
        """Merge fields of a record are a view of it: audited first, as the card is, and
        nothing of the record when that fails."""
        if patient is None or call.patient_id != patient.id:
            return False
        return self._session.view_record(call.record_id, patient.id)

    # -- following the calls ---------------------------------------------------------------

    def _on_event(self, event: WorkflowEvent) -> None:
        if isinstance(event, CallAdded | CallChanged):
            self.follow(event.call)
        elif isinstance(event, WrapUpAdded) and not self._restore(event.item.call):
            self.follow(event.item.call)
        elif isinstance(event, WrapUpDone) or (
            isinstance(event, CallFinished) and not event.call.needs_wrap_up
        ):
            call = event.item.call if isinstance(event, WrapUpDone) else event.call
            self._why.pop(call.record_id, None)
            self.unsaved.discard(call.record_id)

    def _restore(self, call: CallSession) -> bool:
        """A wrap-up brought back after a restart gets its script run from its draft."""
        run = self.run(call)
        if (run is not None and run.touched) or self._drafts is None:
            return False
        try:
            snapshot = self._drafts().get(call.record_id, {}).get(SCRIPT_PART)
        except StoreError as exc:
            log.warning("drafts of call %s not read (%s)", call.record_id, type(exc).__name__)
            return False
        if snapshot is None:
            return False
        try:
            script_id = str(snapshot.get("script_id"))
            restored = ScriptRun.restore(snapshot, self._document("scripts", script_id))
        except ScriptError as exc:
            log.warning("script draft of call %s not restored: %s", call.record_id, exc)
            return False
        self._set(call, restored)
        log.info("call %s: script run restored from its draft", call.record_id)
        return True

    def follow(self, call: CallSession) -> ScriptRun | None:
        """Start the call's run when its campaign becomes known; keep it once used."""
        run = self.run(call)
        if run is not None and (run.touched or run.frozen):
            return run  # in use: nothing the desk learns changes it
        campaign_id = self.campaign_of(call)
        patient = self._linked_patient(call)
        language = patient.language if patient is not None and patient.language else None
        if run is not None and campaign_id in (None, run.campaign_id):
            run.prefer(language)
            return run
        if campaign_id is None:
            self._why[call.record_id] = NoScript.NO_CAMPAIGN
            return None
        # No run yet, or an unused one of another campaign (another patient was chosen).
        started = self._start(call, campaign_id, language)
        self._set(call, started)
        return started

    def _start(self, call: CallSession, campaign_id: str, language: str | None) -> ScriptRun | None:
        built = self._build(campaign_id, language, f"call {call.record_id}")
        if isinstance(built, NoScript):
            self._why[call.record_id] = built
            return None
        return built

    def _build(self, campaign_id: str, language: str | None, about: str) -> ScriptRun | NoScript:
        """A fresh run of the campaign's script as the cache has it (``about``: for the log)."""
        campaign = self._document("campaigns", campaign_id)
        if campaign is None:
            return NoScript.NOT_CACHED
        script_id = campaign.get("script_id")
        if not isinstance(script_id, str) or not script_id:
            return NoScript.NO_SCRIPT
        raw = self._document("scripts", script_id)
        if raw is None:
            return NoScript.NOT_CACHED
        try:
            document = ScriptDocument.from_document(raw)
        except ScriptError as exc:
            log.warning("script %s of %s cannot be shown: %s", script_id, about, exc)
            return NoScript.UNREADABLE
        default = campaign.get("default_language")
        log.info("%s: script %s version %s", about, document.id, document.version)
        return ScriptRun(
            document,
            preferred=language,
            default_language=default if isinstance(default, str) else None,
            campaign_id=campaign_id,
        )

    # -- before the call: a leased patient's preview ------------------------------------------

    def preview(self, campaign_id: str, patient_id: str) -> ScriptRun | NoScript:
        """The script a call to this patient under this campaign would start with, in the
        patient's language: shown while the agent previews a lease, before dialing. It is
        no call's run and is never saved; the call gets its own run once placed."""
        try:
            patient = self._patient(patient_id)
        except StoreError as exc:
            log.warning("previewed patient not read (%s)", type(exc).__name__)
            patient = None
        language = patient.language if patient is not None and patient.language else None
        return self._build(campaign_id, language, "preview")

    def preview_values(self, run: ScriptRun, patient_id: str) -> dict[str, str]:
        """The merge values before the call: the agent's, the campaign's and the patient's
        first name (the rest waits for the identity check on the call)."""
        try:
            patient = self._patient(patient_id)
        except StoreError:
            patient = None
        campaign = None if run.campaign_id is None else self._document("campaigns", run.campaign_id)
        name = campaign.get("name") if campaign else None
        return merge_values(
            agent_name=self.agent_name,
            campaign_name=name if isinstance(name, str) else "",
            patient=patient,
            linked_patient_id=patient_id,
            identity=None,
        )

    @staticmethod
    def _set(call: CallSession, run: ScriptRun | None) -> None:
        call.script = run

    def _document(self, feed: str, doc_id: str) -> Mapping[str, Any] | None:
        """A cached document; None when the cache cannot be read now (locked, closed)."""
        try:
            return self._documents(feed, doc_id)
        except StoreError as exc:
            log.warning("%s %s not read (%s)", feed, doc_id, type(exc).__name__)
            return None

    def _linked_patient(self, call: CallSession) -> Patient | None:
        patient_id = call.patient_id
        if patient_id is None:
            return None
        try:
            return self._patient(patient_id)
        except StoreError as exc:
            log.warning("patient of call %s not read (%s)", call.record_id, type(exc).__name__)
            return None

    # -- the agent's steps (each saved at once) ---------------------------------------------

    def answer(self, call: CallSession, index: int) -> bool:
        return self._change(call, lambda run: run.answer(index))

    def forward(self, call: CallSession) -> bool:
        return self._change(call, ScriptRun.forward)

    def back(self, call: CallSession) -> bool:
        return self._change(call, ScriptRun.back)

    def mark_read(self, call: CallSession, read: bool = True) -> bool:
        return self._change(call, lambda run: run.mark_read(read))

    def switch_language(self, call: CallSession, language: str) -> bool:
        return self._change(call, lambda run: run.switch_language(language))

    def _change(self, call: CallSession, change: Callable[[ScriptRun], bool]) -> bool:
        run = self.run(call)
        if run is None or not change(run):
            return False
        self.save(call)
        return True

    def save(self, call: CallSession) -> bool:
        """Write the call's run as its draft; False (and the call marked unsaved) if the
        journal refused it: the run keeps the change and the next change tries again."""
        run = self.run(call)
        if run is None or self._save_draft is None:
            return False
        try:
            self._save_draft(call.record_id, SCRIPT_PART, run.snapshot())
        except StoreError as exc:
            log.warning(
                "script draft of call %s not saved (%s)", call.record_id, type(exc).__name__
            )
            self.unsaved.add(call.record_id)
            return False
        self.unsaved.discard(call.record_id)
        return True
