"""The desk's icons: every SVG is well-formed, renders to a visible pixmap offscreen, and
is reachable by name; unknown names are refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from agent_app.views import icons
from agent_app.views.resource_paths import resources_dir

SVG = "{http://www.w3.org/2000/svg}svg"
ICON_ROOT = resources_dir() / "icons"
SVG_FILES = sorted(ICON_ROOT.glob("*/*.svg"))


def _pixels(image: QImage) -> list[QColor]:
    return [image.pixelColor(x, y) for y in range(image.height()) for x in range(image.width())]


def test_every_svg_on_disk_is_a_named_icon_and_every_name_has_a_file() -> None:
    on_disk = {path.stem for path in SVG_FILES}
    assert len(on_disk) == len(SVG_FILES), "icon file names must be unique across folders"
    assert on_disk == set(icons.ICON_NAMES)
    for name in icons.ICON_NAMES:
        assert icons.icon_path(name).parent.parent == ICON_ROOT


@pytest.mark.parametrize("path", SVG_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_svg_is_a_24px_svg_document_with_a_title(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag == SVG
    assert root.get("viewBox") == "0 0 24 24"
    title = root.find("{http://www.w3.org/2000/svg}title")
    assert title is not None and title.text


@pytest.mark.parametrize("name", icons.ICON_NAMES)
@pytest.mark.parametrize("size", [16, 24])
def test_icon_renders_to_a_non_empty_pixmap(qapp: object, name: icons.IconName, size: int) -> None:
    assert QSvgRenderer(str(icons.icon_path(name))).isValid()
    icon = icons.icon(name)
    assert not icon.isNull()
    pixmap = icon.pixmap(size, size)
    assert not pixmap.isNull()
    assert (pixmap.width(), pixmap.height()) == (size, size)
    pixels = _pixels(pixmap.toImage())
    visible = [p for p in pixels if p.alpha() > 0]
    assert len(visible) > 0.1 * size * size
    # A glyph, not a blot: more than one opaque colour or some transparent ground.
    opaque = {p.rgb() for p in visible if p.alpha() == 255}
    assert len(opaque) > 1 or len(visible) < len(pixels)


def test_an_unknown_name_is_refused_with_the_known_names(qapp: object) -> None:
    with pytest.raises(icons.UnknownIconError, match=r"no icon named 'hangup'.*hang-up"):
        icons.icon("hangup")  # type: ignore[arg-type]
    with pytest.raises(LookupError):
        icons.icon_path("../app/pulse")


def test_start_up_gives_the_application_the_pulse_icon(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent_app import app as start_up
    from agent_app.foundation.config import load_settings

    class QuietSecrets:
        backend_name = "test"

        def warm_up(self) -> None:
            pass

    icons_at_sign_in: list[QImage] = []

    def sign_in(app: QApplication, *args: object, **kwargs: object) -> int:
        icons_at_sign_in.append(app.windowIcon().pixmap(24, 24).toImage())
        return 0

    monkeypatch.setattr(start_up, "prepare", load_settings)
    monkeypatch.setattr(start_up, "HelperSecrets", QuietSecrets)
    monkeypatch.setattr(start_up, "_sign_in_and_run", sign_in)
    previous = qapp.windowIcon()
    try:
        assert start_up.run_gui([]) == 0
    finally:
        qapp.setWindowIcon(previous)
    assert icons_at_sign_in == [icons.icon("pulse").pixmap(24, 24).toImage()]
