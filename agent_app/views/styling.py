"""The patient panel's look: one calm style sheet, and levels (ok, warning, problem...) that
labels switch between through a dynamic property instead of inline colours; labels whose
text changes often keep a fixed size (:func:`fit_text`)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

PATIENT_PANEL_STYLE = """
#callHeader { background: #eef2f7; border: 1px solid #d5dde8; border-radius: 6px; }
#callStateLabel { color: #1f3a5f; font-weight: 600; }
#callerLabel, #callerNameLabel { color: #344054; }
#idleLabel, #messageLabel { color: #475467; font-size: 11pt; padding: 24px; }
#greetingName { color: #1d2939; font-size: 20pt; font-weight: 600; }
#identityBadge { border-radius: 11px; padding: 3px 12px; font-weight: 600; }
#readOnlyBanner { background: #f2f4f7; color: #344054; border-radius: 4px; padding: 6px 8px; }
QLabel[masked="true"] { color: #667085; }
#verifyBox, #revealBox { background: #f8fafc; border: 1px solid #d5dde8; border-radius: 6px; }
#verifyTitle, #revealTitle, #pickerTitle, #searchTitle { color: #1f3a5f; font-weight: 600; }
#verifyHint, #pickerHint { color: #475467; }
QListWidget { font-size: 11pt; }
#patientPanelView QPushButton { padding: 5px 14px; }
QListWidget::item { padding: 6px 4px; }
QLabel[level="ok"] { color: #1b5e20; }
QLabel[level="warning"] { color: #7a5200; }
QLabel[level="problem"] { color: #b00020; }
QLabel[level="neutral"] { color: #475467; }
#identityBadge[level="ok"] { background: #e3f1e5; color: #1b5e20; }
#identityBadge[level="warning"] { background: #fff3d6; color: #7a5200; }
#identityBadge[level="problem"] { background: #fde8e8; color: #b00020; }
#identityBadge[level="neutral"] { background: #eaecf0; color: #344054; }
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
