"""Reveal reasons: the audited text is the code, then the agent's note on one line."""

from __future__ import annotations

from agent_app.workflow.reveal_reasons import DEFAULT_REVEAL_REASONS, RevealReason


def test_the_audit_text_is_the_code_then_the_note_on_one_line() -> None:
    reason = RevealReason("other", "Other", note_required=True)
    assert reason.audit_text() == "other"
    assert reason.audit_text("  ") == "other"
    assert (
        reason.audit_text(" approved by\nthe  supervisor ") == "other: approved by the supervisor"
    )


def test_the_default_codes_are_unique_and_only_other_needs_a_note() -> None:
    codes = [r.code for r in DEFAULT_REVEAL_REASONS]
    assert len(codes) == len(set(codes))
    assert [r.code for r in DEFAULT_REVEAL_REASONS if r.note_required] == ["other"]
