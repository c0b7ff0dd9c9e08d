"""The built wheel is the whole app: installed into a fresh virtual environment and run
from outside the source tree, it opens the sign-in window from its own forms and icons
and carries the server's data files.

The wheel is built from a copy of the source tree (so that a stale ``build/`` cannot
leak into it) and installed without dependencies; the fresh environment borrows the
dependencies of the environment running the tests through a ``.pth`` file, which adds
that site-packages directory alone (its own ``.pth`` files, such as an editable
install's finder, are not processed), so nothing is downloaded and nothing comes from
the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]

_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "var",
    ".demo",
)

_PROBE = """
import json
import sys
from pathlib import Path

import agent_app
from PySide6.QtWidgets import QApplication, QLineEdit

from agent_app.views import resource_paths
from agent_app.views.icons import ICON_NAMES, icon, icon_path
from agent_app.views.language import Language, available
from agent_app.views.login_dialog import LoginDialog

def refuse(agent_id, password):
    raise AssertionError("no sign-in in this probe")


app = QApplication([])
app.setWindowIcon(icon("pulse"))
language = Language(app)
language.apply("es")
dialog = LoginDialog(refuse, "https://pulse.invalid")
dialog.show()
app.processEvents()
field = dialog.findChild(QLineEdit, "agentId")
print(json.dumps({
    "package": agent_app.__file__,
    "form": str(resource_paths.ui_file("login_dialog.ui")),
    "agent_id_field": field is not None and field.isVisible(),
    "icons": {name: str(icon_path(name)) for name in ICON_NAMES},
    "blank_icons": [name for name in ICON_NAMES if icon(name).pixmap(24, 24).isNull()],
    "window_icon_blank": dialog.windowIcon().isNull(),
    "catalogues": {name: str(path) for name, path in available().items()},
    "title": dialog.windowTitle(),
    "modules": {
        name: module.__file__ for name, module in list(sys.modules.items())
        if getattr(module, "__file__", None)
    },
}))
"""


@dataclass
class Installed:
    wheel: Path
    python: Path
    site_packages: Path
    borrowed: list[Path]
    outside: Path

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH"}
        }
        env["QT_QPA_PLATFORM"] = "offscreen"
        result = subprocess.run(
            args,
            cwd=self.outside,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"{args}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        check=True,
        timeout=300,
    )
    (wheel,) = dist.glob("pulse_agent-*.whl")

    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip_install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    subprocess.run(
        [*pip_install, "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
    )
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    borrowed = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (site_packages / "zz-test-dependencies.pth").write_text("\n".join(borrowed) + "\n")
    outside = work / "elsewhere"
    outside.mkdir()
    yield Installed(wheel, python, site_packages, [Path(b) for b in borrowed], outside)


def test_the_wheel_carries_every_form_resource_and_server_file(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {f"agent_app/_ui/{p.name}" for p in (ROOT / "ui").glob("*.ui")}
    expected |= {
        f"agent_app/_resources/{p.relative_to(ROOT / 'resources').as_posix()}"
        for p in (ROOT / "resources").rglob("*")
        if p.is_file()
    }
    # The translations ship compiled: one .qm per .ts source (the .ts stay out).
    expected |= {
        f"agent_app/_translations/{p.stem}.qm" for p in (ROOT / "translations").glob("*.ts")
    }
    assert "agent_app/_translations/pulse_es.qm" in expected
    expected |= {
        "agent_app/py.typed",
        "server/py.typed",
        "server/openapi.json",
        "server/migrations/script.py.mako",
        "agent_app/demo/kamailio.cfg",
    }
    expected |= {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "server" / "migrations").rglob("*.py")
    }
    assert any(n.startswith("agent_app/_resources/icons/") for n in expected)
    assert expected - names == set()
    assert not [n for n in names if n.endswith(".ts")]
    top_level = {n.split("/", 1)[0] for n in names if not n.startswith("pulse_agent-")}
    assert top_level == {"agent_app", "server", "pulse_contract"}


def test_the_sign_in_window_opens_from_the_installed_files(installed: Installed) -> None:
    probe = installed.outside / "probe.py"
    probe.write_text(_PROBE)
    result = installed.run(str(installed.python), "-I", str(probe))
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    package = installed.site_packages / "agent_app"
    assert Path(seen["package"]) == package / "__init__.py"
    from_source = [
        name
        for name, path in seen["modules"].items()
        if Path(path).is_relative_to(ROOT)
        and not any(Path(path).is_relative_to(b) for b in installed.borrowed)
    ]
    assert from_source == []
    assert all(
        Path(path).is_relative_to(package)
        for name, path in seen["modules"].items()
        if name.split(".")[0] == "agent_app"
    )
    assert seen["agent_id_field"] is True
    assert Path(seen["form"]) == package / "_ui" / "login_dialog.ui"
    assert seen["icons"], "the icon set is not empty"
    for name, path in seen["icons"].items():
        assert Path(path).is_relative_to(package / "_resources" / "icons"), name
    assert seen["blank_icons"] == []
    assert seen["window_icon_blank"] is False
    assert seen["catalogues"] == {"es": str(package / "_translations" / "pulse_es.qm")}
    assert seen["title"] == "Pulse — iniciar sesión"


def test_the_console_scripts_and_server_migrations_run_from_the_wheel(
    installed: Installed, tmp_path: Path
) -> None:
    bin_dir = installed.python.parent
    version = installed.run(str(bin_dir / "pulse-agent"), "--version")
    assert version.stdout.strip()
    data = tmp_path / "server-data"
    installed.run(str(bin_dir / "pulse-server"), "db", "upgrade", "--data-dir", str(data))
    assert any(data.glob("*.db")) or any(data.glob("*.sqlite*"))
