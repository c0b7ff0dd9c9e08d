"""The Debian package, built from the bundle, installed into a throwaway root: an overlay
of this machine's own root in a private mount namespace, so that dpkg checks the package's
Depends against the real system and runs its maintainer scripts, and nothing reaches the
machine itself. There the installed ``pulse-agent`` reports its version and opens the
sign-in window offscreen; a rebuild (next Debian revision) upgrades it while keeping the
administrator's edit of ``/etc/pulse/pulse.toml``; removal and purge take the program
away and leave every user's data, the journal above all, where it was."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

import agent_app
from testbed.timing import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[3]
BUILD_DEB = ROOT / "packaging" / "deb" / "build_deb.py"
# IT turns on debug logging for the workstation: a key of the template uncommented.
EDIT = ('# level = "INFO"', 'level = "DEBUG"')


def build_deb(frozen_app: Path, out: Path, revision: str) -> Path:
    result = subprocess.run(
        [
            sys.executable,
            str(BUILD_DEB),
            str(frozen_app.parent),
            "--out",
            str(out),
            "--revision",
            revision,
            "--fast",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def debs(frozen_app: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The package as built (revision 1) and its rebuild (revision 2)."""
    out = tmp_path_factory.mktemp("debs")
    return build_deb(frozen_app, out, "1"), build_deb(frozen_app, out, "2")


def deb_field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_package_installs_under_opt_with_a_conffile_and_its_dependencies(
    debs: tuple[Path, Path],
) -> None:
    deb = debs[0]
    assert deb_field(deb, "Package") == "pulse-agent"
    assert deb_field(deb, "Version") == f"{agent_app.__version__}-1"
    depends = [d.strip() for d in deb_field(deb, "Depends").split(",")]
    for needed in ("libpulse0", "libxcb1", "libxcb-cursor0", "libxkbcommon-x11-0", "libegl1"):
        assert needed in depends
    assert "gnome-keyring | keepassxc" in depends
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    entries = {line.split()[5]: line for line in listing.splitlines()}
    assert "./opt/pulse/pulse-agent" in entries
    assert "./opt/pulse/_internal/agent_app/_translations/pulse_es.qm" in entries
    assert entries["./usr/bin/pulse-agent"].rstrip().endswith("-> ../../opt/pulse/pulse-agent")
    assert "./usr/share/applications/pulse-agent.desktop" in entries
    assert "./usr/share/icons/hicolor/scalable/apps/pulse-agent.svg" in entries
    assert "./etc/pulse/pulse.toml" in entries
    assert all(" root/root " in line for line in entries.values())
    control = subprocess.run(
        ["dpkg-deb", "--info", str(deb), "conffiles"], capture_output=True, text=True, check=True
    ).stdout
    assert control.split() == ["/etc/pulse/pulse.toml"]


