"""The Qt Designer forms: every one loads with Qt's own widgets only, and loading them brings
no Qt Designer plugin (nor Qt Designer, Qt Quick or QML) into the process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from agent_app.views.resource_paths import forms_dir

FORMS = sorted(path.name for path in forms_dir().glob("*.ui"))

# In a process of its own: another test may have loaded any Qt library into this one.
_LOAD_EVERY_FORM = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication, QWidget
    from agent_app.views.forms import load_form

    app = QApplication([])
    paths = QCoreApplication.libraryPaths()
    for name in sys.argv[1:]:
        host = QWidget()
        form = load_form(name, host)
        print(name, form.metaObject().className(), len(form.findChildren(QWidget)))
    assert QCoreApplication.libraryPaths() == paths, "the library paths were not restored"
    mapped = open("/proc/self/maps").read()
    for library in ("libQt6Designer", "libQt6Quick", "libQt6Qml", "libPySidePlugin"):
        print(library, library in mapped)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_every_form_loads_without_a_designer_plugin() -> None:
    assert len(FORMS) > 10
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_EVERY_FORM, *FORMS],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    for name in FORMS:
        widget_class, children = lines[name].split()
        assert widget_class.startswith("Q"), name
        assert int(children) > 0, name
    for library in ("libQt6Designer", "libQt6Quick", "libQt6Qml", "libPySidePlugin"):
        assert lines[library] == "False", f"{library} was loaded with the forms"
