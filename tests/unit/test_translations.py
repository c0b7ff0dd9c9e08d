"""The translation catalogues: every entry of every ``.ts`` is finished and keeps the source's
placeholders, markup and keyboard accelerator; every text of the forms, the views and their
tables is catalogued (``make translations`` would add nothing); the views show no literal
outside ``tr()``; the build's ``.qm`` compiler gives QTranslator exactly the ``.ts`` translations;
and the language is chosen from ``ui.language`` or the system locale, falling back to English."""

from __future__ import annotations

import ast
import importlib.util
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from agent_app.foundation.config import UiSettings
from agent_app.foundation.qm import compile_messages, read_ts, write_qm
from agent_app.views import language

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "translations").glob("*.ts"))

# {name}, %1, %n, %L1: what .format() and QString::arg() fill in.
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|%L?\d+|%n")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*[^>]*>")
# An accelerator is one "&" before a character other than "&" or a space.
_ACCELERATOR = re.compile(r"(?<!&)&(?=[^&\s])")


def _entries(path: Path) -> list[tuple[str, str, ET.Element]]:
    root = ET.parse(path).getroot()
    found = []
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            found.append((name, message.findtext("source") or "", message))
    return found


def _tables() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tables", ROOT / "translations" / "tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_there_is_a_spanish_catalogue() -> None:
    assert ROOT / "translations" / "pulse_es.ts" in CATALOGUES
    assert len(_entries(ROOT / "translations" / "pulse_es.ts")) > 300


def _problems(path: Path) -> list[str]:
    problems = []
    for context, source, message in _entries(path):
        node = message.find("translation")
        where = f"{context}: {source!r}"
        if node is None or node.get("type") in {"unfinished", "obsolete", "vanished"}:
            problems.append(f"{where} is unfinished")
            continue
        forms = [f.text or "" for f in node.findall("numerusform")] or [node.text or ""]
        for text in forms:
            if not text.strip():
                problems.append(f"{where} has an empty translation")
            if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(text)):
                problems.append(f"{where}: placeholders differ in {text!r}")
            if [t.split()[0] for t in _TAG.findall(source)] != [
                t.split()[0] for t in _TAG.findall(text)
            ]:
                problems.append(f"{where}: markup differs in {text!r}")
            if len(_ACCELERATOR.findall(source)) != len(_ACCELERATOR.findall(text)):
                problems.append(f"{where}: the keyboard accelerator is lost in {text!r}")
    return problems


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_every_entry_is_finished_and_keeps_placeholders_markup_and_accelerator(
    path: Path,
) -> None:
    assert _problems(path) == []


def test_the_checks_catch_an_unfinished_entry_and_a_lost_placeholder(tmp_path: Path) -> None:
    bad = tmp_path / "pulse_xx.ts"
    bad.write_text(
        '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS><TS version="2.1" language="xx">'
        "<context><name>C</name>"
        '<message><source>Hello</source><translation type="unfinished"></translation></message>'
        "<message><source>Calls {target}</source><translation>Llama</translation></message>"
        "</context></TS>",
        encoding="utf-8",
    )
    assert _problems(bad) == [
        "C: 'Hello' is unfinished",
        "C: 'Calls {target}': placeholders differ in 'Llama'",
    ]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_every_text_translated_from_a_table_is_catalogued(qapp: QApplication, path: Path) -> None:
    catalogued = {(context, source) for context, source, _ in _entries(path)}
    missing = [entry for entry in _tables().texts() if entry not in catalogued]
    assert missing == [], "run `make translations` and translate the new entries"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_the_compiled_catalogue_gives_qt_every_translation(
    qapp: QApplication, path: Path, tmp_path: Path
) -> None:
    qm = tmp_path / (path.stem + ".qm")
    write_qm(path, qm)
    translator = QTranslator()
    assert translator.load(str(qm))
    lang, messages = read_ts(path)
    assert translator.language() == lang
    wrong = [
        (m.context, m.source)
        for m in messages
        if translator.translate(m.context, m.source, m.comment or None) != m.translation
    ]
    assert wrong == []
    assert translator.translate("NoSuchContext", messages[0].source) == ""


def test_the_compiler_keeps_a_disambiguation_apart(qapp: QApplication, tmp_path: Path) -> None:
    from agent_app.foundation.qm import Message

    qm = tmp_path / "two.qm"
    qm.write_bytes(
        compile_messages(
            "es",
            [
                Message("C", "Hold", "", "Retener"),
                Message("C", "Hold", "state", "En espera"),
            ],
        )
    )
    translator = QTranslator()
    assert translator.load(str(qm))
    assert translator.translate("C", "Hold", None) == "Retener"
    assert translator.translate("C", "Hold", "state") == "En espera"


@pytest.mark.parametrize(
    ("setting", "system", "expected"),
    [
        ("es", "en_US", "es"),
        ("es_MX", "en_US", "es"),
        ("en", "es_MX", "en"),
        ("fr", "es_MX", "en"),
        ("", "es_MX", "es"),
        ("", "es_419", "es"),
        ("", "en_GB", "en"),
        ("", "de_DE", "en"),
    ],
)
def test_the_language_comes_from_the_setting_or_the_system(
    qapp: QApplication, setting: str, system: str, expected: str
) -> None:
    assert language.choose(setting, QLocale(system)) == expected


def test_the_setting_allows_empty_for_the_system_language() -> None:
    assert UiSettings().language == ""
    assert UiSettings(language="pt_BR").language == "pt_BR"
    assert UiSettings().theme == "system"
    with pytest.raises(ValueError, match="language"):
        UiSettings(language="spanish")
    with pytest.raises(ValueError, match="theme"):
        UiSettings(theme="blue")  # type: ignore[arg-type]


# Qt calls whose first argument is shown to the agent.
_SHOWN = {
    "setText",
    "setToolTip",
    "setWindowTitle",
    "setPlaceholderText",
    "setTitle",
    "setStatusTip",
    "setAccessibleName",
    "setAccessibleDescription",
    "showMessage",
    "addItem",
    "addMenu",
    "addAction",
    "setLabelText",
    "setInformativeText",
    "information",
    "warning",
    "critical",
    "question",
    "QAction",
    "QLabel",
    "QPushButton",
    "QMessageBox",
}


def _words(node: ast.expr) -> bool:
    """A literal with words in it (an f-string counts by its literal parts)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(c.isalpha() for c in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_words(part) for part in node.values if isinstance(part, ast.Constant))
    return False


def test_the_views_show_no_untranslated_literal() -> None:
    found = []
    for path in sorted((ROOT / "agent_app" / "views").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            owner = getattr(getattr(node.func, "value", None), "id", "")
            if owner in {"log", "logger", "logging"}:
                continue  # the logs are for IT, in English
            shown = [arg for arg in node.args[:3] if _words(arg)]
            if name in _SHOWN and shown:
                found.append(f"{path.name}:{node.lineno} {name}")
    assert found == [], "wrap these in self.tr() / QCoreApplication.translate()"


def test_the_catalogues_hold_every_text_of_the_forms_and_views(
    qapp: QApplication, tmp_path: Path
) -> None:
    """``make translations`` would add nothing: each text shown has its entry."""
    import shutil

    copies = []
    for path in CATALOGUES:
        copies.append(tmp_path / path.name)
        shutil.copy(path, copies[-1])
    _tables().update(copies, tmp_path / "tables.py")
    for copy in copies:
        new = [problem for problem in _problems(copy) if problem.endswith("is unfinished")]
        assert new == [], f"{copy.name}: run `make translations` and translate these"
