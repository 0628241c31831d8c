"""Create-order throughput and latency of the orders API, beside two ceilings from the same run.

Measures, on 127.0.0.1 with a bounded number of concurrent requests (closed loop):
- a trivial FastAPI endpoint under the same uvicorn settings (the HTTP ceiling);
- plain asyncpg committing one event per transaction at the same concurrency (the database
  ceiling for one-transaction-per-request);
- POST /orders (full validation, idempotency row, event append) with 1 and 2 uvicorn workers,
  each its own process and port, the connections spread over them round-robin.
Beside each rate: the CPU per request of the server, PostgreSQL and this load generator, and
how many of the machine's cores were busy (all three share them).
The server runs the API role only (no relay, no consumer), against a fresh migrated database.
Every configuration is measured once per round, in turn; the rounds' medians are printed last.
Usage: uv run python bench/orders_api.py [--seconds 5] [--rounds 3] [--concurrency 32]
The last line is a `summary:` of key=value pairs; `ratio` = the median over the rounds of the
round's best create rate / its raw rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import orjson
from fastapi import FastAPI

from mes_events.auth import ORDERS_WRITE
from mes_events.db import asyncpg_dsn, create_database, drop_database, migrate
from mes_events.service import Role
from mes_events.testing.auth import TEST_SIGNING_KEY, token
from mes_events.testing.benchdb import (
    machine_ticks,
    percentile,
    postgres_cpu_s,
    process_cpu_s,
    server_url,
    steal_pct,
)
from mes_orders.testing import order_body

HERE = Path(__file__).resolve().parent
MIGRATIONS = HERE.parent / "services" / "orders" / "migrations"


def api_app() -> FastAPI:
    """The orders API alone (uvicorn --factory target); settings from ORDERS_* variables."""
    from mes_orders.entrypoints.api.app import create_app

    return create_app(frozenset({Role.API}))


def trivial_app() -> FastAPI:
    """The HTTP ceiling: a FastAPI endpoint that does nothing."""
    app = FastAPI()

    @app.post("/orders")
    async def ok() -> dict[str, bool]:
        return {"ok": True}

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# The same sample order the orders tests post, with a placeholder reference.
BODY = orjson.dumps(order_body("@REF@"))
# Signed in as the ERP integration: each request pays for checking its token, as in production.
AUTHORIZATION = f"Authorization: Bearer {token(ORDERS_WRITE, subject='erp')}\r\n"


def request_bytes(ref: str) -> bytes:
    body = BODY.replace(b"@REF@", ref.encode())
    head = (
        f"POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{AUTHORIZATION}Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response: its status and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def http_load(
    ports: list[int], server_pids: list[int], seconds: float, concurrency: int, run: str
) -> dict[str, float]:
    """Closed loop: `concurrency` keep-alive connections, each one request at a time.

    Connections go round-robin to the servers (one port each), as a load balancer would
    spread them: uvicorn's own `--workers` share one socket, and the first worker to wake
    accepted 31 of the 32 connections here, so "2 workers" measured one.
    """
    latencies: list[float] = []
    errors = 0
    stop_at = 0.0
    counter = 0

    async def client(n: int) -> None:
        nonlocal errors, counter
        reader, writer = await asyncio.open_connection("127.0.0.1", ports[n % len(ports)])
        try:
            while time.perf_counter() < stop_at:
                counter += 1
                writer.write(request_bytes(f"{run}-{n}-{counter}"))
                start = time.perf_counter()
                status, _ = await read_response(reader)
                latencies.append(time.perf_counter() - start)
                if status != 201 and status != 200:
                    errors += 1
        finally:
            writer.close()

    stop_at = time.perf_counter() + 1.0  # warm-up: connections, pools, caches
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    latencies.clear()
    errors = 0
    cpu = CpuMeter(server_pids)
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(*(client(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - start
    used = cpu.per_request(len(latencies))
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": errors,
        **used,
    }


async def intake_batches(ports: list[int]) -> tuple[float, float]:
    """(creates, transactions) the intakes of the servers committed so far (their /metrics)."""
    creates = transactions = 0.0
    for port in ports:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        _, body = await read_response(reader)
        writer.close()
        lines = body.decode().splitlines()
        values = dict(line.rsplit(" ", 1) for line in lines if line and not line.startswith("#"))
        transactions += float(values.get("mes_orders_intake_batch_size_count", 0))
        creates += float(values.get("mes_orders_intake_batch_size_sum", 0))
    return creates, transactions


class CpuMeter:
    """Where the machine's CPU went during a run: server, PostgreSQL, this load generator.

    Why: on a small machine the three share the cores, so a rate alone does not say which
    of them a faster server would have to beat. Also the share of CPU time the hypervisor
    gave to other tenants (steal): a row measured under heavy steal is not comparable.
    """

    def __init__(self, server_pids: list[int]) -> None:
        self.server_pids = server_pids
        self.server = sum(server_cpu_s(pid) for pid in server_pids)
        self.postgres = postgres_cpu_s()
        self.client = time.process_time()
        self.machine = machine_ticks()

    def per_request(self, requests: int) -> dict[str, float]:
        n = max(requests, 1) / 1e6
        server = sum(server_cpu_s(pid) for pid in self.server_pids) - self.server
        server = server if self.server_pids else float("nan")
        now = machine_ticks()
        (busy, _, total), (busy0, _, total0) = now, self.machine
        return {
            "cores_busy": (busy - busy0) / (total - total0) * (os.cpu_count() or 1),
            "steal_pct": steal_pct(self.machine, now),
            "cpu_us": server / n,
            "pg_cpu_us": (postgres_cpu_s() - self.postgres) / n,
            "client_cpu_us": (time.process_time() - self.client) / n,
        }


def server_cpu_s(pid: int) -> float:
    """CPU seconds used so far by the server and its worker processes (Linux /proc)."""
    total = 0.0
    pending = [pid]
    while pending:
        p = pending.pop()
        try:
            total += process_cpu_s(p)[1]
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except (OSError, ValueError, IndexError):
            continue
        pending += [int(c) for c in children]
    return total


RAW_TABLE = """
CREATE TABLE IF NOT EXISTS raw_event (LIKE stored_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                        INCLUDING INDEXES INCLUDING IDENTITY)
"""
RAW_INSERT = """
INSERT INTO raw_event (event_id, stream_type, stream_id, stream_version, event_type,
                       schema_version, data, occurred_at, correlation_id, causation_id)
