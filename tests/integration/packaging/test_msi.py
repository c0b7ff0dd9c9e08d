"""The Windows installer's WiX source, compiled on Linux with wixl (msitools) around a small
stand-in for the bundle, and its tables read back with ``msiinfo``: upgrade code and major
upgrade, per-machine scope, the Start-menu shortcut, and the deferred action that writes IT's
properties into %ProgramData%\\Pulse\\pulse.toml. Nothing here runs the MSI: that takes Windows
(packaging/README.md says what has and has not run there)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import agent_app

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[3]
WINDOWS = ROOT / "packaging" / "windows"
UPGRADE_CODE = "{6F2B2C1E-5D3A-4E8B-9C41-7A0D2E6B3F15}"
PROPERTIES = ("SERVER_URL", "SIP_REGISTRAR", "SIP_TRANSPORT", "CA_BUNDLE")
# A few files at the depths the real bundle has them.
BUNDLE_FILES = (
    "pulse-agent.exe",
    "_internal/python311.dll",
    "_internal/PySide6/plugins/platforms/qwindows.dll",
    "_internal/agent_app/views/forms/login_dialog.ui",
    "_internal/translations/pulse_es.qm",
)


def _numeric_version() -> str:
    match = re.match(r"\d+(\.\d+){0,2}", agent_app.__version__)
    assert match is not None
    return match.group(0)


@pytest.fixture(scope="module")
def msi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = [tool for tool in ("wixl", "msiinfo") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian: wixl, msitools; make deps-test)")
    work = tmp_path_factory.mktemp("msi")
    for relative in BUNDLE_FILES:
        path = work / "bundle" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"stand-in for {relative}\n".encode())
    subprocess.run(
        [sys.executable, str(WINDOWS / "harvest.py"), "bundle", "bundle-files.wxs"],
        cwd=work,
        check=True,
    )
    out = work / "pulse-agent.msi"
    result = subprocess.run(
        [
            "wixl",
            "--arch",
            "x64",
            "-D",
            f"Version={_numeric_version()}",
            "-D",
            "BundleDir=bundle",
            "-o",
            str(out),
            str(WINDOWS / "pulse.wxs"),
            "bundle-files.wxs",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and out.is_file(), result.stderr
    return out


def table(msi: Path, name: str) -> list[dict[str, str]]:
    """The rows of one table, as column -> value (``msiinfo export``: header, types, key)."""
    text = subprocess.run(
        ["msiinfo", "export", str(msi), name], capture_output=True, text=True, check=True
    ).stdout
    lines = text.splitlines()
    columns = lines[0].split("\t")
    return [dict(zip(columns, line.split("\t"), strict=False)) for line in lines[3:]]


def properties(msi: Path) -> dict[str, str]:
    return {row["Property"]: row["Value"] for row in table(msi, "Property")}


def test_upgrade_code_and_major_upgrade(msi: Path) -> None:
    props = properties(msi)
    assert props["UpgradeCode"] == UPGRADE_CODE
    assert props["ProductVersion"] == _numeric_version()
    upgrades = table(msi, "Upgrade")
    # Older versions are found and removed; a newer one installed stops the installation.
    assert {row["ActionProperty"] for row in upgrades} == {
        "WIX_UPGRADE_DETECTED",
        "WIX_DOWNGRADE_DETECTED",
    }
    assert all(row["UpgradeCode"] == UPGRADE_CODE for row in upgrades)
    sequence = {row["Action"]: row for row in table(msi, "InstallExecuteSequence")}
    assert "RemoveExistingProducts" in sequence and "FindRelatedProducts" in sequence


def test_per_machine_scope(msi: Path) -> None:
    assert properties(msi)["ALLUSERS"] == "1"
    directories = {row["Directory"]: row for row in table(msi, "Directory")}
    assert directories["INSTALLFOLDER"]["Directory_Parent"] == "ProgramFiles64Folder"


def test_every_bundle_file_is_installed(msi: Path) -> None:
    files = {row["FileName"].split("|")[-1] for row in table(msi, "File")}
    assert files == {Path(relative).name for relative in BUNDLE_FILES}


def test_start_menu_shortcut(msi: Path) -> None:
    (shortcut,) = table(msi, "Shortcut")
    assert shortcut["Target"] == "[INSTALLFOLDER]pulse-agent.exe"
    directories = {row["Directory"]: row for row in table(msi, "Directory")}
    assert directories[shortcut["Directory_"]]["Directory_Parent"] == "ProgramMenuFolder"


def test_the_config_writer_gets_every_property(msi: Path) -> None:
    (action,) = [row for row in table(msi, "CustomAction") if row["Action"] == "WriteMachineConfig"]
    # 18: runs a file the package installs; 1024: deferred (in the script, elevated);
    # 2048: as LocalSystem, not the user (%ProgramData%\Pulse is not theirs to write).
    assert int(action["Type"]) == 18 | 1024 | 2048
    files = {row["File"]: row for row in table(msi, "File")}
    assert files[action["Source"]]["FileName"].split("|")[-1] == "pulse-agent.exe"
    target = action["Target"]
    assert target.startswith("machine-config ")
    for prop in PROPERTIES:
        option = "--" + prop.lower().replace("_", "-")
        assert f'{option} "[{prop}]"' in target
    assert '--file "[CommonAppDataFolder]Pulse\\pulse.toml"' in target
    sequence = {row["Action"]: row for row in table(msi, "InstallExecuteSequence")}
    step = sequence["WriteMachineConfig"]
    assert int(sequence["InstallFiles"]["Sequence"]) < int(step["Sequence"])
    assert int(step["Sequence"]) < int(sequence["InstallFinalize"]["Sequence"])
    assert step["Condition"] == 'NOT REMOVE="ALL"'


def test_uninstall_removes_only_what_it_installed(msi: Path) -> None:
    # The machine file is written by the action, not installed as a component, and users'
    # folders are not the package's: removal deletes the Start-menu folder and nothing else.
    assert [row["FileKey"] for row in table(msi, "RemoveFile")] == ["RemovePulseMenuFolder"]
    components = {row["Directory_"] for row in table(msi, "Component")}
    directories = {row["Directory"]: row["Directory_Parent"] for row in table(msi, "Directory")}

    def under(directory: str) -> str:
        while directories.get(directory) not in (None, "", "TARGETDIR"):
            directory = directories[directory]
        return directory

    assert {under(d) for d in components} == {"ProgramFiles64Folder", "ProgramMenuFolder"}


def test_the_properties_are_declared_secure_in_the_source() -> None:
    # wixl ignores Secure (its MSI lists only the upgrade properties in SecureCustomProperties);
    # WiX adds these four there, which lets msiexec pass them to the elevated installation.
    source = (WINDOWS / "pulse.wxs").read_text(encoding="utf-8")
    for prop in PROPERTIES:
        assert f'<Property Id="{prop}" Secure="yes" />' in source


def test_the_build_script_uses_the_same_sources() -> None:
    script = (WINDOWS / "build.ps1").read_text(encoding="utf-8")
    for needed in ("pulse.spec", "harvest.py", "pulse.wxs", "candle", "light"):
        assert needed in script, needed
