"""Set-up shared by the benchmarks in bench/: a fresh migrated database and percentiles."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from mes_events.db import create_database, migrate
from mes_events.embedded import port_open, start_embedded_postgres
from mes_events.testing.plugin import STORE_MIGRATIONS

SERVER = os.environ.get("MES_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def server_url() -> str:
    """The PostgreSQL server to benchmark on: the configured/local one, else an embedded one."""
    if "MES_BENCH_DATABASE_URL" in os.environ or port_open("127.0.0.1", 5432):
        return SERVER
    return start_embedded_postgres(Path(".data/bench-postgres").resolve())


async def fresh_store_database(prefix: str) -> str:
    url = await create_database(server_url(), f"{prefix}_{uuid.uuid4().hex[:8]}")
    await migrate(url, STORE_MIGRATIONS)
    return url


def postgres_cpu_s() -> float:
    """CPU seconds used so far by every PostgreSQL process on this machine (Linux /proc)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue  # the process ended while we looked
        if name == "postgres":
            ticks = fields.split()
            total += (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK")
    return total


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]
