"""The desk's keyboard shortcuts: one table that actions, tooltips and the Help sheet read.

Keys follow the common contact-centre convention (Ctrl+Shift+A answer, R reject, M mute,
H hold) so agents moving from another desktop keep their habits.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

_CONTEXT = "Shortcuts"


@dataclass(frozen=True)
class Shortcut:
    action: str
    keys: str
    label: str
    """Source text; shown through :func:`label` so it is translated."""
    window_wide: bool = True
    """False for a key that belongs to one field (Enter in the number field): listed in
    tooltips and the Help sheet, never bound to the window."""


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("answer", "Ctrl+Shift+A", "Answer the ringing call"),
    Shortcut("decline", "Ctrl+Shift+R", "Decline the ringing call"),
    Shortcut("hangup", "Ctrl+Shift+E", "Hang up"),
    Shortcut("hold", "Ctrl+Shift+H", "Hold or resume"),
    Shortcut("mute", "Ctrl+Shift+M", "Mute or unmute the microphone"),
    Shortcut("transfer", "Ctrl+Shift+T", "Transfer the call"),
    Shortcut("conference", "Ctrl+Shift+C", "Add a third party (conference)"),
    Shortcut("keypad", "Ctrl+Shift+K", "Show or hide the keypad"),
    Shortcut("dial_focus", "Ctrl+L", "Go to the number field"),
    Shortcut("dial", "Return", "Call the number in the number field", window_wide=False),
    Shortcut("redial", "Ctrl+Shift+D", "Redial the last number"),
    Shortcut("history", "Ctrl+Shift+Y", "Go to the call history"),
    Shortcut("verify", "Ctrl+Shift+V", "Verify the caller's identity"),
    Shortcut("search", "Ctrl+F", "Search for a patient"),
    Shortcut("submit_disposition", "Ctrl+Return", "Submit the disposition"),
    Shortcut("script", "Ctrl+Shift+S", "Go to the call script"),
    Shortcut("script_back", "Alt+Left", "Script: back one step"),
    Shortcut("script_forward", "Alt+Right", "Script: next step"),
    Shortcut("ready", "F9", "Go Ready"),
    Shortcut("not_ready", "F10", "Go Not ready (choose a reason)"),
    Shortcut("help_shortcuts", "F1", "Show the keyboard shortcuts"),
    Shortcut("my_day", "Ctrl+Shift+J", "Show My day (today's figures)"),
    Shortcut("refused_items", "Ctrl+Shift+U", "Review the items the server refused"),
    Shortcut("sign_out", "Ctrl+Shift+Q", "Sign out"),
)
BY_ACTION: dict[str, Shortcut] = {s.action: s for s in SHORTCUTS}


def label(shortcut: Shortcut) -> str:
    return QCoreApplication.translate(_CONTEXT, shortcut.label)


def keys(action: str) -> QKeySequence:
    return QKeySequence(BY_ACTION[action].keys)


def tooltip(action: str, text: str | None = None) -> str:
    """``text`` (or the shortcut's label) followed by its keys, as every tooltip shows it."""
    shortcut = BY_ACTION[action]
    shown = QKeySequence(shortcut.keys).toString(QKeySequence.SequenceFormat.NativeText)
    return f"{text or label(shortcut)} ({shown})"


def bind(widget: QWidget, action: str, *, text: str | None = None) -> QAction:
    """A window-wide action with the shortcut, added to ``widget``; the caller connects it."""
    shortcut = BY_ACTION[action]
    if not shortcut.window_wide:
        raise ValueError(f"the {action} key belongs to its field, not to the window")
    act = QAction(text or label(shortcut), widget)
    act.setObjectName(f"action_{action}")
    act.setShortcut(QKeySequence(shortcut.keys))
    act.setToolTip(tooltip(action, text))
    widget.addAction(act)
    return act
