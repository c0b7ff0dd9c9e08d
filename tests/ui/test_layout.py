"""The desk at 1366×768, the smallest screen of the centres, in both palettes and in Spanish,
and at 200 % scaling: signed in, ringing and on a call (real engine, real caller), no label
or button is cut or pushed out of the window and every status-bar indicator is whole.

The 200 % run is this file again in a child process with ``QT_SCALE_FACTOR=2`` (Qt reads the
scale once, at start). Under ``make screenshots`` every state is kept as a PNG.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QLineEdit,
    QWidget,
)

from agent_app.secrets.store import SecretStore
from agent_app.store.agent_store import AgentStore
from agent_app.views import styling
from agent_app.views.language import Language
from agent_app.views.patient_panel import PatientPanel
from agent_app.workflow.agent_state import AgentState
from agent_app.workflow.call_session import CallPhase
from testbed.store_population import campaign_item, patient_items
from tests.helpers.telephony_peers import Phone
from tests.ui.desk_rig import CALLER, DeskRig

pytestmark = [pytest.mark.integration, pytest.mark.slow]

WIDTH, HEIGHT = 1366, 768
NARROW = 1024
SCALED = os.environ.get("QT_SCALE_FACTOR", "1") not in {"", "1"}
ROOT = Path(__file__).resolve().parents[2]


def _where(widget: QWidget) -> str:
    text = getattr(widget, "text", lambda: "")()
    return f"{type(widget).__name__} {widget.objectName() or '?'} {text!r}"


def cut_or_outside(window: QWidget) -> list[str]:
    """Visible labels and buttons narrower or lower than their text needs, or reaching
    outside the window; what a scroll area scrolls is left out (it is meant to scroll)."""
    problems = []
    viewports = [area.viewport() for area in window.findChildren(QAbstractScrollArea)]
    bounds = window.rect()
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or any(v.isAncestorOf(widget) for v in viewports):
            continue
        rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        if not bounds.contains(rect):
            problems.append(f"{_where(widget)} reaches outside the window: {rect}")
        if isinstance(widget, QLineEdit) and widget.placeholderText() and not widget.text():
            # The hint of an empty field is all the agent sees of it.
            room = widget.width() - 28  # frame, the form's 8 px padding, text margins
            if widget.fontMetrics().horizontalAdvance(widget.placeholderText()) > room:
                problems.append(f"{_where(widget)}: its hint is cut ({widget.width()} px)")
        if not isinstance(widget, QLabel | QAbstractButton):
            continue
        need = widget.minimumSizeHint()
        if isinstance(widget, QLabel) and widget.wordWrap():
            if widget.height() < widget.heightForWidth(widget.width()):
                problems.append(f"{_where(widget)} is cut: {widget.size()} for its lines")
        elif widget.width() < need.width() or widget.height() < need.height():
            problems.append(f"{_where(widget)} is cut: {widget.size()} < {need}")
    return problems


def status_bar_cut(rig: DeskRig) -> list[str]:
    bar = rig.window.status
    return [
        f"{_where(indicator)}: {indicator.width()} < {indicator.sizeHint().width()}"
        for indicator in (
            bar.agent,
            bar.registration,
            bar.security,
            bar.quality,
            bar.connection,
            bar.sync,
        )
        if indicator.isVisible() and indicator.width() < indicator.sizeHint().width()
    ]


def check(rig: DeskRig, name: str) -> None:
    QApplication.processEvents()
    assert (rig.window.width(), rig.window.height()) == (WIDTH, HEIGHT)
    assert cut_or_outside(rig.window) == [], name
    assert status_bar_cut(rig) == [], name
    rig.shot(f"layout-{WIDTH}{'-200pct' if SCALED else ''}-{name}")
    # Narrower still, the status bar drops its captions rather than cutting an indicator.
    rig.window.resize(NARROW, HEIGHT)
    QApplication.processEvents()
    assert status_bar_cut(rig) == [], f"{name} at {NARROW}"
    rig.window.resize(WIDTH, HEIGHT)
    QApplication.processEvents()


@pytest.fixture
def spanish(qapp: QApplication) -> Iterator[None]:
    before = QLocale()
    chosen = Language(qapp)
    chosen.apply("es")
    yield
    chosen.apply("")
    QLocale.setDefault(before)


@pytest.fixture
def store(secret_backend: object, request: pytest.FixtureRequest) -> Iterator[AgentStore]:
    """A real store with synthetic patients, for the patient panel beside the softphone."""
    opened = AgentStore.open(
        agent_id=f"agent-{abs(hash(request.node.nodeid)) % 10**10}",
        workstation_id="ws-layout",
        secrets=SecretStore(secret_backend),  # type: ignore[arg-type]
    )
    opened.cache.apply_snapshot(
        "campaigns", [campaign_item("camp-a")], cursor="c-1", first=True, last=True
    )
    opened.cache.apply_snapshot(
        "patients", list(patient_items(4)), cursor="p-1", first=True, last=True
    )
    try:
        yield opened
    finally:
        opened.close()


def _walk_states(
    desk_factory: Callable[..., DeskRig],
    peers: Callable[..., Phone],
    store: AgentStore,
    prefix: str,
) -> None:
    rig = desk_factory()
    # The caller is no patient of the store: the panel shows its search, its tallest state.
    rig.window.set_patient_panel(PatientPanel(rig.session, store, rig.window))
    rig.window.resize(WIDTH, HEIGHT)
    rig.press("ready")
    rig.wait(lambda: rig.session.state is AgentState.READY, "Ready after F9")
    check(rig, f"{prefix}-01-ready")
    caller = peers("call", rig.address, "--username", CALLER, "--duration", "60", "--timeout", "60")
    caller.ready()
    rig.wait(lambda: rig.session.offered_call is not None, "the call rings")
    check(rig, f"{prefix}-02-ringing")
    rig.press("answer")
    rig.wait(lambda: rig.only_call().phase is CallPhase.TALKING, "talking")
    check(rig, f"{prefix}-03-on-call")
    rig.press("hangup")
    rig.wait(lambda: not rig.session.calls, "the call ended")
    check(rig, f"{prefix}-04-wrap-up")


def test_the_desk_fits_in_the_light_palette(
    desk_factory: Callable[..., DeskRig], peers: Callable[..., Phone], store: AgentStore
) -> None:
    _walk_states(desk_factory, peers, store, "light")


def test_the_desk_fits_in_the_dark_palette(
    qapp: QApplication,
    desk_factory: Callable[..., DeskRig],
    peers: Callable[..., Phone],
    store: AgentStore,
) -> None:
    styling.apply_theme(qapp, "dark")
    try:
        _walk_states(desk_factory, peers, store, "dark")
    finally:
        styling.apply_theme(qapp, "light")


def test_the_desk_fits_in_spanish(
    spanish: None,
    desk_factory: Callable[..., DeskRig],
    peers: Callable[..., Phone],
    store: AgentStore,
) -> None:
    _walk_states(desk_factory, peers, store, "es")


@pytest.mark.skipif(SCALED, reason="this is the 200 % run")
def test_the_desk_fits_at_200_percent(tmp_path: Path) -> None:
    env = {**os.environ, "QT_SCALE_FACTOR": "2"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(Path(__file__).relative_to(ROOT)),
            "-k",
            "light or spanish",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout
