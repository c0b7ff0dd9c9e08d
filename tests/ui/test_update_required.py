"""The sign-in dialog's "Update required" refusal, in English and in Spanish."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from agent_app.sync.version_policy import UpdateRequired
from agent_app.views.language import Language
from agent_app.views.login_dialog import login_error_text


def test_update_required_names_both_versions_in_the_desk_language(qapp: QApplication) -> None:
    refusal = UpdateRequired("2.4.0", "2.1.3")
    assert login_error_text(refusal) == (
        "Update required: this server needs Pulse 2.4.0 or later (you have 2.1.3)."
    )
    chosen = Language(qapp)
    try:
        assert chosen.apply("es") == "es"
        text = login_error_text(refusal)
        assert "2.4.0" in text and "2.1.3" in text
        assert text.startswith("Se requiere")
    finally:
        chosen.apply("en")
