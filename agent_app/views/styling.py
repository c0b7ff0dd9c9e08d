"""The desk's look: a light and a dark palette (``ui.theme``: light, dark, or the system's),
one application-wide style sheet drawn from the palette in use, and levels (ok, warning,
problem...) that labels switch between through a dynamic property instead of inline colours;
labels whose text changes often keep a fixed size (:func:`fit_text`).

Colours were chosen for eight-hour shifts: no pure white or black grounds, body text at a
contrast of at least 7:1 on its ground, and state colours (Ready, Not ready, On a call...)
at 4.5:1 or more in both palettes. States never differ by colour alone: each has its word
and its icon too. Forms carry sizes and fonts in their own style sheets; colours live here
so that both palettes reach every form.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

log = logging.getLogger(__name__)

ThemeSetting = Literal["system", "light", "dark"]


@dataclass(frozen=True)
class Theme:
    name: Literal["light", "dark"]
    window: str
    surface: str  # cards, fields, buttons
    surface_alt: str  # quiet panels inside a surface
    border: str
    text: str
    muted: str
    accent: str  # focus rings, ringing, links
    highlight: str  # selection ground
    ok: str
    warning: str
    problem: str
    neutral: str
    # State chips: (ground, border) per state.
    ready: tuple[str, str]
    not_ready: tuple[str, str]
    overdue: tuple[str, str]
    calling: tuple[str, str]
    wrap_up: tuple[str, str]
    offline: tuple[str, str]
    hover: str
    checked: str
    disabled_text: str
    disabled_surface: str
    go: str  # answer, dial
    stop: str  # decline, hang up
    go_disabled: str
    stop_disabled: str
    notice: tuple[str, str, str]  # ground, text, border
    waiting: tuple[str, str]
    consult: tuple[str, str]
    title: str
    badge_ok: str
    badge_warning: str
    badge_problem: str
    badge_neutral: str
    glyph: str  # the neutral colour of action and indicator icons
    info: tuple[str, str]  # calm notices (offline banner, what to do): ground, border
    caution: tuple[str, str]  # something to look at (refused items): ground, border
    wrap_up_title: str  # the call's title on the wrap-up ground
    submit: tuple[str, str, str]  # the disposition's Submit: ground, border, disabled ground
    track: str  # the empty part of a progress bar
    disclosure: tuple[str, str, str]  # a step to read out: ground, border, left edge


LIGHT = Theme(
    name="light",
    window="#f4f6f8",
    surface="#ffffff",
    surface_alt="#f5f7fa",
    border="#c3ccd6",
    text="#1f2933",
    muted="#4f5b67",
    accent="#1565c0",
    highlight="#cfe0f5",
    ok="#1b5e20",
    warning="#7a5200",
    problem="#b00020",
    neutral="#475467",
    ready=("#e6f4ea", "#2e7d32"),
    not_ready=("#fff4d6", "#c49000"),
    overdue=("#fde7e9", "#b00020"),
    calling=("#e3f0fd", "#1565c0"),
    wrap_up=("#f1e9fb", "#6a1b9a"),
    offline=("#eceff1", "#78909c"),
    hover="#eef2f6",
    checked="#dde7f3",
    disabled_text="#8a96a3",
    disabled_surface="#f1f3f5",
    go="#2e7d32",
    stop="#c62828",
    go_disabled="#c8dcc9",
    stop_disabled="#efc9c9",
    notice=("#fdecea", "#7f1d1d", "#f5c2c0"),
    waiting=("#fff4d6", "#e0b400"),
    consult=("#eef2ff", "#9fa8da"),
    title="#1f3a5f",
    badge_ok="#e3f1e5",
    badge_warning="#fff3d6",
    badge_problem="#fde8e8",
    badge_neutral="#eaecf0",
    glyph="#37474F",
    info=("#eef3f8", "#c9d6e3"),
    caution=("#fbf3e6", "#e6cfa7"),
    wrap_up_title="#3f1466",
    submit=("#6a1b9a", "#4a148c", "#d0c4dc"),
    track="#e4e7ec",
    disclosure=("#fffaf0", "#e0a100", "#e08600"),
)

DARK = Theme(
    name="dark",
    window="#1d2227",
    surface="#262c33",
    surface_alt="#2b323a",
    border="#46505b",
    text="#e3e7eb",
    muted="#aeb8c2",
    accent="#6aaef2",
    highlight="#2a4a6e",
    ok="#86d492",
    warning="#eec471",
    problem="#ff9191",
    neutral="#b4bec8",
    ready=("#1e3826", "#5cb86a"),
    not_ready=("#3b3119", "#d9a93a"),
    overdue=("#45222a", "#ff7b86"),
    calling=("#1b3149", "#5aa2ee"),
    wrap_up=("#33284a", "#b591e6"),
    offline=("#2b323a", "#8795a3"),
    hover="#313941",
    checked="#24405f",
    disabled_text="#78838e",
    disabled_surface="#23292f",
    go="#2e7d32",
    stop="#c62828",
    go_disabled="#2c3e2e",
    stop_disabled="#4a2c2c",
    notice=("#45262a", "#ffd9d9", "#7a3a40"),
    waiting=("#3b3119", "#b8922e"),
    consult=("#252e48", "#6573c3"),
    title="#a6c8ef",
    badge_ok="#1e3826",
    badge_warning="#3b3119",
    badge_problem="#45222a",
    badge_neutral="#313941",
    glyph="#D3DAE1",
    info=("#23303c", "#3d4f61"),
    caution=("#362d1c", "#7a6331"),
    wrap_up_title="#d9c4f5",
    submit=("#6d3fa6", "#9b74cf", "#3a3247"),
    track="#3a434d",
    disclosure=("#302a1e", "#8a6c26", "#d9a93a"),
)

_in_use: list[Theme] = [LIGHT]


def current() -> Theme:
    """The palette in use (light until :func:`apply_theme` says otherwise)."""
    return _in_use[-1]


def choose(setting: str) -> Theme:
    """The palette for ``ui.theme``; ``system`` follows the desktop's colour scheme."""
    if setting == "dark":
        return DARK
    if setting == "light":
        return LIGHT
    hints = QGuiApplication.styleHints()
    return DARK if hints.colorScheme() == Qt.ColorScheme.Dark else LIGHT


