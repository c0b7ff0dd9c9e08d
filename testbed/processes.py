"""What a benchmark reads about processes from ``/proc`` (Linux): the tree under a process,
each one's memory (PSS, from ``smaps_rollup``) and CPU time, and the machine's CPU steal.

PSS (proportional set size) charges each shared page to the processes that map it in equal
parts, so the PSS of several processes adds up to what they cost the machine together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def parse_smaps_rollup(text: str) -> dict[str, int]:
    """``smaps_rollup``'s fields in kB (``{"Rss": 1776, "Pss": 313, ...}``); the header
    line (the address range) and anything not in ``Name: <n> kB`` form are skipped."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        parts = rest.split()
        if sep and len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            fields[name.strip()] = int(parts[0])
    return fields


def pss_kib(pid: int) -> int:
    """The process's PSS in KiB; raises OSError when it is gone (or not ours to read)."""
    fields = parse_smaps_rollup((PROC / str(pid) / "smaps_rollup").read_text())
    if "Pss" not in fields:
        raise OSError(f"no Pss in /proc/{pid}/smaps_rollup")
    return fields["Pss"]


@dataclass(frozen=True)
class ProcStat:
    ppid: int
    state: str
    cpu_ticks: int
    """User plus system time, in clock ticks."""


def parse_stat(text: str) -> ProcStat:
    """``/proc/<pid>/stat``; the command name (in parentheses) may hold spaces and ``)``."""
    fields = text[text.rindex(")") + 2 :].split()
    # After the name: state(3) ppid(4) ... utime(14) stime(15), numbered from pid = 1.
    return ProcStat(int(fields[1]), fields[0], int(fields[11]) + int(fields[12]))


def stat(pid: int) -> ProcStat:
    return parse_stat((PROC / str(pid) / "stat").read_text())


def cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by the processes still there."""
    ticks = 0
    for pid in pids:
        try:
            ticks += stat(pid).cpu_ticks
        except OSError:
            continue
    return ticks / TICKS_PER_S


def command_line(pid: int) -> str:
    raw = (PROC / str(pid) / "cmdline").read_bytes()
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def descendants(root: int) -> dict[int, str]:
    """pid → command line of every living process under ``root`` (not ``root`` itself)."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            info = stat(int(entry.name))
        except (OSError, ValueError):
            continue
        if info.state != "Z":
            parents[int(entry.name)] = info.ppid
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found: dict[int, str] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        try:
            found[pid] = command_line(pid)
        except OSError:
            continue
        todo.extend(children.get(pid, []))
    return found


def parse_machine_ticks(text: str) -> tuple[int, int] | None:
    """(steal, total) jiffies from the ``cpu`` line of ``/proc/stat``."""
    first = text.split("\n", 1)[0].split()
    if not first or first[0] != "cpu":
        return None
    try:
        values = [int(v) for v in first[1:9]]
    except ValueError:
        return None
    return (values[7], sum(values)) if len(values) == 8 else None


def machine_ticks() -> tuple[int, int] | None:
    """(steal, total) jiffies of the whole machine so far, or None off Linux.

    Steal is time the hypervisor gave this machine's virtual CPUs to someone else: it
    slows every timing and nothing in a process can avoid it.
    """
    try:
        return parse_machine_ticks((PROC / "stat").read_text(encoding="ascii"))
    except OSError:
        return None


def steal_pct(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of the machine's CPU time the hypervisor took between two readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return 100 * (after[0] - before[0]) / (after[1] - before[1])