VALUES ($1, 'order', $2, 1, 'orders.OrderReceived', 2, $3::jsonb, $4, $5, NULL)
"""


async def raw_rate(url: str, seconds: float, concurrency: int) -> dict[str, float]:
    """Plain asyncpg: one single-event INSERT per transaction, `concurrency` connections."""
    dsn = asyncpg_dsn(url)
    conns = [await asyncpg.connect(dsn) for _ in range(concurrency)]
    await conns[0].execute(RAW_TABLE)
    data = BODY.decode()
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds
    cpu = CpuMeter([])

    async def writer(conn: asyncpg.Connection) -> None:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            async with conn.transaction():
                await conn.execute(
                    RAW_INSERT,
                    uuid.uuid4(),
                    str(uuid.uuid4()),
                    data,
                    datetime.now(UTC),
                    uuid.uuid4(),
                )
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(writer(c) for c in conns))
    elapsed = time.perf_counter() - start
    # Read before closing: an ended backend's CPU leaves the per-process counters.
    used = cpu.per_request(len(latencies))
    for c in conns:
        await c.close()
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": 0,
        **used,
    }


def start_server(factory: str, port: int, url: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "ORDERS_DATABASE_URL": url,
        "ORDERS_AUTH__SIGNING_KEY": TEST_SIGNING_KEY,
        "PYTHONPATH": str(HERE),
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        f"orders_api:{factory}",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return subprocess.Popen(cmd, env=env)


async def wait_ready(port: int, path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status, _ = await read_response(reader)
            writer.close()
            if status in (200, 404, 405):
                return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("server did not start")


@dataclass
class Served:
    """Uvicorn processes of one configuration, each on its own port."""

    factory: str
    ports: list[int]
    processes: list[subprocess.Popen[bytes]]

    @classmethod
    async def start(cls, factory: str, workers: int, url: str) -> Served:
        ports = [free_port() for _ in range(workers)]
        served = cls(factory, ports, [start_server(factory, port, url) for port in ports])
        try:
            for port in ports:
                await wait_ready(port, "/readyz" if factory == "api_app" else "/docs")
        except BaseException:
            served.stop()
            raise
        return served

    async def load(self, seconds: float, concurrency: int) -> dict[str, float]:
        run = f"{self.factory}-{len(self.ports)}-{uuid.uuid4()}"
        pids = [p.pid for p in self.processes]
        if self.factory != "api_app":
            return await http_load(self.ports, pids, seconds, concurrency, run)
        creates, transactions = await intake_batches(self.ports)
        result = await http_load(self.ports, pids, seconds, concurrency, run)
        creates_after, transactions_after = await intake_batches(self.ports)
        committed = transactions_after - transactions
        result["batch"] = (creates_after - creates) / committed if committed else float("nan")
        return result

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=30)


def line(label: str, r: dict[str, float]) -> str:
    return (
        f"{label:28s} {r['rps']:8.0f} /s   p50 {r['p50_ms']:6.1f} ms   p99 {r['p99_ms']:6.1f} ms"
        f"   CPU us/req: server {r['cpu_us']:4.0f} postgres {r['pg_cpu_us']:4.0f}"
        f" client {r['client_cpu_us']:4.0f}   cores busy {r['cores_busy']:.2f}"
        f"   steal {r['steal_pct']:3.0f} %"
        f"   creates/transaction {r.get('batch', float('nan')):4.1f}   errors {int(r['errors'])}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    name = f"bench_orders_{uuid.uuid4().hex[:8]}"
    url = await create_database(server_url(), name)
    try:
        # Migrated once here: workers starting together would otherwise race on alembic.
        await migrate(url, MIGRATIONS)
        rounds = await measure(url, args.seconds, args.rounds, args.concurrency, args.workers)
    finally:
        await drop_database(server_url(), name)
    summarize(rounds, args.seconds, args.concurrency, args.workers)


async def measure(
    url: str, s: float, rounds: int, c: int, workers: list[int]
) -> list[dict[str, dict[str, float]]]:
    """Each round measures every configuration once, in turn, and gives its own ratio.

    Why rounds: this machine's speed drifts by tens of percent within minutes (other tenants),
    and a ratio of two rates measured a minute apart carried that drift; rates measured
    seconds apart, round after round, carry less of it, and the median says how it spreads.
    """
    configs = {"trivial_1w": ("trivial_app", 1)} | {f"create_{w}w": ("api_app", w) for w in workers}
    servers: dict[str, Served] = {}
    results: list[dict[str, dict[str, float]]] = []
    try:
        for key, (factory, w) in configs.items():
            servers[key] = await Served.start(factory, w, url)
        for index in range(rounds):
            r: dict[str, dict[str, float]] = {}
            r["trivial_1w"] = await servers["trivial_1w"].load(s, c)
            r["raw"] = await raw_rate(url, s, c)
            for w in workers:
                r[f"create_{w}w"] = await servers[f"create_{w}w"].load(s, c)
            print(f"round {index + 1} of {rounds}")
            print_rows(r, c, workers)
            print(f"  ratio {ratio(r, workers):.2f}", flush=True)
            results.append(r)
    finally:
        for served in servers.values():
            served.stop()
    return results


def ratio(r: dict[str, dict[str, float]], workers: list[int]) -> float:
    """A round's best create rate over its raw transaction rate."""
    return max(r[f"create_{w}w"]["rps"] for w in workers) / r["raw"]["rps"]


