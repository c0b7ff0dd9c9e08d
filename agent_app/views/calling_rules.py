"""The calling rules' verdicts in the agent's language: the reason sentence translated and
filled in, and the level a badge shows (ok, warning, problem) for green, amber and red."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from agent_app.workflow.dial_rules import Level, Verdict

BADGE_LEVEL = {Level.GREEN: "ok", Level.AMBER: "warning", Level.RED: "problem"}
"""The styling level of each verdict (colours from :mod:`agent_app.views.styling`)."""


def rule_text(verdict: Verdict) -> str:
    """The verdict's reason in the agent's language (its sentence translated, then filled)."""
    if verdict.template:
        try:
            return QCoreApplication.translate("CallingRules", verdict.template).format(
                **verdict.params
            )
        except (KeyError, IndexError, ValueError):
            return verdict.reason
    return QCoreApplication.translate("Workflow", verdict.reason) if verdict.reason else ""
