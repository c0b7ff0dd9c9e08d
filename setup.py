"""Package list for setuptools: the packages found under agent_app, server and
pulse_contract, plus the top-level ``ui/`` and ``resources/`` folders shipped inside
agent_app (mapped in pyproject.toml, which cannot add packages to a ``find``; the rest of
the build configuration lives there). See docs/decisions/0022-forms-and-resources-in-the-wheel.md.

The build also compiles ``translations/*.ts`` into ``agent_app/_translations/*.qm`` with the
project's own compiler, so that building needs no Qt (docs/decisions/0026).
"""

import importlib.util
import sys
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithTranslations(build_py):
    """build_py, then one ``.qm`` per ``translations/*.ts`` inside the built package."""

    def run(self) -> None:
        super().run()
        # Loaded by path: importing agent_app here would need its dependencies.
        spec = importlib.util.spec_from_file_location(
            "_pulse_qm", ROOT / "agent_app" / "foundation" / "qm.py"
        )
        assert spec is not None and spec.loader is not None
        qm = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = qm  # its dataclasses look their module up there
        spec.loader.exec_module(qm)
        out = Path(self.build_lib) / "agent_app" / "_translations"
        for ts in sorted((ROOT / "translations").glob("*.ts")):
            qm.write_qm(ts, out / (ts.stem + ".qm"))


setup(
    cmdclass={"build_py": BuildWithTranslations},
    packages=[
        *find_packages(
            include=["agent_app", "agent_app.*", "server", "server.*", "pulse_contract"]
        ),
        "agent_app._ui",
        "agent_app._resources",
    ],
)