def apply_theme(app: QApplication, setting: str = "light") -> Theme:
    """Fusion with the palette and the style sheet of ``setting`` on the whole application
    (Fusion honours palettes the same way on every platform). Returns the palette chosen."""
    theme = choose(setting)
    _in_use[:] = [theme]
    app.setStyle("Fusion")
    app.setPalette(palette(theme))
    app.setStyleSheet(style_sheet(theme))
    log.info("desk theme: %s (setting %s)", theme.name, setting)
    return theme


def palette(theme: Theme) -> QPalette:
    pal = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    for r, colour in (
        (role.Window, theme.window),
        (role.WindowText, theme.text),
        (role.Base, theme.surface),
        (role.AlternateBase, theme.surface_alt),
        (role.Text, theme.text),
        (role.Button, theme.surface),
        (role.ButtonText, theme.text),
        (role.ToolTipBase, theme.surface),
        (role.ToolTipText, theme.text),
        (role.PlaceholderText, theme.muted),
        (role.Highlight, theme.highlight),
        (role.HighlightedText, theme.text),
        (role.Link, theme.accent),
        (role.Mid, theme.border),
        (role.Midlight, theme.surface_alt),
        (role.Dark, theme.border),
        (role.Light, theme.surface),
    ):
        pal.setColor(r, QColor(colour))
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(group.Disabled, r, QColor(theme.disabled_text))
    pal.setColor(group.Disabled, role.Base, QColor(theme.disabled_surface))
    pal.setColor(group.Disabled, role.Button, QColor(theme.disabled_surface))
    return pal


