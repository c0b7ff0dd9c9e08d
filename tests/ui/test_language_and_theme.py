"""The desk's language and palettes: with ``ui.language = "es"`` the sign-in window and the
desk come up in Spanish (Qt's own buttons too); the light and dark palettes keep text and
state colours legible; the neutral icons turn pale on the dark palette."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel
from pytestqt.qtbot import QtBot

from agent_app.foundation.config import UiSettings
from agent_app.sync.login import LoginError, LoginResult
from agent_app.views import icons, styling
from agent_app.views.language import Language
from agent_app.views.login_dialog import LoginDialog
from agent_app.views.main_window import MainWindow, problem_text
from agent_app.views.status_bar import Level, PulseStatusBar
from agent_app.workflow.events import Problem
from agent_app.workflow.idle_lock import IdleLock


@pytest.fixture
def spanish(qapp: QApplication) -> Iterator[Language]:
    before = QLocale()
    chosen = Language(qapp)
    assert chosen.apply(UiSettings(language="es").language) == "es"
    yield chosen
    chosen.apply("")
    QLocale.setDefault(before)


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[styling.Theme]:
    theme = styling.apply_theme(qapp, "dark")
    yield theme
    styling.apply_theme(qapp, "light")


def _refuse(agent_id: str, password: str) -> LoginResult:
    raise LoginError("Agent ID or password is not correct.")


def test_the_sign_in_window_comes_up_in_spanish(qtbot: QtBot, spanish: Language) -> None:
    dialog = LoginDialog(_refuse, "https://pulse.invalid")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "Pulse — iniciar sesión"
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert "<h2>Pulse</h2>Inicie sesión para comenzar su turno." in texts
    assert "ID de &agente" in texts and "&Contraseña" in texts
    assert "Servidor: https://pulse.invalid" in texts
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.text() == "Aceptar"  # Qt's own catalogue

    dialog.agent_id.setText("agent7")
    dialog.password.setText("wrong")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(dialog.error.isVisible, timeout=5000)
    # The sign-in layer's refusal is catalogued too.
    assert dialog.error.text() == "El ID de agente o la contraseña no son correctos."


def test_the_desk_comes_up_in_spanish(qtbot: QtBot, spanish: Language) -> None:
    window = MainWindow("agent7", "Agent Seven", idle_lock=IdleLock(300), authenticate=_refuse)
    qtbot.addWidget(window)
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["&Pulse", "&Teléfono", "&Estado", "A&yuda"]
    assert window.panels["callPanel"].title() == "Llamada"
    assert window.panels["dispositionPanel"].title() == "Tipificación"
    assert window.sign_out_action.text() == "Cerrar sesión"
    assert window.status.registration.text() == "Teléfono: sin iniciar"


def test_without_a_catalogue_for_the_language_the_desk_is_english(
    qtbot: QtBot, qapp: QApplication
) -> None:
    chosen = Language(qapp)
    assert chosen.apply("de") == "en"
    try:
        dialog = LoginDialog(_refuse, "https://pulse.invalid")
        qtbot.addWidget(dialog)
        assert dialog.windowTitle() == "Pulse — sign in"
    finally:
        chosen.apply("")


def _luminance(colour: str) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    c = QColor(colour)
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("theme", [styling.LIGHT, styling.DARK], ids=lambda t: t.name)
def test_text_and_state_colours_are_legible_on_both_palettes(theme: styling.Theme) -> None:
    assert _contrast(theme.text, theme.window) >= 7
    assert _contrast(theme.text, theme.surface) >= 7
    assert _contrast(theme.muted, theme.surface) >= 4.5
    for ground, _border in (
        theme.ready,
        theme.not_ready,
        theme.overdue,
        theme.calling,
        theme.wrap_up,
        theme.offline,
    ):
        assert _contrast(theme.text, ground) >= 7, ground
    for level in (theme.ok, theme.warning, theme.problem, theme.neutral):
        assert _contrast(level, theme.window) >= 4.5, level
        assert _contrast(level, theme.surface_alt) >= 4.5, level
    for badge, level in (
        (theme.badge_ok, theme.ok),
        (theme.badge_warning, theme.warning),
        (theme.badge_problem, theme.problem),
    ):
        assert _contrast(level, badge) >= 4.5, badge
    # White words on the answer and hang-up buttons, and on the disposition's Submit.
    assert _contrast("#ffffff", theme.go) >= 4.5
    assert _contrast("#ffffff", theme.stop) >= 4.5
    assert _contrast("#ffffff", theme.submit[0]) >= 4.5
    # The grounds of the offline banner, refused items, a disclosure step and the wrap-up's
    # call facts carry body text, their level words and titles.
    for ground in (theme.info[0], theme.caution[0], theme.disclosure[0]):
        assert _contrast(theme.text, ground) >= 7, ground
    for ground in (theme.caution[0], theme.disclosure[0], theme.badge_warning):
        assert _contrast(theme.warning, ground) >= 4.5, ground
    assert _contrast(theme.wrap_up_title, theme.wrap_up[0]) >= 7
    assert _contrast(theme.muted, theme.wrap_up[0]) >= 4.5
    assert _contrast(theme.title, theme.surface_alt) >= 4.5
    assert _contrast(theme.muted, theme.surface_alt) >= 4.5
    # The retry link, and the filled part of the script's progress against its track.
    assert _contrast(theme.accent, theme.window) >= 4.5
    assert _contrast(theme.accent, theme.track) >= 3


def test_the_dark_palette_reaches_the_window_and_the_status_bar(
    qtbot: QtBot, dark: styling.Theme
) -> None:
    bar = PulseStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    bar.connection.show_state("offline", Level.PROBLEM, "")
    assert bar.connection.palette().color(bar.connection.foregroundRole()) == QColor(dark.problem)
    assert QApplication.palette().window().color() == QColor(dark.window)


def test_neutral_icons_turn_pale_on_the_dark_palette(dark: styling.Theme) -> None:
    def lightness(name: icons.IconName) -> float:
        image = icons.icon(name).pixmap(24, 24).toImage()
        seen = [
            image.pixelColor(x, y)
            for y in range(image.height())
            for x in range(image.width())
            if image.pixelColor(x, y).alpha() > 200
        ]
        assert seen, name
        return sum(c.lightnessF() for c in seen) / len(seen)

    assert lightness("hold") > 0.7
    assert _contrast(dark.glyph, dark.surface) >= 7
    styling.apply_theme(QApplication.instance(), "light")  # type: ignore[arg-type]
    assert lightness("hold") < 0.4


def test_a_calling_rule_refusal_reaches_the_status_bar_in_spanish(
    qtbot: QtBot, spanish: Language
) -> None:
    window = MainWindow("agent7", "Agent Seven", idle_lock=IdleLock(300), authenticate=_refuse)
    qtbot.addWidget(window)
    template = "Outside the patient's calling hours: {local_time} in {time_zone}"
    params = (("local_time", "21:34"), ("time_zone", "America/Chicago"))
    english = template.format(**dict(params)) + "."
    assert problem_text(Problem(english, template=template, params=params)) == (
        "Fuera del horario de llamadas del paciente: 21:34 en America/Chicago."
    )
    # A problem with no sentence of the rules is translated whole.
    assert problem_text(Problem("The audit log could not be written.")) != (
        "The audit log could not be written."
    )
