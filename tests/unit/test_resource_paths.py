"""Forms and resources are found in each layout: inside the installed package, in a
frozen bundle, and beside the package in a source checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agent_app.views import resource_paths


def _tree(root: Path, forms: str, resources: str) -> None:
    (root / forms).mkdir(parents=True)
    (root / forms / "login_dialog.ui").write_text("<ui/>")
    (root / resources / "icons").mkdir(parents=True)


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "site" / "agent_app"
    package.mkdir(parents=True)
    monkeypatch.setattr(resource_paths, "_PACKAGE", package)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    return package


def test_the_source_checkout_has_them_beside_the_package(package: Path) -> None:
    _tree(package.parent, "ui", "resources")
    assert resource_paths.ui_file("login_dialog.ui") == package.parent / "ui" / "login_dialog.ui"
    assert resource_paths.resource("icons") == package.parent / "resources" / "icons"


def test_an_installed_wheel_has_them_inside_the_package(package: Path) -> None:
    _tree(package, "_ui", "_resources")
    # A stray top-level folder beside site-packages must not win over the package's own.
    _tree(package.parent, "ui", "resources")
    assert resource_paths.ui_file("login_dialog.ui") == package / "_ui" / "login_dialog.ui"
    assert resource_paths.resources_dir() == package / "_resources"


def test_a_frozen_bundle_has_them_under_meipass(
    package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "bundle"
    _tree(bundle, "ui", "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resource_paths.forms_dir() == bundle / "ui"
    assert resource_paths.resources_dir() == bundle / "resources"


def test_a_missing_folder_or_form_is_named(package: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"ui/ folder .* missing"):
        resource_paths.forms_dir()
    _tree(package.parent, "ui", "resources")
    with pytest.raises(FileNotFoundError, match=r"Qt form absent\.ui is missing"):
        resource_paths.ui_file("absent.ui")