def style_sheet(t: Theme) -> str:
    """Every colour rule of the desk's forms, for palette ``t``."""
    return f"""
QToolTip {{ color: {t.text}; background: {t.surface}; border: 1px solid {t.border}; }}
QGroupBox {{ color: {t.text}; }}
QGroupBox:disabled {{ color: {t.disabled_text}; }}
#errorLabel {{ color: {t.problem}; }}
#incomingLabel {{ color: {t.text}; background: {t.calling[0]}; border: 2px solid {t.calling[1]}; }}

/* status bar: Indicator levels */
#statusBar QLabel[level="ok"] {{ color: {t.ok}; }}
#statusBar QLabel[level="busy"] {{ color: {t.warning}; }}
#statusBar QLabel[level="problem"] {{ color: {t.problem}; }}
#statusBar QLabel[level="unknown"] {{ color: {t.muted}; }}

/* availability bar */
QFrame#stateChip {{ background: {t.offline[0]}; border: 1px solid {t.border}; }}
QFrame#stateChip[state="ready"] {{ background: {t.ready[0]}; border-color: {t.ready[1]}; }}
QFrame#stateChip[state="not_ready"] {{ background: {t.not_ready[0]};
    border-color: {t.not_ready[1]}; }}
QFrame#stateChip[state="not_ready"][overdue="true"] {{ background: {t.overdue[0]};
    border-color: {t.overdue[1]}; }}
QFrame#stateChip[state="ringing"], QFrame#stateChip[state="on_call"] {{
    background: {t.calling[0]}; border-color: {t.calling[1]}; }}
QFrame#stateChip[state="wrap_up"] {{ background: {t.wrap_up[0]}; border-color: {t.wrap_up[1]}; }}
QFrame#stateChip[state="offline"] {{ background: {t.offline[0]}; border-color: {t.offline[1]}; }}
QLabel#stateLabel, QLabel#stateTimer {{ color: {t.text}; }}
QLabel#stateNote {{ color: {t.muted}; }}
QLabel#stateNote[refused="true"] {{ color: {t.warning}; font-weight: 600; }}
QPushButton#readyButton, QToolButton#notReadyButton {{ border: 1px solid {t.border};
    background: {t.surface}; color: {t.text}; }}
QPushButton#readyButton:hover, QToolButton#notReadyButton:hover {{ background: {t.hover}; }}
QPushButton#readyButton:focus, QToolButton#notReadyButton:focus {{
    border: 2px solid {t.accent}; }}
QPushButton#readyButton:disabled, QToolButton#notReadyButton:disabled {{
    color: {t.disabled_text}; }}

/* softphone */
#SoftphoneForm QFrame#callCard {{ background: {t.surface_alt}; border: 1px solid {t.border}; }}
#SoftphoneForm QFrame#callCard[ringing="true"] {{ background: {t.calling[0]};
    border: 2px solid {t.calling[1]}; }}
#SoftphoneForm QLabel#callerLabel, #SoftphoneForm QLabel#callTimer {{ color: {t.text}; }}
#SoftphoneForm QLabel#callStateLabel {{ color: {t.text}; }}
#SoftphoneForm QLabel#callDetail, #SoftphoneForm QLabel#numberHint {{ color: {t.muted}; }}
#SoftphoneForm QLabel#numberHint[problem="true"] {{ color: {t.problem}; }}
#SoftphoneForm QLabel#noticeLabel {{ background: {t.notice[0]}; color: {t.notice[1]};
    border: 1px solid {t.notice[2]}; }}
#SoftphoneForm QFrame#waitingBanner {{ background: {t.waiting[0]};
    border: 1px solid {t.waiting[1]}; }}
#SoftphoneForm QFrame#consultBar {{ background: {t.consult[0]}; border: 1px solid {t.consult[1]}; }}
#SoftphoneForm QPushButton, #SoftphoneForm QToolButton#redialButton {{
    border: 1px solid {t.border}; background: {t.surface}; color: {t.text}; }}
#SoftphoneForm QPushButton:hover, #SoftphoneForm QToolButton#redialButton:hover {{
    background: {t.hover}; }}
#SoftphoneForm QPushButton:checked {{ background: {t.checked}; border-color: {t.accent}; }}
#SoftphoneForm QPushButton:disabled, #SoftphoneForm QToolButton#redialButton:disabled {{
    color: {t.disabled_text}; background: {t.disabled_surface}; border-color: {t.border}; }}
#SoftphoneForm QPushButton:focus, #SoftphoneForm QToolButton:focus,
#SoftphoneForm QLineEdit:focus, #SoftphoneForm QListWidget:focus {{
    border: 2px solid {t.accent}; }}
#SoftphoneForm QPushButton#answerButton, #SoftphoneForm QPushButton#dialButton {{
    background: {t.go}; color: #ffffff; border-color: {t.go}; }}
#SoftphoneForm QPushButton#answerButton:disabled, #SoftphoneForm QPushButton#dialButton:disabled {{
    background: {t.go_disabled}; border-color: {t.go_disabled}; color: {t.disabled_text}; }}
#SoftphoneForm QPushButton#declineButton, #SoftphoneForm QPushButton#hangupButton {{
    background: {t.stop}; color: #ffffff; border-color: {t.stop}; }}
#SoftphoneForm QPushButton#declineButton:disabled,
#SoftphoneForm QPushButton#hangupButton:disabled {{
    background: {t.stop_disabled}; border-color: {t.stop_disabled}; color: {t.disabled_text}; }}
#SoftphoneForm QPushButton#answerButton:focus, #SoftphoneForm QPushButton#dialButton:focus,
#SoftphoneForm QPushButton#declineButton:focus, #SoftphoneForm QPushButton#hangupButton:focus {{
    border: 3px solid {t.text}; }}
#SoftphoneForm QLineEdit#numberField {{ border: 1px solid {t.border}; background: {t.surface};
    color: {t.text}; }}

/* patient panel */
#patientPanelView #callHeader {{ background: {t.surface_alt}; border: 1px solid {t.border}; }}
#patientPanelView #callStateLabel {{ color: {t.title}; }}
#patientPanelView #callerLabel, #patientPanelView #callerNameLabel {{ color: {t.text}; }}
#patientPanelView #idleLabel, #patientPanelView #messageLabel {{ color: {t.muted}; }}
#patientPanelView #greetingName {{ color: {t.text}; }}
#patientPanelView #readOnlyBanner {{ background: {t.surface_alt}; color: {t.text}; }}
#patientPanelView QLabel[masked="true"] {{ color: {t.muted}; }}
#patientPanelView #verifyBox, #patientPanelView #revealBox {{ background: {t.surface_alt};
    border: 1px solid {t.border}; }}
#patientPanelView #verifyTitle, #patientPanelView #revealTitle,
#patientPanelView #pickerTitle, #patientPanelView #searchTitle {{ color: {t.title}; }}
#patientPanelView #verifyHint, #patientPanelView #pickerHint {{ color: {t.muted}; }}
QLabel[level="ok"] {{ color: {t.ok}; }}
QLabel[level="warning"] {{ color: {t.warning}; }}
QLabel[level="problem"] {{ color: {t.problem}; }}
QLabel[level="neutral"] {{ color: {t.neutral}; }}
#identityBadge[level="ok"] {{ background: {t.badge_ok}; color: {t.ok}; }}
#identityBadge[level="warning"] {{ background: {t.badge_warning}; color: {t.warning}; }}
#identityBadge[level="problem"] {{ background: {t.badge_problem}; color: {t.problem}; }}
#identityBadge[level="neutral"] {{ background: {t.badge_neutral}; color: {t.text}; }}

/* script panel */
#scriptPanelView #idleLabel, #scriptPanelView #messageLabel, #scriptPanelView #versionLabel,
#scriptPanelView #progressLabel, #scriptPanelView #answersTitle {{ color: {t.muted}; }}
#scriptPanelView #scriptTitle {{ color: {t.title}; }}
#scriptPanelView #languageNote {{ background: {t.badge_warning}; color: {t.warning}; }}
#scriptPanelView #languageNote[level="neutral"] {{ background: {t.badge_neutral};
    color: {t.text}; }}
#scriptPanelView QProgressBar {{ background: {t.track}; }}
#scriptPanelView QProgressBar::chunk {{ background: {t.accent}; }}
#scriptPanelView #stepFrame {{ background: {t.surface_alt}; border: 1px solid {t.border}; }}
#scriptPanelView #stepFrame[disclosure="true"] {{ background: {t.disclosure[0]};
    border: 1px solid {t.disclosure[1]}; border-left: 5px solid {t.disclosure[2]}; }}
#scriptPanelView #disclosureBadge {{ color: {t.warning}; }}
#scriptPanelView #stepText {{ color: {t.text}; }}
#scriptPanelView #answersBox QPushButton[chosen="true"] {{ border: 2px solid {t.accent}; }}
#scriptPanelView #saveProblem {{ color: {t.problem}; }}

/* disposition panel */
#dispositionPanelView #callFacts {{ background: {t.wrap_up[0]}; border: 1px solid {t.border}; }}
#dispositionPanelView #callTitle {{ color: {t.wrap_up_title}; }}
#dispositionPanelView #callDetails, #dispositionPanelView #whichLabel,
#dispositionPanelView #idleLabel, #dispositionPanelView #savedLabel {{ color: {t.muted}; }}
#dispositionPanelView #filterLabel, #dispositionPanelView #notesLabel {{ color: {t.title}; }}
#dispositionPanelView QPushButton#submitButton {{ background: {t.submit[0]}; color: #ffffff;
    border: 1px solid {t.submit[1]}; }}
#dispositionPanelView QPushButton#submitButton:focus {{ border: 2px solid {t.accent}; }}
#dispositionPanelView QPushButton#submitButton:disabled {{ background: {t.submit[2]};
    border-color: {t.submit[2]}; color: {t.disabled_text}; }}

/* offline banner, refused items, the locked desk, My day */
#offlineBanner {{ background: {t.info[0]}; border: 1px solid {t.info[1]}; }}
#offlineBanner[level="refused"] {{ background: {t.caution[0]}; border-color: {t.caution[1]}; }}
#offlineBanner QLabel {{ color: {t.text}; }}
#refusedItemsDialog #reasonLabel {{ color: {t.warning}; background: {t.caution[0]}; }}
QPushButton#phoneRetryButton {{ color: {t.accent}; }}
#deskBlockedPage #blockedCard {{ background: {t.surface_alt}; border: 1px solid {t.border}; }}
#deskBlockedPage #blockedTitle {{ color: {t.title}; }}
#deskBlockedPage #blockedWhy {{ color: {t.text}; }}
#deskBlockedPage #blockedTodo {{ color: {t.text}; background: {t.info[0]}; }}
#myDayDialog #dayTitle {{ color: {t.title}; }}
#myDayDialog #callsValue, #myDayDialog #handleValue, #myDayDialog #wrapUpValue,
#myDayDialog #talkValue {{ color: {t.text}; background: {t.surface_alt};
    border: 1px solid {t.border}; border-bottom: none; }}
#myDayDialog #callsCaption, #myDayDialog #handleCaption, #myDayDialog #wrapUpCaption,
#myDayDialog #talkCaption {{ color: {t.muted}; background: {t.surface_alt};
    border: 1px solid {t.border}; border-top: none; }}
#myDayDialog #waitingLabel {{ color: {t.muted}; }}
#complianceBadge[level="ok"], #dueBadge[level="ok"] {{ background: {t.badge_ok}; color: {t.ok}; }}
#complianceBadge[level="warning"], #dueBadge[level="warning"] {{ background: {t.badge_warning};
    color: {t.warning}; }}
#complianceBadge[level="problem"] {{ background: {t.badge_problem}; color: {t.problem}; }}
#queuePanelView #leaseCard {{ background: {t.surface_alt}; border: 1px solid {t.border}; }}
#queuePanelView #idleLabel, #queuePanelView #modeLabel {{ color: {t.muted}; }}
#queuePanelView #patientName, #queuePanelView #campaignTitle {{ color: {t.title}; }}
"""


