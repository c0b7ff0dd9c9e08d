"""packaging/README.md, IT's guide, keeps up with the settings: every key is documented, the
locked ones are listed as locked, and the installer's properties are described."""

from __future__ import annotations

import re
from pathlib import Path

from agent_app.foundation.config import LOCKABLE, SECTIONS
from agent_app.foundation.machine_config import OPTIONS

README = Path(__file__).resolve().parents[2] / "packaging" / "README.md"


def _section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## )", text, re.M | re.S)
    assert match is not None, heading
    return match.group(1)


def _every_key() -> list[str]:
    return [f"{name}.{key}" for name, section in SECTIONS.items() for key in section.model_fields]


def test_every_setting_has_a_row_in_the_machine_settings_table() -> None:
    table = _section(README.read_text(encoding="utf-8"), "Machine settings")
    rows = re.findall(r"^\| `([a-z_]+\.[a-z0-9_]+)`( 🔒)? \|", table, re.M)
    assert [key for key, _ in rows] == _every_key()
    # The padlock marks exactly the settings the machine file locks.
    assert {key for key, lock in rows if lock} == LOCKABLE


def test_the_locked_settings_section_names_each_of_them() -> None:
    section = _section(README.read_text(encoding="utf-8"), "Locked settings")
    assert set(re.findall(r"`([a-z_]+\.[a-z0-9_]+)`", section)) == LOCKABLE


def test_the_installer_properties_are_documented() -> None:
    section = _section(README.read_text(encoding="utf-8"), "Silent install")
    for option, dotted in OPTIONS.items():
        assert re.search(rf"^\| `{option.upper()}` \| `{re.escape(dotted)}` \|", section, re.M)
