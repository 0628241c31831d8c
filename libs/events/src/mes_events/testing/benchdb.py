"""Set-up shared by the benchmarks in bench/: a fresh migrated database and percentiles."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.engine import make_url

from mes_events.db import drop_database
from mes_events.embedded import port_open, start_embedded_postgres
from mes_events.testing.plugin import STORE_MIGRATIONS, fresh_database

SERVER = os.environ.get("MES_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def server_url() -> str:
    """The PostgreSQL server to benchmark on: the configured/local one, else an embedded one."""
    if "MES_BENCH_DATABASE_URL" in os.environ or port_open("127.0.0.1", 5432):
        return SERVER
    return start_embedded_postgres(Path(".data/bench-postgres").resolve())


@contextlib.asynccontextmanager
async def store_database(prefix: str) -> AsyncIterator[str]:
    """A fresh migrated database for one measurement, dropped afterwards (even on failure)."""
    url = await fresh_database(server_url(), prefix, STORE_MIGRATIONS)
    try:
        yield url
    finally:
        await drop_database(server_url(), str(make_url(url).database))


def process_cpu_s(pid: int | str) -> tuple[str, float]:
    """A process's name and the CPU seconds it has used so far (Linux /proc; OSError if gone)."""
    name, rest = (Path("/proc") / str(pid) / "stat").read_text().split(" (", 1)[1].rsplit(")", 1)
    ticks = rest.split()
    return name, (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_s() -> float:
    """CPU seconds used so far by every PostgreSQL process on this machine (Linux /proc)."""
    total = 0.0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            name, seconds = process_cpu_s(entry.name)
        except (OSError, ValueError):
            continue  # the process ended while we looked
        if name == "postgres":
            total += seconds
    return total


def machine_ticks() -> tuple[int, int, int]:
    """(busy, stolen, total) CPU ticks of the machine so far, all cores (Linux /proc/stat)."""
    # user nice system idle iowait irq softirq steal (guest time is already in user and nice)
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle, steal = ticks[3] + ticks[4], ticks[7]
    return sum(ticks) - idle - steal, steal, sum(ticks)


def steal_pct(start: tuple[int, int, int], end: tuple[int, int, int]) -> float:
    """The share of CPU time between two `machine_ticks` readings that the hypervisor gave to
    other tenants: a measurement under heavy steal is not comparable with one without."""
    return (end[1] - start[1]) / max(end[2] - start[2], 1) * 100


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]