# Sizes and shapes of the patient panel (its colours are in style_sheet).
PATIENT_PANEL_STYLE = """
#callHeader { border-radius: 6px; }
#callStateLabel { font-weight: 600; }
#idleLabel, #messageLabel { font-size: 11pt; padding: 24px; }
#greetingName { font-size: 20pt; font-weight: 600; }
#identityBadge, #complianceBadge { border-radius: 11px; padding: 3px 12px; font-weight: 600; }
#readOnlyBanner { border-radius: 4px; padding: 6px 8px; }
#verifyBox, #revealBox { border-radius: 6px; }
#verifyTitle, #revealTitle, #pickerTitle, #searchTitle { font-weight: 600; }
QListWidget { font-size: 11pt; }
#patientPanelView QPushButton { padding: 5px 14px; }
QListWidget::item { padding: 6px 4px; }
"""


def set_level(widget: QWidget, level: str) -> None:
    """Restyle ``widget`` for ``level`` (style sheets read dynamic properties at polish time)."""
    if widget.property("level") == level:
        return
    widget.setProperty("level", level)
    _repolish(widget)


def set_masked(widget: QWidget, masked: bool) -> None:
    if widget.property("masked") == masked:
        return
    widget.setProperty("masked", masked)
    _repolish(widget)


def _repolish(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def fit_text(label: QLabel) -> None:
    """Give ``label`` a fixed size that fits its text, growing but never shrinking.

    A label whose size may change lays out its whole window again with each new text (a
    timer: every second); a fixed one repaints only itself, and grows when a longer text
    (another state, a translation) needs the room.
    """
    hint = label.sizeHint()
    width = max(hint.width(), label.minimumWidth())
    if (
        label.minimumSize() != label.maximumSize()
        or width > label.maximumWidth()
        or hint.height() != label.maximumHeight()
    ):
        label.setFixedSize(width, hint.height())


# Sizes and shapes of the queue panel (its colours are in style_sheet).
QUEUE_PANEL_STYLE = """
#leaseCard { border-radius: 6px; padding: 6px; }
#patientName { font-size: 15pt; font-weight: 600; }
#campaignTitle { font-weight: 600; }
#complianceBadge, #dueBadge { border-radius: 11px; padding: 3px 12px; font-weight: 600; }
#countdownLabel { font-size: 12pt; font-weight: 600; }
#dialButton { padding: 8px 22px; font-size: 12pt; font-weight: 600; }
#skipButton, #nextButton { padding: 6px 14px; }
QListWidget::item { padding: 4px 4px; }
"""