def print_rows(r: dict[str, dict[str, float]], c: int, workers: list[int]) -> None:
    print(line("  trivial endpoint, 1 worker", r["trivial_1w"]))
    print(line(f"  asyncpg 1 event/tx, {c} conns", r["raw"]))
    for w in workers:
        print(line(f"  POST /orders, {w} worker(s)", r[f"create_{w}w"]), flush=True)


def summarize(
    rounds: list[dict[str, dict[str, float]]], s: float, c: int, workers: list[int]
) -> None:
    """Medians over the rounds; the ratio is the median of the rounds' own ratios."""
    ratios = [ratio(r, workers) for r in rounds]
    median = {
        key: {m: statistics.median(r[key][m] for r in rounds) for m in rounds[0][key]}
        for key in rounds[0]
    }
    print(f"median of {len(rounds)} rounds of {s:g} s")
    print_rows(median, c, workers)
    print(f"  ratio per round, in order: {', '.join(f'{x:.2f}' for x in ratios)}")
    fields = [f"concurrency={c}", f"seconds={s:g}", f"rounds={len(rounds)}"]
    for key, r in median.items():
        fields += [f"{key}_rps={r['rps']:.0f}", f"{key}_p50_ms={r['p50_ms']:.1f}"]
        fields += [f"{key}_p99_ms={r['p99_ms']:.1f}"]
        if r["cpu_us"] == r["cpu_us"]:  # not NaN: an HTTP server was measured
            fields.append(f"{key}_server_cpu_us={r['cpu_us']:.0f}")
        fields.append(f"{key}_pg_cpu_us={r['pg_cpu_us']:.0f}")
        fields.append(f"{key}_cores_busy={r['cores_busy']:.2f}")
        fields.append(f"{key}_steal_pct={r['steal_pct']:.0f}")
    for w in workers:
        per_round = [r[f"create_{w}w"]["rps"] / r["raw"]["rps"] for r in rounds]
        fields.append(f"ratio_{w}w={statistics.median(per_round):.2f}")
    fields += [f"ratio_min={min(ratios):.2f}", f"ratio_max={max(ratios):.2f}"]
    fields.append(f"ratio={statistics.median(ratios):.2f}")
    print("summary: " + " ".join(fields))


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
