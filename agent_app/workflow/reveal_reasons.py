"""Why an agent may unmask a card without verifying the caller: the reason codes the centre allows.

A reveal is the exception to the identity gate (HIPAA 164.514(h)); each one is audited with
its code (:meth:`agent_app.workflow.agent_session.AgentSession.reveal`). The list here is
the default a centre starts from; the label is source text that the views translate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RevealReason:
    code: str
    label: str
    note_required: bool = False
    """The code alone does not say enough: the agent must add a note."""

    def audit_text(self, note: str = "") -> str:
        """What the audit event's reason carries: the code, then the agent's note if any."""
        note = " ".join(note.split())
        return f"{self.code}: {note}" if note else self.code


DEFAULT_REVEAL_REASONS: tuple[RevealReason, ...] = (
    RevealReason("clinical_emergency", "Clinical emergency: the patient's safety is at risk"),
    RevealReason("authorised_representative", "Authorised representative on file"),
    RevealReason("caller_cannot_answer", "The caller cannot give identifiers (disability)"),
    RevealReason("other", "Other (explain in the note)", note_required=True),
)
