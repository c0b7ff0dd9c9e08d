"""Builds the Debian package of Pulse from the one-folder bundle (``make package``).

``python packaging/deb/build_deb.py dist/pulse-agent --out dist`` writes
``dist/pulse-agent_<version>-<revision>_<arch>.deb``: the bundle under ``/opt/pulse``,
``/usr/bin/pulse-agent`` pointing to it, a desktop entry and its icon, and the machine
settings template as the conffile ``/etc/pulse/pulse.toml``. The version is the bundled
app's own (``pulse-agent --version``); ``--revision`` numbers rebuilds of the same version.
Only ``dpkg-deb`` is needed (no root: ``--root-owner-group``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PACKAGE = "pulse-agent"
INSTALL_DIR = "opt/pulse"
CONFFILE = "etc/pulse/pulse.toml"

# What the bundle loads from the system rather than carrying: the C library (essential),
# PulseAudio's client for Qt Multimedia, what Qt's xcb platform plugin and its OpenGL
# integration link to, fonts, D-Bus and GLib (network information, the keyring's bus), and
# a Secret Service for the keys of the encrypted store.
DEPENDS = [
    "libc6 (>= 2.28)",
    "libpulse0",
    "libpulse-mainloop-glib0",
    "libglib2.0-0",
    "libdbus-1-3",
    "libfontconfig1",
    "libfreetype6",
    "libx11-6",
    "libx11-xcb1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libegl1",
    "libgl1",
    "gnome-keyring | keepassxc",
]
RECOMMENDS = ["ca-certificates", "dbus-user-session | dbus-x11"]

DESCRIPTION = """\
Pulse agent softphone for patient-services centers
 The desktop an agent works in for a whole shift: SIP calls with a patient card
 from an encrypted local cache, call scripts, dispositions that are queued while
 offline, and an audit trail. Self-contained: it carries its own Python, Qt and
 SIP stack under /opt/pulse. Machine-wide settings are read from
 /etc/pulse/pulse.toml."""


def bundle_version(bundle: Path) -> str:
    """The version the bundled app reports (``pulse-agent 0.1.0`` → ``0.1.0``)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [str(bundle / PACKAGE), "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    return result.stdout.split()[-1]


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is missing (Debian: dpkg)")
    return found


def architecture() -> str:
    result = subprocess.run(
        [tool("dpkg"), "--print-architecture"], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def installed_size_kib(tree: Path) -> int:
    total = 0
    for path in tree.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += (path.stat().st_size + 1023) // 1024
    return total


def normalise_modes(tree: Path) -> None:
    """0755 for folders and executables, 0644 for everything else (a bundle copied from
    a build tree may carry a stricter umask's modes)."""
    for path in [tree, *tree.rglob("*")]:
        if path.is_symlink():
            continue
        executable = path.is_dir() or os.access(path, os.X_OK)
        path.chmod(0o755 if executable else 0o644)


def control_text(version: str, arch: str, size_kib: int, maintainer: str) -> str:
    fields = [
        ("Package", PACKAGE),
        ("Version", version),
        ("Architecture", arch),
        ("Maintainer", maintainer),
        ("Installed-Size", str(size_kib)),
        ("Depends", ", ".join(DEPENDS)),
        ("Recommends", ", ".join(RECOMMENDS)),
        ("Section", "comm"),
        ("Priority", "optional"),
        ("Description", DESCRIPTION),
    ]
    return "".join(f"{name}: {value}\n" for name, value in fields)


def stage(bundle: Path, staging: Path) -> None:
    """Lay out the package's files under ``staging``."""
    shutil.copytree(bundle, staging / INSTALL_DIR, symlinks=True)
    bin_dir = staging / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    # Relative, so that it resolves inside any root the package is unpacked into.
    (bin_dir / PACKAGE).symlink_to(Path("..", "..", INSTALL_DIR, PACKAGE))
    applications = staging / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy2(HERE / "pulse-agent.desktop", applications / "pulse-agent.desktop")
    icons = staging / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / "icons" / "app" / "pulse.svg", icons / "pulse-agent.svg")
    conffile = staging / CONFFILE
    conffile.parent.mkdir(parents=True)
    shutil.copy2(ROOT / "packaging" / "pulse.toml.example", conffile)
    docs = staging / "usr" / "share" / "doc" / PACKAGE
    docs.mkdir(parents=True)
    shutil.copy2(ROOT / "packaging" / "README.md", docs / "README.md")


def build(
    bundle: Path,
    out: Path,
    *,
    revision: str = "1",
    maintainer: str = "Pulse packaging <packaging@pulse.invalid>",
    fast: bool = False,
) -> Path:
    """Build the package; return its path."""
    if not (bundle / PACKAGE).is_file():
        raise SystemExit(f"no bundle at {bundle} (run `make package`)")
    version = f"{bundle_version(bundle)}-{revision}"
    arch = architecture()
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{PACKAGE}_{version}_{arch}.deb"
    with tempfile.TemporaryDirectory(prefix="pulse-deb-", dir=out) as tmp:
        staging = Path(tmp) / "root"
        stage(bundle, staging)
        normalise_modes(staging)
        debian = staging / "DEBIAN"
        debian.mkdir(mode=0o755)
        size = installed_size_kib(staging)
        (debian / "control").write_text(control_text(version, arch, size, maintainer))
        (debian / "conffiles").write_text(f"/{CONFFILE}\n")
        for script in ("postinst", "prerm", "postrm"):
            shutil.copy2(HERE / script, debian / script)
            (debian / script).chmod(0o755)
        for name in ("control", "conffiles"):
            (debian / name).chmod(0o644)
        # zstd: 89 MiB in ~20 s here; xz -6 saved 16 MiB but took minutes (decision record).
        compression = ["-Zzstd", "-z1" if fast else "-z9"]
        subprocess.run(
            [
                tool("dpkg-deb"),
                "--root-owner-group",
                *compression,
                "--build",
                str(staging),
                str(target),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build_deb.py", description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the one-folder bundle (dist/pulse-agent)")
    parser.add_argument("--out", type=Path, default=Path("dist"), help="where the .deb goes")
    parser.add_argument("--revision", default="1", help="Debian revision of this build")
    parser.add_argument("--maintainer", default="Pulse packaging <packaging@pulse.invalid>")
    parser.add_argument(
        "--fast", action="store_true", help="lighter compression (tests): zstd level 1, not 9"
    )
    args = parser.parse_args(argv)
    target = build(
        args.bundle.resolve(),
        args.out.resolve(),
        revision=args.revision,
        maintainer=args.maintainer,
        fast=args.fast,
    )
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
