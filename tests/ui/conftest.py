"""Fixtures of the desk's UI tests: the desk with a real engine process, and pulse-phone peers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from agent_app.views.styling import apply_theme
from testbed.ports import free_port
from tests.helpers.telephony_peers import Phone, phones
from tests.ui.desk_rig import DeskRig, make_desk


@pytest.fixture(scope="session", autouse=True)
def desk_look(qapp: QApplication) -> None:
    """The light palette and the desk's style sheet, as the app applies them at start."""
    apply_theme(qapp, "light")


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[Callable[..., Phone]]:
    """pulse-phone processes on loopback (callers, transfer targets), stopped at the end."""
    with phones(tmp_path) as make:
        yield make


@pytest.fixture
def desk_factory(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., DeskRig]]:
    made: list[DeskRig] = []

    def make(**options: Any) -> DeskRig:
        rig = make_desk(qtbot, tmp_path / f"desk{len(made)}", free_port(), **options)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.phone.stop()
        rig.journal.close()


@pytest.fixture
def desk(desk_factory: Callable[..., DeskRig]) -> DeskRig:
    return desk_factory()