@dataclass
class ThrowawayRoot:
    """This machine's root seen through an overlay whose changes go to ``upper``; each
    command runs in a new mount namespace, chrooted into it, with /proc, /dev, /sys and
    the host's /tmp (the tests' files and the keyring's bus) bound in."""

    work: Path

    @property
    def upper(self) -> Path:
        return self.work / "upper"

    def _script(self, command: list[str], env: dict[str, str]) -> str:
        merged = self.work / "merged"
        lines = [
            "set -e",
            "mount --make-rprivate /",
            f"mount -t overlay overlay -o lowerdir=/,upperdir={self.upper},"
            f"workdir={self.work / 'ovl-work'} {merged}",
        ]
        for mount in ("proc", "dev", "sys", "tmp"):
            lines.append(f"mount --rbind /{mount} {merged}/{mount}")
        environment = " ".join(shlex.quote(f"{k}={v}") for k, v in env.items())
        lines.append(
            f"exec chroot {merged} /usr/bin/env -i {environment} "
            + " ".join(shlex.quote(c) for c in command)
        )
        return "\n".join(lines)

    def popen(
        self, command: list[str], env: dict[str, str], log: IO[bytes]
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            ["unshare", "--mount", "sh", "-c", self._script(command, env)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def run(
        self, *command: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}
        result = subprocess.run(
            [
                "unshare",
                "--mount",
                "sh",
                "-c",
                self._script(list(command), {**base, **(env or {})}),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if check:
            assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
        return result

    def path(self, inside: str) -> Path:
        """Where a file written inside the root lives on the host (the overlay's upper)."""
        return self.upper / inside.lstrip("/")


@pytest.fixture
def throwaway_root(tmp_path: Path) -> Iterator[ThrowawayRoot]:
    if os.geteuid() != 0:
        pytest.skip("installing the package into a throwaway root needs root (CI runs as root)")
    work = tmp_path / "root"
    for name in ("upper", "ovl-work", "merged"):
        (work / name).mkdir(parents=True)
    root = ThrowawayRoot(work)
    probe = root.run("true", check=False)
    if probe.returncode != 0:
        pytest.skip(f"this machine cannot make an overlay root: {probe.stderr.strip()[-300:]}")
    yield root


def open_sign_in_window(root: ThrowawayRoot, tmp_path: Path, keyring: dict[str, str]) -> list[str]:
    """Start the installed ``pulse-agent`` offscreen until its sign-in window is painted;
    return the app's timing marks."""
    probe = tmp_path / "marks.jsonl"
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        **keyring,
        "QT_QPA_PLATFORM": "offscreen",
        "PULSE_HOME": str(tmp_path / "pulse-home"),
        "PULSE_TIMING_PROBE": str(probe),
    }
    out = tmp_path / "installed-app.out"
    with out.open("wb") as log:
        proc = root.popen(["pulse-agent"], env, log)
        try:

            def shown() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(
                        f"the installed app exited ({proc.returncode}): {out.read_text()[-2000:]}"
                    )
                return probe.exists() and '"login_shown"' in probe.read_text()

            wait_until(shown, 90, 0.05, what="the installed app's sign-in window")
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(30)
    assert code in (0, 128 + signal.SIGTERM), out.read_text()[-2000:]
    return [json.loads(line)["mark"] for line in probe.read_text().splitlines()]


def test_install_upgrade_and_remove_in_a_throwaway_root(
    debs: tuple[Path, Path],
    throwaway_root: ThrowawayRoot,
    tmp_path: Path,
    secret_service_env: dict[str, str],
) -> None:
    root = throwaway_root
    first, second = debs
    version = agent_app.__version__

    # Install: dpkg resolves Depends against this machine's packages, runs postinst.
    root.run("dpkg", "--install", str(first))
    assert root.run("pulse-agent", "--version").stdout.strip() == f"pulse-agent {version}"
    assert root.path("/opt/pulse/pulse-agent").is_file()
    assert "login_shown" in open_sign_in_window(root, tmp_path, secret_service_env)
    # IT's first question on a fresh install: the installed self-check answers it, and with
    # no keyring service and no server configured it fails, saying what to do.
    checked = root.run(
        "pulse-agent",
        "--self-check",
        "--json",
        env={"HOME": "/root", "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    assert checked.returncode == 1, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["version"] == version and report["ok"] is False
    by_name = {c["name"]: c for c in report["checks"]}
    for name in ("keyring", "server"):
        assert by_name[name]["status"] == "fail" and by_name[name]["action"], by_name[name]

    # An agent's data (the journal) and IT's edit of the machine settings.
    journal = "/root/.local/share/Pulse/agents/a-1/journal.db"
    root.run("sh", "-c", f"mkdir -p {Path(journal).parent} && echo unsynced > {journal}")
    root.run("sed", "-i", f"s/^{EDIT[0]}$/{EDIT[1]}/", "/etc/pulse/pulse.toml")
    edited = root.path("/etc/pulse/pulse.toml").read_text()
    assert EDIT[1] in edited.splitlines()

    # Upgrade to the rebuild: the edited conffile is kept without a prompt (stdin is closed).
    root.run("dpkg", "--install", str(second))
    status = root.run("dpkg-query", "--show", "--showformat=${Version} ${Status}", "pulse-agent")
    assert status.stdout == f"{version}-2 install ok installed"
    assert root.path("/etc/pulse/pulse.toml").read_text() == edited
    assert root.run("pulse-agent", "--version").stdout.strip() == f"pulse-agent {version}"
    effective = root.run("pulse-agent", "--print-config", env={"HOME": "/root"}).stdout
    assert "DEBUG" in effective

    # Remove keeps the conffile; purge removes it; the journal stays through both.
    root.run("dpkg", "--remove", "pulse-agent")
    assert (
        root.run("sh", "-c", "test ! -e /opt/pulse && test ! -e /usr/bin/pulse-agent").returncode
        == 0
    )
    assert root.run("cat", "/etc/pulse/pulse.toml").stdout == edited
    root.run("dpkg", "--purge", "pulse-agent")
    assert root.run("sh", "-c", "test ! -e /etc/pulse/pulse.toml").returncode == 0
    # PulseAudio's client settings share the folder: they are untouched.
    assert root.run("test", "-e", "/etc/pulse/client.conf").returncode == 0
    assert root.run("cat", journal).stdout == "unsynced\n"
    gone = root.run("dpkg-query", "--show", "pulse-agent", check=False)
    assert gone.returncode != 0
