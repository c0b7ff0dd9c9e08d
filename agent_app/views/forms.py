"""Loads Qt Designer forms from ``ui/`` into a host widget."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QFile, QIODevice
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QVBoxLayout, QWidget

from agent_app.views.resource_paths import ui_file

W = TypeVar("W", bound=QWidget)


def load_form(name: str, host: QWidget) -> QWidget:
    """Load ``ui/<name>`` and place it as the only child layout item of ``host``."""
    path = ui_file(name)
    device = QFile(str(path))
    if not device.open(QIODevice.OpenModeFlag.ReadOnly):
        raise OSError(f"cannot open Qt form {path}")
    try:
        form = _loader().load(device, host)
    finally:
        device.close()
    if form is None:
        raise RuntimeError(f"Qt form {path} could not be loaded")
    layout = QVBoxLayout(host)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(form)
    return form


def _loader() -> QUiLoader:
    """A loader of Qt's own widgets only, with no Qt Designer plugin loaded.

    A ``QUiLoader`` loads every Designer plugin it finds under the library paths when it is
    built (PySide6's and the Qt Quick widget's: Qt Designer, Qt Quick and QML, ~15 MiB);
    the forms use none of their widgets, so the paths are empty while it is built.
    """
    paths = QCoreApplication.libraryPaths()
    QCoreApplication.setLibraryPaths([])
    try:
        loader = QUiLoader()
    finally:
        QCoreApplication.setLibraryPaths(paths)
    loader.clearPluginPaths()
    return loader


def child(form: QWidget, kind: type[W], name: str) -> W:
    """The named child of a loaded form, with its type checked."""
    found = form.findChild(kind, name)
    if found is None:
        raise LookupError(f"form {form.objectName()} has no {kind.__name__} named {name}")
    return found
