"""Recording consent: the patient's answer at the script's disclosure step, read from the call's
script run, and what the desk does with a refusal.

A campaign that needs all-party consent (``recording_consent`` in its document) puts a
disclosure step with answers in its script: the **first** answer is the patient's agreement,
any other is a refusal. The answer is kept on the call record through the script's record (its
``answers``), which the disposition carries to the server.

Pulse records no call audio at the client (the engine's recorder serves tests and the test
phone only), so a refusal has no client recording to pause: :func:`recording_consent` reports
it, and a centre that records on its PBX acts on the record. Should the desk ever record,
it must stop when this says ``refused``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from agent_app.workflow.script_run import ScriptRun


class Consent(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"


CLIENT_RECORDING = False
"""Whether the desk records call audio itself (it does not: nothing to pause on a refusal)."""


def required(campaign: Mapping[str, Any] | None) -> bool:
    """The campaign asks for the patient's consent to the recording."""
    return bool(campaign and campaign.get("recording_consent"))


def asks(run: ScriptRun | None) -> bool:
    """The run's script has a disclosure step that takes the patient's answer (a script
    without one cannot record consent: nothing on the desk can wait for it)."""
    if run is None:
        return False
    return any(step.disclosure and step.branches for step in run.variant.steps.values())


def recording_consent(run: ScriptRun | None) -> Consent | None:
    """The patient's latest answer at a disclosure step of the run's path (None: not asked,
    or a disclosure without answers, which is a notice rather than a question)."""
    if run is None:
        return None
    answer: Consent | None = None
    for visit in run.path:
        if visit.choice is None:
            continue
        step = run.variant.step(visit.step)
        if step.disclosure and step.branches:
            answer = Consent.GIVEN if visit.choice == 0 else Consent.REFUSED
    return answer
