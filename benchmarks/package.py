"""The self-contained bundle: its size, and the frozen app's start to the sign-in window
and memory there, beside the source install's measured in the same run.

The bundle is ``dist/pulse-agent`` (``make package``; built first when it is older than
its sources). Both apps run offscreen with a real keyring (gnome-keyring on a private bus)
and a per-user ``pulse.toml``; each run is a new process, stopped with SIGTERM once its
sign-in window has painted its first frame (``PULSE_TIMING_PROBE`` marks, see
:mod:`agent_app.views.timing_probe`), frozen and source runs taking turns.

* ``bundle_size_mb``: the files of the one-folder bundle (MiB);
  ``bundle_python_pyz_mb`` of that is the program itself, its Python modules included.
* ``frozen_first_start_to_login_ms``: the bundle's first start in this run (its files were
  not read since it was built or since the last run; the page cache is not dropped, so
  this is not a cold boot's disk read).
* ``frozen_start_to_login_ms`` and ``source_start_to_login_ms``: the medians of the runs.
* ``frozen_login_pss_mb`` and ``source_login_pss_mb``: the app's PSS 1 s after its sign-in
  window was shown (the largest of the runs), the engine not yet started.

``python -m benchmarks.package`` (10 runs of each) or ``--quick`` (3).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from benchmarks import desk_runs
from testbed import bundle
from testbed.desk_process import DeskProcess, app_environment, write_config
from testbed.ports import free_port
from testbed.processes import PROC, parse_smaps_rollup
from testbed.timing import Figures

FIGURES = Figures("package", digits=1)
MB = 1024 * 1024
SETTLE_S = 1.0


def login_run(
    work: Path, env: dict[str, str], name: str, command: list[str] | None
) -> tuple[float, float]:
    """(start → sign-in window ms, PSS MiB a second later) of one start."""
    desk = DeskProcess(work, env, signs_in=False, name=name, command=command)
    try:
        shown = desk.wait_mark("login_shown")
        time.sleep(SETTLE_S)
        rollup = parse_smaps_rollup((PROC / str(desk.pid) / "smaps_rollup").read_text())
    finally:
        desk.stop()
    return (shown - desk.started_at) * 1000, rollup["Pss"] / 1024


def run(runs: int, work: Path, keyring_env: dict[str, str]) -> None:
    reason = bundle.missing_tools()
    if reason and not bundle.is_current():
        raise SystemExit(f"the bundle cannot be built here: {reason}")
    executable = bundle.ensure_bundle()
    FIGURES.emit("runs", runs, "count")
    FIGURES.emit("load_average_1m_at_start", os.getloadavg()[0], "processes")
    FIGURES.emit("bundle_size_mb", bundle.size_bytes() / MB, "MiB")
    FIGURES.emit("bundle_program_mb", executable.stat().st_size / MB, "MiB")
    env = app_environment(work, keyring_env)
    # No server answers there: the sign-in window is as far as these runs go.
    write_config(
        Path(env["PULSE_HOME"]), server_url=f"http://127.0.0.1:{free_port()}", sip_port=free_port()
    )
    frozen: list[tuple[float, float]] = []
    source: list[tuple[float, float]] = []
    for index in range(runs):
        frozen.append(login_run(work, env, f"frozen-{index}", [str(executable)]))
        source.append(login_run(work, env, f"source-{index}", None))
    FIGURES.emit("frozen_first_start_to_login_ms", frozen[0][0], "ms")
    FIGURES.emit(
        "frozen_start_to_login_ms", statistics.median(t for t, _ in frozen), "ms", "<= 1000"
    )
    FIGURES.emit(
        "source_start_to_login_ms", statistics.median(t for t, _ in source), "ms", "<= 1000"
    )
    FIGURES.emit("frozen_login_pss_mb", max(m for _, m in frozen), "MiB")
    FIGURES.emit("source_login_pss_mb", max(m for _, m in source), "MiB")
    FIGURES.emit("load_average_1m_at_end", os.getloadavg()[0], "processes")


def main(argv: list[str] | None = None) -> int:
    return desk_runs.main("python -m benchmarks.package", run, argv)


if __name__ == "__main__":
    sys.exit(main())
