"""Who used the CPU during a step of bench/load_pipeline.py (Linux /proc).

On a shared 2-core machine a latency means little without knowing whether the system's own
processes or someone else's had the cores; this reads both.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from orders_api import server_cpu_s


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "gone"
    if b"tansu" in argv[0]:
        return "broker"
    modules = [a.decode() for a in argv if a.startswith(b"mes_")]
    return modules[-1].removeprefix("mes_") if modules else "other"


def _postgres(databases: dict[str, str]) -> dict[str, float]:
    """CPU seconds of the PostgreSQL backends serving `databases` (name -> label)."""
    found: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        words = title.split()
        if title.startswith("postgres: ") and len(words) > 3 and words[3] in databases:
            label = f"pg:{databases[words[3]]}"
            found[label] = found.get(label, 0.0) + server_cpu_s(int(entry.name))
    return found


def _machine() -> tuple[float, float]:
    """Busy and total CPU time of the whole machine so far, in clock ticks."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


@dataclass(frozen=True)
class CpuMark:
    """CPU seconds so far: this process, each process it started, and the machine."""

    at: float
    processes: dict[str, float]
    machine: tuple[float, float]

    @classmethod
    def now(cls, databases: dict[str, str]) -> CpuMark:
        """`databases`: the system's database names -> labels (their backends are counted)."""
        processes = {"bench": time.process_time()} | _postgres(databases)
        for pid in _children(os.getpid()):
            name = _name(pid)
            if name not in ("gone", "other"):
                processes[name] = processes.get(name, 0.0) + server_cpu_s(pid)
        return cls(time.perf_counter(), processes, _machine())

    def since(self, before: CpuMark) -> CpuUse:
        """Each process's share of one core, and how busy the machine's cores were."""
        wall = self.at - before.at
        shares = {
            name: (self.processes[name] - before.processes.get(name, 0.0)) / wall
            for name in sorted(self.processes)
        }
        busy = self.machine[0] - before.machine[0]
        total = self.machine[1] - before.machine[1]
        return CpuUse(wall, shares, busy / total if total else 0.0, os.getloadavg()[0])


@dataclass(frozen=True)
class CpuUse:
    """CPU used over `wall` seconds: per process (share of one core) and the machine's cores."""

    wall: float
    shares: dict[str, float]
    machine_busy: float
    load: float

    def system_cpu_s(self) -> float:
        """CPU seconds the system (services, broker, their databases) used: not the bench."""
        return sum(v for k, v in self.shares.items() if k != "bench") * self.wall

    def __str__(self) -> str:
        shares = ", ".join(f"{name} {share:.0%}" for name, share in self.shares.items())
        return (
            f"CPU (share of one core): {shares}; the machine's {os.cpu_count()} cores"
            f" {self.machine_busy:.0%} busy (all users), load average {self.load:.1f}"
        )
