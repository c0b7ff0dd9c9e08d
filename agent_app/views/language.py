"""The desk's language: which catalogue to load (``ui.language``, else the system locale,
else English, the language of the source texts) and the translators that carry it.

A wheel ships compiled ``.qm`` catalogues; a source checkout has only the ``.ts`` sources,
which are compiled at start into a private temporary folder (a few milliseconds), so a
checkout never runs with a stale catalogue (decision 0026). Qt's own catalogue (standard
buttons: Yes, No, Cancel) is loaded beside ours when Qt ships one for the language.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from agent_app.views.resource_paths import translations_dir

log = logging.getLogger(__name__)

SOURCE_LANGUAGE = "en"
CATALOGUE = "pulse"


def available() -> dict[str, Path]:
    """Language code (``es``, ``pt_BR``) → its catalogue, ``.qm`` preferred over ``.ts``."""
    try:
        folder = translations_dir()
    except FileNotFoundError:
        return {}
    found: dict[str, Path] = {}
    for suffix in (".ts", ".qm"):  # a .qm replaces the .ts of the same language
        for path in sorted(folder.glob(f"{CATALOGUE}_*{suffix}")):
            found[path.stem.removeprefix(f"{CATALOGUE}_")] = path
    return found


def choose(setting: str, system: QLocale | None = None) -> str:
    """The language to show: ``setting`` (``""`` means the system's), narrowed to a catalogue
    that exists (``es_MX`` falls back to ``es``); English when none fits."""
    catalogues = available()
    if setting:
        wanted = [setting]
    else:
        locale = system if system is not None else QLocale.system()
        wanted = [name.replace("-", "_") for name in locale.uiLanguages()]
    for name in wanted:
        for candidate in (name, name.split("_")[0]):
            if candidate == SOURCE_LANGUAGE:
                return SOURCE_LANGUAGE
            if candidate in catalogues:
                return candidate
    return SOURCE_LANGUAGE


class Language:
    """The translators installed on the application, replaced by :meth:`apply`."""

    def __init__(self, app: QCoreApplication) -> None:
        self._app = app
        self._installed: list[QTranslator] = []
        self._compiled: Path | None = None
        self.current = SOURCE_LANGUAGE

    def apply(self, setting: str) -> str:
        """Show the desk in the language ``setting`` names (or the system's); returns the
        language chosen. Forms built afterwards come up in it."""
        for translator in self._installed:
            self._app.removeTranslator(translator)
        self._installed.clear()
        language = choose(setting)
        self.current = language
        if setting:
            # Dates and numbers follow the language the agent chose, not the machine's.
            QLocale.setDefault(QLocale(setting))
        if language == SOURCE_LANGUAGE:
            return language
        ours = QTranslator(self._app)
        path = available()[language]
        if path.suffix == ".ts":
            path = self._compile(path)
        if not ours.load(str(path)):
            log.warning("the %s catalogue could not be loaded; the desk stays in English", language)
            self.current = SOURCE_LANGUAGE
            return SOURCE_LANGUAGE
        qt = QTranslator(self._app)
        qt_folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for translator in (
            (qt,) if qt.load(QLocale(language), "qtbase", "_", qt_folder) else ()
        ) + (ours,):
            self._app.installTranslator(translator)
            self._installed.append(translator)
        log.info("desk language: %s", language)
        return language

    def _compile(self, ts: Path) -> Path:
        # QTranslator reads catalogues from files (PySide6 has no loadFromData); the folder
        # goes with this object.
        if self._compiled is None:
            self._compiled = Path(tempfile.mkdtemp(prefix="pulse-i18n-"))
            weakref.finalize(self, shutil.rmtree, self._compiled, ignore_errors=True)
        qm = self._compiled / (ts.stem + ".qm")
        # Only a checkout without built catalogues gets here: the XML parser stays unloaded.
        from agent_app.foundation.qm import write_qm

        write_qm(ts, qm)
        return qm
